"""summarise: no personal data in it, and the same as each metric on its own.

Values computed by hand from tests/fixtures/crm/hubspot_small.csv (see tests/metrics/conftest.py).
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from alignlib import crm, metrics
from alignlib.metrics.summary import CONVERSION_GROUPS


def test_summarise_on_sample_has_no_personal_data():
    from alignlib.paths import SAMPLE_DIR

    path = SAMPLE_DIR / "hubspot_contacts.csv"
    r = crm.load_hubspot(path, stage_mapping={"Sales Accepted Lead": "sal"})
    out = metrics.summarise(
        r.table,
        "2026-11-20",
        spend=crm.load_spend(SAMPLE_DIR / "marketing_spend.csv"),
        acceptance_hours=48,
    )
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["Email", "Last Name"])
    text = []
    for v in out.values():
        if isinstance(v, pd.DataFrame):
            text.append(v.to_csv())
        elif hasattr(v, "to_dict"):
            text.append(json.dumps(v.to_dict(), default=str))
        else:
            text.append(json.dumps(v, default=str))
    blob = "\n".join(text)
    assert "@example.com" not in blob
    last_names = set(raw["Last Name"])
    assert not [n for n in last_names if f",{n}," in blob or f'"{n}"' in blob]
    # The sample's implied rates are those data/sample/README.md states.
    h = out["historical_counts"]
    assert h["lead"][0] / h["lead"][1] == pytest.approx(0.305, abs=0.02)
    assert h["opportunity"][0] / h["opportunity"][1] == pytest.approx(0.29, abs=0.04)


def _assert_same(a, b, path="result"):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=path)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True, obj=path)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _assert_same(a[k], b[k], f"{path}.{k}")
    elif hasattr(a, "__dataclass_fields__"):
        for k in a.__dataclass_fields__:
            _assert_same(getattr(a, k), getattr(b, k), f"{path}.{k}")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), path
    else:
        assert a == b, path


def test_summarise_equals_each_metric_on_its_own():
    from alignlib.paths import SAMPLE_DIR

    t = crm.load_hubspot(
        SAMPLE_DIR / "hubspot_contacts.csv", stage_mapping={"Sales Accepted Lead": "sal"}
    ).table
    spend = crm.load_spend(SAMPLE_DIR / "marketing_spend.csv")
    plan = pd.DataFrame(
        {"lead": [4000.0, 4200.0, 4400.0], "won": [40.0, 42.0, 44.0]},
        index=pd.period_range("2026-10", periods=3, freq="M"),
    )
    as_of = "2026-11-20"
    together = metrics.summarise(
        t, as_of, spend=spend, sla_hours=4, acceptance_hours=48, plan_monthly=plan
    )
    alone = {
        "funnel": metrics.funnel(t),
        "period_conversion": metrics.period_conversion(t),
        "cohort_conversion": metrics.cohort_conversion(t, as_of),
        "historical_counts": metrics.historical_counts(t, as_of),
        "velocity": metrics.velocity(t),
        "won_lost": metrics.won_lost(t),
        **{f"conversion_by_{by}": metrics.conversion_by(t, by) for by in CONVERSION_GROUPS},
        "trends": metrics.trends(t, as_of),
        "forecast": metrics.forecast_volumes(t, as_of),
        "sla": metrics.sla(t, as_of, 4, acceptance_hours=48),
        "costs": metrics.costs(t, spend),
        "actual_to_plan": metrics.actual_to_plan(t, plan, as_of),
    }
    _assert_same(dict(together), alone)


def test_summarise_for_any_funnel_shape_without_sla_or_history_to_forecast():
    """Issue 11: the hand-off stage is the funnel's; no SLA and no complete month leave keys out."""
    from alignlib.synthetic import SyntheticFunnel, synthetic_table

    funnel = SyntheticFunnel(("opportunity", "won"), (0.4,), (20.0,), monthly_leads=80)
    t = synthetic_table(funnel, start="2025-03-01", months=1, as_of="2025-03-25", seed=1)
    out = metrics.summarise(t, "2025-03-25", sla_hours=None)
    assert "sla" not in out and "forecast" not in out
    assert list(out["velocity"].summary.index) == ["opportunity_to_won"]
    t = synthetic_table(funnel, start="2025-01-01", months=3, as_of="2025-03-25", seed=1)
    out = metrics.summarise(t, "2025-03-25", sla_hours=4, handoff_stage="opportunity")
    assert out["sla"].summary["handoffs"] > 0
    assert "forecast" in out
