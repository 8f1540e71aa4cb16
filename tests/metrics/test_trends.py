"""Month-over-month, quarter-over-quarter and year-over-year trends.

Values computed by hand from tests/fixtures/crm/hubspot_small.csv (see tests/metrics/conftest.py).
"""

from __future__ import annotations

import pandas as pd
import pytest

from alignlib import metrics

AS_OF = pd.Timestamp("2026-04-20")


def test_trends(table):
    tr = metrics.trends(table, AS_OF)
    assert tr.partial_month == pd.Period("2026-04")
    assert tr.monthly.index.max() == pd.Period("2026-03")
    assert tr.mom.loc[pd.Period("2026-02"), "lead"] == pytest.approx(-0.6)
    assert tr.mom.loc[pd.Period("2026-03"), "lead"] == 0
    assert tr.rolling3.loc[pd.Period("2026-03"), "lead"] == pytest.approx(3.0)
    assert tr.quarterly.loc[pd.Period("2026Q1"), "lead"] == 9
    assert bool(tr.quarterly.loc[pd.Period("2026Q1"), "complete"])
    assert tr.yoy.isna().all().all()  # less than a year of history
    # Month-end as_of: the month counts as complete.
    assert metrics.trends(table, "2026-04-30").partial_month is None


def test_trends_yoy_and_qoq_on_the_sample_truth():
    from alignlib.sample import simulate_contacts

    t = simulate_contacts(5, scale=0.3)
    t = t.assign(**{f"reached_{s}": t[f"entered_{s}"].notna() for s in metrics.stages_of(t)})
    tr = metrics.trends(t, "2026-11-20")
    v = tr.monthly["lead"]
    expected = (v[pd.Period("2026-09")] - v[pd.Period("2025-09")]) / v[pd.Period("2025-09")]
    assert tr.yoy.loc[pd.Period("2026-09"), "lead"] == pytest.approx(expected)
    q = tr.quarterly["lead"]
    assert tr.qoq.loc[pd.Period("2026Q3"), "lead"] == pytest.approx(q["2026Q3"] / q["2026Q2"] - 1)
    assert pd.Period("2026Q4") not in tr.qoq.index  # incomplete quarter
