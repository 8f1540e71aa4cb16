"""The sample generator: deterministic, realistic shape, and the mess it promises."""

from __future__ import annotations

import pandas as pd
import pytest

from alignlib.sample import AS_OF, HUBSPOT_COLUMNS, simulate_contacts, write_sample


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    return write_sample(out, seed=7, scale=0.2, salesforce_scale=0.05)


def test_same_seed_gives_identical_bytes(tmp_path, small_sample):
    again = write_sample(tmp_path / "again", seed=7, scale=0.2, salesforce_scale=0.05)
    for role, path in small_sample.to_dict().items():
        assert open(path, "rb").read() == open(again.to_dict()[role], "rb").read(), role


def test_other_seed_differs(tmp_path, small_sample):
    other = write_sample(tmp_path / "other", seed=8, scale=0.2, salesforce_scale=0.05)
    a = open(small_sample.hubspot_contacts, "rb").read()
    assert a != open(other.hubspot_contacts, "rb").read()


def test_hubspot_columns_and_fake_emails(small_sample):
    df = pd.read_csv(small_sample.hubspot_contacts, dtype=str, keep_default_na=False)
    assert tuple(df.columns) == HUBSPOT_COLUMNS
    assert df["Email"].str.endswith("@example.com").all()
    # 24+ months of history up to the as-of date.
    months = pd.to_datetime(df["Create Date"], format="%Y-%m-%d %H:%M", errors="coerce")
    assert months.min() < pd.Timestamp("2024-10-05")
    assert months.max() < pd.Timestamp(AS_OF)


def test_hubspot_contains_the_promised_mess(small_sample):
    df = pd.read_csv(small_sample.hubspot_contacts, dtype=str, keep_default_na=False)
    assert df.duplicated().sum() >= 50  # exact duplicates
    dup_ids = df.drop_duplicates()["Record ID"].duplicated().sum()
    assert dup_ids >= 10  # same Record ID, different content
    assert set(df["Lifecycle Stage"]) >= {"Prospect", "Partner"}
    assert df["Recent Deal Amount"].str.startswith("-").sum() == 2
    skipped = (df["Became a Customer Date"] != "") & (
        df["Became a Sales Qualified Lead Date"] == ""
    )
    assert skipped.any()
    assert (df["Create Date"] == "not set").any() or (df["Create Date"] == "#VALUE!").any()


def test_salesforce_pair_joins(small_sample):
    leads = pd.read_csv(small_sample.salesforce_leads, dtype=str, keep_default_na=False)
    opps = pd.read_csv(small_sample.salesforce_opportunities, dtype=str, keep_default_na=False)
    converted = leads.loc[leads["IsConverted"] == "true", "ConvertedOpportunityId"]
    assert converted.isin(opps["Id"]).all()
    assert opps["Id"].str.len().eq(18).all() and leads["Id"].str.startswith("00Q").all()
    assert set(opps["StageName"]) <= {
        "Prospecting",
        "Qualification",
        "Needs Analysis",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    }


def test_spend_covers_every_month_and_channel(small_sample):
    spend = pd.read_csv(small_sample.marketing_spend)
    assert spend.groupby("month")["channel"].nunique().eq(6).all()
    assert spend["month"].min() == "2024-10" and spend["month"].max() == "2026-11"
    assert (spend["spend"] > 0).all()


def test_truth_has_growth_and_seasonality():
    t = simulate_contacts(3)
    per_month = t.groupby(t["created"].dt.to_period("M")).size()
    assert per_month[pd.Period("2026-10")] > 1.4 * per_month[pd.Period("2024-10")]  # growth
    assert per_month[pd.Period("2025-12")] < per_month[pd.Period("2025-11")]  # December dip
    assert per_month[pd.Period("2025-09")] > per_month[pd.Period("2025-08")]  # September peak
    # Recent cohorts have not matured: fewer wins per lead than a year earlier.
    won = t.groupby(t["created"].dt.to_period("M"))["entered_won"].count() / per_month
    assert won[pd.Period("2026-10")] < 0.5 * won[pd.Period("2025-10")]
