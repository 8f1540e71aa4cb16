"""Days between stages.

Values computed by hand from tests/fixtures/crm/hubspot_small.csv (see tests/metrics/conftest.py).
"""

from __future__ import annotations

import pytest

from alignlib import metrics


def test_velocity(table):
    v = metrics.velocity(table)
    row = v.summary.loc["lead_to_mql"]
    # 102: 4 d, 103: 2, 104: 0.125, 105: 1, 106: 2, 107: 1, 114: 1
    assert row["n"] == 7
    assert row["median"] == pytest.approx(1.0)
    assert row["p90"] == pytest.approx(2.8)
    assert row["mean"] == pytest.approx(11.125 / 7)
    assert v.summary.loc["lead_to_won", "n"] == 3
    by = v.by_group.loc[("lead_to_mql", "referral")]
    assert by["n"] == 3 and by["median"] == pytest.approx(1.0)  # 104 (0.125), 107, 114
    assert set(v.distribution.columns) == {"transition", "channel", "days"}


def test_a_two_stage_funnel_has_one_step_not_a_repeated_top_to_bottom():
    """Issue 11: the top-to-bottom pair of a two-stage funnel is its only step."""
    from alignlib.synthetic import SyntheticFunnel, synthetic_table

    funnel = SyntheticFunnel(("opportunity", "won"), (0.4,), (20.0,), monthly_leads=80)
    t = synthetic_table(funnel, start="2025-01-01", months=6, as_of="2025-08-01", seed=1)
    v = metrics.velocity(t)
    assert list(v.summary.index) == ["opportunity_to_won"]
    assert v.summary.loc["opportunity_to_won", "n"] == t["entered_won"].notna().sum()
    three = SyntheticFunnel(("a", "b", "c"), (0.5, 0.5), (5.0, 5.0), monthly_leads=80)
    t3 = synthetic_table(three, start="2025-01-01", months=6, as_of="2025-08-01", seed=1)
    assert list(metrics.velocity(t3).summary.index) == ["a_to_b", "b_to_c", "a_to_c"]
