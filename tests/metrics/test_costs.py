"""Cost per stage and CAC by channel and month.

Values computed by hand from tests/fixtures/crm/hubspot_small.csv (see tests/metrics/conftest.py).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from alignlib import metrics


def test_costs(table, spend):
    c = metrics.costs(table, spend)
    ch = c.by_channel
    assert ch.loc["paid_search", "spend"] == 1800 and ch.loc["paid_search", "lead"] == 3
    assert ch.loc["paid_search", "cost_per_lead"] == pytest.approx(600)
    assert ch.loc["referral", "cost_per_lead"] == pytest.approx(800 / 3)
    assert ch.loc["referral", "won"] == 2 and ch.loc["referral", "cac"] == pytest.approx(400)
    assert math.isnan(ch.loc["paid_search", "cac"])  # 105 won in April: outside the spend months
    assert ch.loc["paid_social", "cost_per_lead"] == 0  # leads with no spend recorded
    assert c.total["cost_per_lead"] == pytest.approx(2800 / 9)
    assert c.total["cost_per_mql"] == pytest.approx(400)
    assert c.total["cac"] == pytest.approx(1400)
    m = c.by_month.loc[(pd.Period("2026-01"), "paid_search")]
    assert m["lead"] == 2 and m["cost_per_lead"] == pytest.approx(500)
