"""HubSpot deals exports: an opportunity-stage funnel from the Date entered "<stage> (<pipeline>)" columns."""

from __future__ import annotations

import pandas as pd

from alignlib import crm
from alignlib.crm.hubspot_deals import date_entered_columns, load_hubspot_deals
from tests.crm._shapes_helpers import FIX

STAGES = ("discovery", "demo", "won")
MAPPING = {"Appointment Scheduled": "discovery", "Presentation Scheduled": "demo"}


def test_date_entered_columns_name_stage_and_pipeline():
    cols = date_entered_columns(
        [
            "Record ID",
            'Date entered "Closed Won (Sales Pipeline)"',
            'Date entered "Demo (Partner (EU))"',
            "Date entered Contract Sent (Sales Pipeline)",
            'Date exited "Closed Won (Sales Pipeline)"',
        ]
    )
    assert cols == {
        'Date entered "Closed Won (Sales Pipeline)"': ("Closed Won", "Sales Pipeline"),
        'Date entered "Demo (Partner (EU))"': ("Demo (Partner (EU))", ""),
        "Date entered Contract Sent (Sales Pipeline)": ("Contract Sent", "Sales Pipeline"),
    }


def test_hubspot_deals_export_gives_an_opportunity_stage_funnel():
    r = crm.load_export(
        FIX / "hubspot_deals_small.csv",
        "hubspot_deals",
        stage_names=STAGES,
        stage_mapping=MAPPING,
    )
    assert r.format == "hubspot_deals"
    assert (r.rows_read, r.accepted, r.rejected) == (5, 5, 0), r.problems_frame
    assert r.reached() == {"discovery": 5, "demo": 3, "won": 1}
    t = r.table.set_index("id")
    assert t.loc["9001", "outcome"] == "won" and t.loc["9002", "outcome"] == "lost"
    assert t.loc["9003", "outcome"] == "open" and t.loc["9005", "outcome"] == "open"
    assert t.loc["9003", "entered_demo"] == pd.Timestamp("2026-02-01 11:00")
    assert t.loc["9001", "entered_won"] == pd.Timestamp("2026-02-10 10:00")
    assert t.loc["9005", "stage"] == "discovery"  # "appointment   scheduled" matches
    assert t.loc["9001", "amount"] == 12_000 and t.loc["9001", "owner"] == "Rep One"
    assert pd.isna(t.loc["9003", "close_date"])  # open: an expected close is no close


def test_hubspot_deals_unknown_stage_is_one_problem_with_the_line_to_add(tmp_path):
    text = (FIX / "hubspot_deals_small.csv").read_text()
    path = tmp_path / "deals.csv"
    path.write_text(text.replace("Presentation Scheduled,5000", "Engaging,5000"))
    r = load_hubspot_deals(path, stage_names=STAGES, stage_mapping=MAPPING)
    assert r.rejected == 1
    (reason,) = r.problems_frame["reason"]
    assert reason.startswith(
        "unknown deal stage 'Engaging' on 1 row: add  stage_mapping: {\"Engaging\": <stage>}"
    )
    r = load_hubspot_deals(path, stage_names=STAGES, stage_mapping={**MAPPING, "engaging": "demo"})
    assert r.rejected == 0 and r.reached()["demo"] == 3
