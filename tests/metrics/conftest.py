"""The small HubSpot export's normalised table and spend file, shared by the metric tests.

Accepted contacts (id: created, stages reached):
101 Jan lead; 102 Jan mql (recycled); 103 Jan sal; 104 Jan won; 114 Jan won (Evangelist);
105 Feb won (skipped SAL/SQL); 106 Feb lost; 107 Mar open opportunity; 108 Mar subscriber;
109 Mar mql (lifecycle only).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alignlib import crm

FIX = Path(__file__).parents[1] / "fixtures" / "crm"


@pytest.fixture(scope="module")
def table():
    return crm.load_hubspot(
        FIX / "hubspot_small.csv", stage_mapping={"Sales Accepted Lead": "sal"}
    ).table


@pytest.fixture(scope="module")
def spend():
    return crm.load_spend(FIX / "spend_small.csv")
