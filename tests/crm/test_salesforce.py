"""Salesforce Leads and Opportunities exports (tests/fixtures/crm, data/sample)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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
