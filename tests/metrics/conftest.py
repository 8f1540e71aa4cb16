"""The small HubSpot export's normalised table and spend file, shared by the metric tests.

Accepted contacts (id: created, stages reached):
101 Jan lead; 102 Jan mql (recycled); 103 Jan sal; 104 Jan won; 114 Jan won (Evangelist);
105 Feb won (skipped SAL/SQL); 106 Feb lost; 107 Mar open opportunity; 108 Mar subscriber;
109 Mar mql (lifecycle only).

Rows 111 and 113 are kept too (each without one bad field: an MQL date out of order, a
negative amount); the figures these tests work out by hand are over the ten above, so
the fixture leaves those two out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alignlib import crm

FIX = Path(__file__).parents[1] / "fixtures" / "crm"


#: The contacts the hand-computed figures are over (every field as written).
CLEAN = ("101", "102", "103", "104", "105", "106", "107", "108", "109", "114")


@pytest.fixture(scope="module")
def table():
    t = crm.load_hubspot(
        FIX / "hubspot_small.csv", stage_mapping={"Sales Accepted Lead": "sal"}
    ).table
    return t[t["id"].isin(CLEAN)].reset_index(drop=True)


@pytest.fixture(scope="module")
def spend():
    return crm.load_spend(FIX / "spend_small.csv")
