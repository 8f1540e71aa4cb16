"""Drafting an actuals: block from an export's header and label columns."""

from __future__ import annotations

import yaml

from alignlib.crm.suggest import guess_columns, suggest_actuals
from tests.crm._shapes_helpers import FIX


def test_guess_columns_from_header_names():
    cols = guess_columns(
        ["Lead_ID", "Created At", "utm_source", "MQL date", "Won at", "Deal Value", "Email"],
        ("lead", "mql", "won"),
    )
    assert cols == {
        "id": "Lead_ID",
        "created": "Created At",
        "source": "utm_source",
        "amount": "Deal Value",
        "entered_mql": "MQL date",
        "entered_won": "Won at",
    }


def test_suggest_recognises_each_shape():
    cases = {
        "hubspot_small.csv": ("hubspot", "HubSpot contacts export"),
        "hubspot_deals_small.csv": ("hubspot_deals", "HubSpot deals export"),
        "salesforce_leads_small.csv": ("salesforce", "Salesforce leads export (API names)"),
        "salesforce_report_leads.csv": (
            "salesforce",
            "Salesforce leads export (report export, field labels)",
        ),
        "salesforce_report_opportunity_only.csv": (
            "salesforce",
            "Salesforce opportunities export on its own (report export, field labels)",
        ),
        "generic_small.csv": ("csv", "generic CSV (columns guessed from the header names)"),
    }
    for name, (fmt, description) in cases.items():
        s = suggest_actuals(FIX / name)
        assert (s.format, s.description) == (fmt, description), name
        draft = yaml.safe_load(s.to_yaml())
        assert draft["actuals"]["format"] == fmt


def test_suggest_date_orders_and_labels():
    s = suggest_actuals(FIX / "salesforce_report_leads.csv")
    assert s.date_orders["Create Date"] in ("MDY", "dates: detected when loaded")
    labels = {p.label: (p.proposed, p.known) for p in s.stage_labels}
    assert labels["Closed - Converted"] == ("sql", True)
    s = suggest_actuals(FIX / "hubspot_small.csv")
    labels = {p.label: (p.proposed, p.known) for p in s.stage_labels}
    assert labels["Sales Accepted Lead"] == ("sal", False)  # a guess, marked # check
    assert labels["Customer"] == ("won", True)
    assert '"Sales Accepted Lead": sal  # check' in s.to_yaml()


def test_suggest_never_shows_contact_values():
    for name in ("hubspot_small.csv", "salesforce_report_leads.csv", "generic_small.csv"):
        text = suggest_actuals(FIX / name).to_yaml()
        assert "@example.com" not in text and "qz" not in text, name
