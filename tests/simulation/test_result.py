"""SimulationResult: accessors, tables, read-only arrays, neutral results."""

from __future__ import annotations

import json

import numpy as np
import pytest

from alignlib.errors import InputError
from alignlib.simulation import simulate_funnel
from tests.simulation._simulation_helpers import COUNT_RATES, STAGES

# --------------------------------------------------------------------------- result object


def test_result_accessors_and_tables():
    res = simulate_funnel(
        leads=2000, stages=STAGES, rates=COUNT_RATES, deal_size=(20_000, 5_000), trials=5000, seed=1
    )
    assert res.won.dtype == np.int32 and res.revenue.dtype == np.float64
    assert res.stage_counts.shape == (6, 5000)
    np.testing.assert_array_equal(res.counts("won"), res.won)
    with pytest.raises(ValueError):
        res.revenue[0] = 1.0  # read-only
    with pytest.raises(InputError, match="stage 'deal'"):
        res.counts("deal")
    q = res.quantiles()
    assert list(q) == ["P10", "P50", "P90"] and q["P10"] <= q["P50"] <= q["P90"]
    target = q["P50"]
    assert res.p_hit(target) == pytest.approx(0.5, abs=0.02)
    assert 0 <= res.p_hit_se(target) < 0.01
    table = res.summary(target=target)
    assert list(table.index) == [*STAGES, "revenue"]
    assert table.loc["lead", "mean"] == 2000 and table.attrs["p_hit"] == res.p_hit(target)
    d = res.to_dict(target=target)
    json.dumps(d)
    assert d["p_hit"] == res.p_hit(target) and d["revenue_quantiles"] == q


def test_zero_leads_is_a_neutral_result():
    res = simulate_funnel(
        leads=0, stages=STAGES, rates=COUNT_RATES, deal_size=(1000, 500), trials=100, seed=1
    )
    assert not res.stage_counts.any() and not res.revenue.any()
    assert res.p_hit(1.0) == 0.0 and res.p_hit(0.0) == 1.0


def test_rate_of_one_passes_everyone():
    res = simulate_funnel(
        leads=50, stages=["a", "b", "c"], rates=[1.0, 1.0], deal_size=2.0, trials=10, seed=1
    )
    assert (res.won == 50).all() and (res.revenue == 100.0).all()
