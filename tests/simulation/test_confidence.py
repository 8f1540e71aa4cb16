"""The plan sized for confidence: minimal, monotone, against exact binomial tails."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from alignlib.errors import InputError
from alignlib.simulation import (
    CommonRandomNumbers,
    LeadVolume,
    build_model,
    plan_for_confidence,
    simulate_funnel,
)
from tests.simulation._simulation_helpers import COUNT_RATES, FIXED_RATES, STAGES, K
from tests.simulation._simulation_helpers import within as _within

# --------------------------------------------------------------------------- confidence plan


def test_confidence_plan_is_the_smallest_volume_and_matches_exact_binomial():
    # fixed leads, fixed rates, fixed deal size: P(hit) at N leads is an exact binomial tail
    target, deal, conf, trials = 200_000.0, 10_000.0, 0.8, 50_000
    rates = [0.4, 0.5, 0.25]
    plan = plan_for_confidence(
        target=target,
        confidence=conf,
        leads=1,
        stages=["lead", "mql", "sql", "won"],
        rates=rates,
        deal_size=deal,
        trials=trials,
        seed=3,
    )
    p = math.prod(rates)
    need = math.ceil(target / deal)

    def exact(n: int) -> float:
        return float(stats.binom.sf(need - 1, n, p))

    se = math.sqrt(conf * (1 - conf) / trials)
    n_lo = next(n for n in range(need, 10 * need * 20) if exact(n) >= conf - K * se)
    n_hi = next(n for n in range(need, 10 * need * 20) if exact(n) >= conf + K * se)
    assert n_lo <= plan.leads <= n_hi
    assert plan.p_hit >= conf
    assert plan.point_leads == math.ceil(target / deal / p)  # the reverse funnel's answer
    assert plan.point_p_hit < conf < plan.p_hit + 1e-12
    assert plan.leads > plan.point_leads


def test_confidence_plan_is_minimal_monotone_and_agrees_with_simulation():
    kwargs = dict(
        leads=LeadVolume.poisson(1),
        stages=STAGES,
        rates=COUNT_RATES,
        deal_size=(20_000, 8_000),
        lags=[(5, 2), (3, 2), (7, 3), (10, 5), (30, 10)],
        lead_window_start=-55,
    )
    target = 1_000_000.0
    plan = plan_for_confidence(target=target, confidence=0.9, trials=20_000, seed=5, **kwargs)
    model = build_model(**kwargs)
    crn = CommonRandomNumbers.draw(model, 20_000, plan.seed)
    assert crn.p_hit(target, plan.leads) >= 0.9 > crn.p_hit(target, plan.leads - 1)
    grid = np.linspace(plan.leads * 0.5, plan.leads * 1.5, 9)
    p_grid = [crn.p_hit(target, x) for x in grid]
    assert all(b >= a for a, b in zip(p_grid, p_grid[1:], strict=False))
    # the plain simulator at that volume agrees within Monte Carlo error
    trials = 40_000
    sim = simulate_funnel(
        **{**kwargs, "leads": LeadVolume.poisson(plan.leads)}, trials=trials, seed=77
    )
    se = math.sqrt(0.9 * 0.1 / trials + 0.9 * 0.1 / 20_000)
    _within(sim.p_hit(target), plan.p_hit, se)
    # stage volumes are leads x posterior-mean rates; the table pairs them with the point plan
    frame = plan.to_frame()
    assert list(frame.columns) == ["point_plan", "confidence_plan", "difference"]
    assert frame.loc["won", "confidence_plan"] == pytest.approx(
        plan.leads * math.prod((1 + c) / (2 + t) for c, t in COUNT_RATES)
    )
    json.dumps(plan.to_dict())
    again = plan_for_confidence(target=target, confidence=0.9, trials=20_000, seed=5, **kwargs)
    assert again == plan


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.2])
def test_confidence_must_be_a_probability(confidence):
    with pytest.raises(InputError, match="confidence"):
        plan_for_confidence(
            target=1e6, confidence=confidence, stages=STAGES, rates=FIXED_RATES, deal_size=1e4
        )
