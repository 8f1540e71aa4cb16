"""Loaded copies of the small hand-made exports (tests/fixtures/crm), shared by the loader tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignlib import crm

FIX = Path(__file__).parents[1] / "fixtures" / "crm"
SAL = {"Sales Accepted Lead": "sal"}


@pytest.fixture(scope="module")
def hubspot():
    return crm.load_hubspot(FIX / "hubspot_small.csv", stage_mapping=SAL)


@pytest.fixture(scope="module")
def salesforce():
    return crm.load_salesforce(
        FIX / "salesforce_leads_small.csv", FIX / "salesforce_opportunities_small.csv"
    )


def _problem(result, row, field):
    p = result.problems_frame
    hit = p[(p["row"] == row) & (p["field"] == field)]
    assert len(hit) == 1, (row, field, p.to_string())
    return hit.iloc[0]


@pytest.fixture
def problem():
    """The one problem of a result at (row, field); fails unless there is exactly one."""
    return _problem
