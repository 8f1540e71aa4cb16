"""Salesforce Leads and Opportunities exports (tests/fixtures/crm, data/sample)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alignlib import crm
from alignlib.paths import SAMPLE_DIR

FIX = Path(__file__).parents[1] / "fixtures" / "crm"


def test_salesforce_join_and_counts(salesforce):
    assert (salesforce.rows_read, salesforce.accepted, salesforce.rejected) == (8, 6, 2)
    assert salesforce.duplicates == 1
    assert salesforce.reached() == {
        "lead": 6,
        "mql": 5,
        "sal": 4,
        "sql": 4,
        "opportunity": 3,
        "won": 1,
    }
    t = salesforce.table.set_index("id")
    c = t.loc["00Q000000000003AAA"]
    assert c["outcome"] == "won" and c["amount"] == 25000
    assert c["entered_won"] == pd.Timestamp("2026-03-01")
    assert c["entered_opportunity"] == pd.Timestamp("2026-01-20 10:00")
    assert c["entered_sql"] == pd.Timestamp("2026-01-20") and c["channel"] == "events"
    assert t.loc["00Q000000000004AAA", "outcome"] == "lost"
    assert t.loc["00Q000000000004AAA", "close_date"] == pd.Timestamp("2026-03-05")
    assert t.loc["00Q000000000005AAA", "outcome"] == "open"
    assert pd.isna(t.loc["00Q000000000005AAA", "close_date"])


def test_salesforce_problems(salesforce, problem):
    p = salesforce.problems_frame
    assert len(p) == 4
    assert problem(salesforce, 7, "Status")["value"] == "Nurture"
    assert problem(salesforce, 9, "Id")["reason"] == "exact duplicate of row 2"
    missing = problem(salesforce, 8, "ConvertedOpportunityId")
    assert missing["action"] == "kept"
    opp = p[p["file"] == "salesforce_opportunities_small.csv"].iloc[0]
    assert (opp["row"], opp["field"], opp["reason"]) == (5, "Amount", "negative amount")
    # Rejected opportunity rows are kept in the rejects too, with their file name.
    assert set(salesforce.rejects["_file"]) == {
        "salesforce_leads_small.csv",
        "salesforce_opportunities_small.csv",
    }


def test_salesforce_without_opportunities():
    r = crm.load_salesforce(FIX / "salesforce_leads_small.csv")
    assert r.reached()["sql"] == 4 and r.reached()["won"] == 0
    assert r.table["outcome"].isna().all()


def test_sample_salesforce_pair():
    r = crm.load_salesforce(
        SAMPLE_DIR / "salesforce_leads.csv", SAMPLE_DIR / "salesforce_opportunities.csv"
    )
    assert r.rejected >= 7 and r.reached()["won"] > 0
    reasons = set(r.problems_frame["reason"])
    assert "negative amount" in reasons
    assert any(x.startswith("unknown lead status ") for x in reasons)


# Report exports ("Export details"): field labels as headers, US dates, 1/0 and TRUE/FALSE.
def _report_pair(tmp_path, us: bool):
    from tests.crm._shapes_helpers import FIX, iso_copy

    if us:
        return FIX / "salesforce_report_leads.csv", FIX / "salesforce_report_opportunities.csv"
    return (
        iso_copy("salesforce_report_leads.csv", tmp_path),
        iso_copy("salesforce_report_opportunities.csv", tmp_path),
    )


@pytest.mark.parametrize("us", [False, True], ids=["iso", "us-dates"])
def test_salesforce_report_export_with_label_headers(tmp_path, us):
    from tests.crm._shapes_helpers import reads_us_dates

    if us and not reads_us_dates():
        pytest.skip("month/day/year dates are read by the reading layer (issue 11, item 1)")
    leads, opps = _report_pair(tmp_path, us)
    r = crm.load_salesforce(leads, opps)
    assert (r.rows_read, r.accepted, r.rejected) == (6, 6, 0), r.problems_frame
    t = r.table.set_index("id")
    assert t.loc["00Q0000000000A3", "outcome"] == "won"
    assert t.loc["00Q0000000000A3", "amount"] == 25_000
    assert t.loc["00Q0000000000A4", "outcome"] == "lost"  # TRUE converted, 0 won, 1 closed
    assert t.loc["00Q0000000000A5", "outcome"] == "open"  # FALSE / FALSE
    assert t.loc["00Q0000000000A3", "entered_won"] == pd.Timestamp("2026-01-30")
    assert t.loc["00Q0000000000A1", "created"] == pd.Timestamp("2025-10-20")
    assert t.loc["00Q0000000000A3", "owner"] == "Rep Two"
    assert t.loc["00Q0000000000A2", "channel"] == "referral"
    assert r.reached() == {"lead": 6, "mql": 5, "sal": 4, "sql": 3, "opportunity": 3, "won": 1}


@pytest.mark.parametrize("us", [False, True], ids=["iso", "us-dates"])
def test_salesforce_opportunity_only_report_is_an_opportunity_to_won_funnel(tmp_path, us):
    from tests.crm._shapes_helpers import FIX, iso_copy, reads_us_dates

    if us and not reads_us_dates():
        pytest.skip("month/day/year dates are read by the reading layer (issue 11, item 1)")
    name = "salesforce_report_opportunity_only.csv"
    path = FIX / name if us else iso_copy(name, tmp_path)
    # No Won/Closed columns: the stage says the outcome; 'Engaging' is nobody's label yet.
    r = crm.load_export(path, "salesforce", stage_names=("opportunity", "won"))
    assert (r.rows_read, r.accepted, r.rejected) == (6, 4, 2)
    (reason,) = r.problems_frame["reason"]
    assert reason == (
        "unknown outcome 'Engaging' on 2 rows: add  "
        'outcome_mapping: {"Engaging": open}  (or won/lost)'
    )
    r = crm.load_export(
        path,
        "salesforce",
        stage_names=("opportunity", "won"),
        outcome_mapping={"engaging": "open"},
    )
    assert (r.accepted, r.rejected) == (6, 0) and r.problems_frame.empty
    assert r.reached() == {"opportunity": 6, "won": 2}
    assert r.table["outcome"].value_counts().to_dict() == {"open": 3, "won": 2, "lost": 1}
    assert r.table.loc[r.table["outcome"] == "won", "amount"].sum() == 21_000
    # The default six-stage funnel: an opportunities file starts at 'opportunity'.
    d = crm.load_export(path, "salesforce", outcome_mapping={"Engaging": "open"})
    assert d.stage_names == ("opportunity", "won") and d.accepted == 6
