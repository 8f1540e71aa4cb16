"""Ingest summaries: outcomes, won amount, grouped problems and the stop verdict."""

from __future__ import annotations

import pandas as pd

from alignlib import crm
from alignlib.crm.summary import (
    outcome_counts,
    problem_groups,
    rejected_share,
    verdict,
    won_amount,
)
from tests.crm._shapes_helpers import FIX


def test_outcomes_and_won_amount_by_hand():
    r = crm.load_export(
        FIX / "salesforce_report_opportunity_only.csv",
        "salesforce",
        outcome_mapping={"Engaging": "open"},
    )
    assert outcome_counts(r) == {"won": 2, "lost": 1, "open": 3}
    assert won_amount(r) == 12_000 + 9_000
    assert rejected_share(r) == 0 and verdict(r).ok


def test_problem_groups_one_line_per_field_and_reason():
    rows = 16_000
    problems = pd.DataFrame(
        {
            "file": "x.csv",
            "row": range(2, rows + 2),
            "field": "Close Date",
            "reason": [
                f"date out of order: before Create Date (2026-01-{1 + i % 28:02d} 10:00)"
                for i in range(rows)
            ],
            "value": "2025-01-01",
            "action": "rejected",
        }
    )
    extra = problems.head(3).assign(field="Amount", reason="negative amount", value="-5")
    groups = problem_groups(pd.concat([problems, extra], ignore_index=True))
    assert len(groups) == 2
    top = groups.iloc[0]
    assert (top["n"], top["row"], top["reason"]) == (
        rows,
        2,
        "date out of order: before Create Date",
    )
    assert groups.iloc[1]["n"] == 3
    assert problem_groups(problems.head(0)).empty


def test_verdict_no_row_accepted_and_too_many_rejected(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,created,result\na,2026-01-01,Engaging\nb,2026-01-02,won\n")
    cols = {"id": "id", "created": "created", "outcome": "result"}
    r = crm.load_csv(path, cols)
    assert rejected_share(r) == 0.5 and verdict(r, 0.5).ok and not verdict(r, 0.49).ok
    assert "50.0% of rows rejected (1 of 2), above --max-rejected 49%" in verdict(r, 0.49).reason
    path.write_text("id,created,result\na,2026-01-01,Engaging\n")
    v = verdict(crm.load_csv(path, cols))
    assert not v.ok and v.reason == "no row accepted: all 1 rows rejected"
    path.write_text("id,created,result\n")
    assert verdict(crm.load_csv(path, cols)).reason == "no rows in the export"


def test_won_amount_is_not_in_the_export_when_no_won_row_has_one(tmp_path):
    """Issue 20: wins without amounts are NaN (not in the export), never $0."""
    import math

    path = tmp_path / "leads.csv"
    path.write_text("id,created,result\na,2026-01-05,won\nb,2026-01-06,lost\n")
    r = crm.load_csv(path, {"id": "id", "created": "created", "outcome": "result"})
    assert math.isnan(won_amount(r))
    path.write_text("id,created,result\na,2026-01-05,open\n")
    assert (
        won_amount(crm.load_csv(path, {"id": "id", "created": "created", "outcome": "result"}))
        == 0.0
    )


def test_duplicate_rows_are_one_group_each_kind():
    """60 exact copies in the sample are one line with their count, not 60 lines."""
    from alignlib import paths

    sample = paths.PROJECT_ROOT / "data" / "sample" / "hubspot_contacts.csv"
    raw = pd.read_csv(sample, dtype=str, keep_default_na=False)
    exact = int(raw.duplicated().sum())
    ids = raw.drop_duplicates()["Record ID"]
    conflicting = int(ids.duplicated().sum())  # same id, other content: all but one go
    r = crm.load_export(sample, "hubspot", stage_mapping={"Sales Accepted Lead": "sal"})
    groups = problem_groups(r.problems_frame).set_index("reason")
    assert groups.loc["exact duplicate of an earlier row", "n"] == exact > 1
    same_id = "same id as another row with different content; kept the one with most fields"
    assert groups.loc[same_id, "n"] == conflicting > 1
