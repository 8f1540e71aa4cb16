"""HubSpot contacts exports (tests/fixtures/crm/hubspot_small.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alignlib import crm

FIX = Path(__file__).parents[1] / "fixtures" / "crm"
SAL = {"Sales Accepted Lead": "sal"}


def test_hubspot_counts(hubspot):
    assert (hubspot.rows_read, hubspot.accepted, hubspot.rejected) == (16, 12, 4)
    assert hubspot.duplicates == 1
    assert hubspot.rows_read == hubspot.accepted + hubspot.rejected
    # 111 (MQL date before its lead date) and 113 (negative amount) keep their other fields.
    assert (hubspot.accepted_whole, hubspot.kept_with_dropped_field) == (10, 2)
    assert sorted(hubspot.table["id"]) == sorted(
        ["101", "102", "103", "104", "105", "106", "107", "108", "109", "111", "113", "114"]
    )
    t = hubspot.table.set_index("id")
    assert pd.isna(t.loc["111", "entered_mql"]) and t.loc["111", "reached_mql"]  # by lifecycle
    assert pd.isna(t.loc["113", "amount"]) and t.loc["113", "outcome"] == "won"


def test_hubspot_reached_with_skipped_stages(hubspot):
    # 105 has no SAL/SQL dates but became a customer; 107 is at Opportunity with no SAL/SQL
    # dates; 109 is an MQL by lifecycle only; 108 is a Subscriber (outside the funnel).
    assert hubspot.reached() == {
        "lead": 11,
        "mql": 10,
        "sal": 7,
        "sql": 6,
        "opportunity": 6,
        "won": 4,
    }
    t = hubspot.table.set_index("id")
    assert t.loc["105", "reached_sql"] and pd.isna(t.loc["105", "entered_sql"])
    assert t.loc["109", "reached_mql"] and not t.loc["109", "reached_sal"]
    assert not t.loc["108", "reached_lead"] and pd.isna(t.loc["108", "stage"])
    assert t.loc["114", "reached_won"]  # Evangelist: outside the funnel, but has a customer date


def test_hubspot_outcomes_amounts_and_channels(hubspot):
    t = hubspot.table.set_index("id")
    assert t.loc[["104", "105", "114"], "outcome"].eq("won").all()
    assert t.loc["106", "outcome"] == "lost"
    assert t.loc["106", "close_date"] == pd.Timestamp("2026-04-01 09:00")
    assert t.loc["107", "outcome"] == "open"
    assert pd.isna(t.loc["101", "outcome"])
    assert t.loc["104", "amount"] == 30000 and t.loc["104", "close_date"] == pd.Timestamp(
        "2026-03-26 12:00"
    )
    assert t.loc["102", "channel"] == "content_seo"  # Organic Search
    assert t.loc["109", "channel"] == "content_seo"  # Direct Traffic
    assert t.loc["106", "channel"] == "paid_social"
    assert t.loc["102", "recycled"] and not t.loc["103", "recycled"]
    assert t.loc["103", "first_response"] == pd.Timestamp("2026-01-09 15:00")
    assert t.loc["103", "entered_sal"] == pd.Timestamp("2026-01-10 09:00")  # Sales Accepted Date


def test_hubspot_every_problem_type(hubspot, problem):
    assert len(hubspot.problems_frame) == 6
    dup = problem(hubspot, 11, "Record ID")
    assert dup["reason"] == "exact duplicate of row 2" and dup["value"] == "101"
    bad = problem(hubspot, 12, "Create Date")
    assert bad["reason"] == "unparseable date" and bad["value"] == "not set"
    order = problem(hubspot, 13, "Became a Marketing Qualified Lead Date")
    assert order["reason"].startswith("date out of order: before Became a Lead Date")
    assert problem(hubspot, 14, "Lifecycle Stage")["value"] == "Prospect"
    neg = problem(hubspot, 15, "Recent Deal Amount")
    assert neg["reason"] == "negative amount" and neg["value"] == "-500"
    conflict = problem(hubspot, 16, "Record ID")
    assert "kept row 4" in conflict["reason"]
    assert set(hubspot.problems_frame["action"]) == {"rejected", "field dropped"}
    assert order["action"] == neg["action"] == "field dropped"
    assert sorted(hubspot.rejects["_row"]) == [11, 12, 13, 14, 15, 16]
    kept = hubspot.rejects.set_index("_row")["_kept"]
    assert kept[15] == "kept without Recent Deal Amount" and kept[11] == ""


def test_hubspot_old_contact_id_header(problem):
    r = crm.load_hubspot(FIX / "hubspot_contact_id.csv", stage_mapping=SAL)
    assert (r.accepted, r.rejected) == (12, 4)
    assert problem(r, 11, "Contact ID")["value"] == "101"


def test_hubspot_default_mapping_treats_custom_sal_label_as_unknown():
    r = crm.load_hubspot(FIX / "hubspot_small.csv")  # no mapping for "Sales Accepted Lead"
    reasons = set(r.problems_frame["reason"])
    assert any(
        x.startswith("unknown lifecycle stage label 'Sales Accepted Lead' on ") for x in reasons
    )
    assert r.rejected == 5


def test_hubspot_company_without_sal_stage():
    stages = ("lead", "mql", "sql", "opportunity", "won")
    r = crm.load_hubspot(FIX / "hubspot_small.csv", stage_names=stages, stage_mapping=SAL)
    assert "entered_sal" not in r.table.columns
    assert r.reached() == {"lead": 11, "mql": 10, "sql": 6, "opportunity": 6, "won": 4}


def test_as_of_defaults_to_latest_date(hubspot):
    assert hubspot.as_of == pd.Timestamp("2026-04-11")


def test_hubspot_outcome_column_through_outcome_mapping(tmp_path):
    """A contacts export with a deal-stage property as its outcome: labels mapped, any case."""
    import csv

    rows = list(csv.reader((FIX / "hubspot_small.csv").open(encoding="utf-8")))
    labels = ["Engaging", "CLOSED WON", "contract lost", ""]
    rows[0].append("Deal Result")
    for i, row in enumerate(rows[1:]):
        row.append(labels[i % len(labels)])
    path = tmp_path / "contacts.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    cols = {"outcome": "Deal Result"}
    r = crm.load_hubspot(path, stage_mapping=SAL, columns=cols)
    reasons = [x for x in r.problems_frame["reason"] if x.startswith("unknown outcome")]
    assert len(reasons) == 2  # Engaging and contract lost, once each
    r = crm.load_hubspot(
        path,
        stage_mapping=SAL,
        columns=cols,
        outcome_mapping={"engaging": "open", "Contract Lost": "lost"},
    )
    want = {"Engaging": "open", "CLOSED WON": "won", "contract lost": "lost"}
    checked = 0
    for line, got, reached_won in zip(
        r.table["row"], r.table["outcome"], r.table["reached_won"], strict=True
    ):
        label = rows[line - 1][-1]  # line 1 is the header
        customer = rows[line - 1][5] == "Customer" or (rows[line - 1][5] == "Evangelist")
        # a won outcome reaches the last stage, as a customer's date does (every format)
        assert bool(reached_won) == (got == "won"), (line, label)
        if customer:  # a customer is won whatever the label says (as for csv)
            assert got == "won"
        elif label:
            assert got == want[label], (line, label)
            checked += 1
    assert checked >= 6
