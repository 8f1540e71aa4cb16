"""Actual entries against the plan: pacing, projection, the as-of cutoff.

Values computed by hand from tests/fixtures/crm/hubspot_small.csv (see tests/metrics/conftest.py).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from alignlib import crm, metrics
from alignlib.errors import InputError


def test_actual_to_plan(table):
    months = pd.period_range("2026-01", "2026-03", freq="M")
    plan = pd.DataFrame({"lead": [4, 4, 4], "mql": [3, 3, 3], "won": [1, 1, 1]}, index=months)
    a = metrics.actual_to_plan(table, plan, "2026-03-16")
    s = a.summary
    elapsed = 16 / 31
    assert s.loc["lead", "plan_to_date"] == pytest.approx(8 + 4 * elapsed)
    assert s.loc["lead", "actual_to_date"] == 9  # 5 + 2 + 2 (107 on 3/1, 109 on 3/10)
    assert s.loc["lead", "pacing"] == pytest.approx(9 / (8 + 4 * elapsed))
    assert s.loc["lead", "projected"] == pytest.approx(12 * 9 / (8 + 4 * elapsed))
    assert s.loc["won", "actual_to_date"] == 1  # 114 in Feb; 104 closes after as_of
    assert s.loc["won", "variance_to_date"] == pytest.approx(1 - (2 + elapsed))
    m = a.monthly.loc[(pd.Period("2026-01"), "lead")]
    assert (m["plan"], m["actual"], m["variance"]) == (4, 5, 1)
    assert m["attainment"] == pytest.approx(1.25) and bool(m["complete"])
    # Before the plan window: no pacing, projection = plan.
    early = metrics.actual_to_plan(table, plan, "2025-12-01").summary
    assert math.isnan(early.loc["lead", "pacing"]) and early.loc["lead", "projected"] == 12
    with pytest.raises(InputError, match="no stage columns"):
        metrics.actual_to_plan(table, plan.rename(columns=str.upper), "2026-03-16")


def test_actual_to_plan_against_the_lead_plan():
    from alignlib.params import load_params
    from alignlib.paths import DEFAULT_PARAMS
    from alignlib.planning import build_plan

    p = load_params(DEFAULT_PARAMS)
    plan = build_plan(p)
    monthly = getattr(plan, "monthly", None)
    if not isinstance(monthly, pd.DataFrame):
        pytest.skip("plan.monthly is not a DataFrame yet")
    t = crm.load_actuals(p).table
    a = metrics.actual_to_plan(t, monthly, "2026-11-20")
    assert set(a.summary.index) <= set(p.stage_names)
    assert (a.summary["actual_to_date"] >= 0).all()


@pytest.mark.parametrize("as_of", ["2026-01-31", "2026-02-01", "2026-03-15", "2026-04-30"])
def test_actual_to_plan_counts_entries_up_to_the_as_of_day(table, as_of):
    plan = pd.DataFrame(
        {"lead": [5.0, 5.0, 5.0, 5.0], "won": [1.0, 1.0, 1.0, 1.0]},
        index=pd.period_range("2026-01", periods=4, freq="M"),
    )
    a = metrics.actual_to_plan(table, plan, as_of)
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    cur = pd.Timestamp(as_of).to_period("M")
    for s in ("lead", "won"):
        d = table[f"entered_{s}"]
        d = d[d < cutoff]
        by_month = d.dt.to_period("M").value_counts()
        for m in plan.index:
            expected = int(by_month.get(m, 0)) if m <= cur else 0
            assert a.monthly.loc[(m, s), "actual"] == expected, (as_of, m, s)
