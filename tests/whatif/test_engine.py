"""The what-if engine: the base is the report's headline; moves run on common random numbers."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from alignlib import paths
from alignlib import simulation as sim
from alignlib.errors import InputError
from alignlib.params import load_params
from alignlib.planning import build_plan, replan_funnel
from alignlib.whatif import Levers, WhatIfEngine
from alignlib.whatif.engine import _monotone_map

TRIALS = 4_000


@pytest.fixture(scope="module")
def params():
    return load_params(paths.DEFAULT_PARAMS)


@pytest.fixture(scope="module")
def engine(params):
    return WhatIfEngine(params, trials=TRIALS, seed=params.simulation.seed)


def test_base_state_is_the_reports_headline(params, engine) -> None:
    # the quarterly plan's headline: simulate_from_params with the same trials and seed
    report = sim.simulate_from_params(params, trials=TRIALS, seed=params.simulation.seed)
    base = engine.evaluate(engine.base)
    assert base.is_base and not base.leads_given
    assert base.p_hit == report.p_hit(params.target.bookings)
    plan = build_plan(params)
    assert base.required_leads == plan.funnel.leads
    assert base.budget == pytest.approx(plan.budget)
    # given the report's run, it is not run again and gives the same
    again = WhatIfEngine(params, trials=TRIALS, seed=params.simulation.seed, base_result=report)
    assert again.evaluate(again.base).p_hit == base.p_hit


def test_p_hit_is_monotone_and_smooth_in_leads(engine) -> None:
    n = engine.base_leads
    steps = [n * k for k in np.linspace(0.9, 1.1, 21)]
    p = [engine.evaluate(replace(engine.base, leads=x)).p_hit for x in steps]
    assert all(a <= b for a, b in zip(p, p[1:], strict=False))
    # one lead more or less moves P(hit) by a hair, not by Monte Carlo noise
    around = [engine.evaluate(replace(engine.base, leads=n + d)).p_hit for d in (-1, 1)]
    base = engine.evaluate(engine.base).p_hit
    assert around[0] <= base <= around[1] and around[1] - around[0] < 0.01


def test_rates_target_and_deal_size_move_the_odds_the_right_way(params, engine) -> None:
    base = engine.evaluate(engine.base)
    given = replace(engine.base, leads=engine.base_leads)
    better = list(engine.base.rates)
    better[1] *= 1.05
    assert engine.evaluate(replace(given, rates=tuple(better))).p_hit >= base.p_hit
    assert engine.evaluate(replace(given, deal_size=params.deal_size.mean * 1.05)).p_hit >= (
        base.p_hit
    )
    assert engine.evaluate(replace(given, target=params.target.bookings * 1.1)).p_hit <= (
        base.p_hit
    )
    # leads following the plan re-plan through the channels (the planner's replan_funnel)
    moved = engine.evaluate(replace(engine.base, rates=tuple(better)))
    expected = replan_funnel(params, rates={"mql": better[1]})
    assert moved.required_leads == float(expected.leads)
    assert moved.leads == moved.required_leads and not moved.leads_given


def test_channel_shares_move_the_cost_and_the_plan(params, engine) -> None:
    shares = list(engine.base.shares)
    shares[3] += 0.1  # more content and SEO (cheap), normalised
    out = engine.evaluate(replace(engine.base, shares=tuple(shares)))
    base = engine.evaluate(engine.base)
    assert out.cost_per_lead < base.cost_per_lead
    assert out.budget == pytest.approx(out.leads * out.cost_per_lead)
    assert out.required_leads != base.required_leads  # channels convert differently


def test_lags_and_sla_are_levers(params, engine) -> None:
    lags = list(engine.base.lags)
    lags[-1] += 30  # opportunities close a month later
    out = engine.evaluate(replace(engine.base, lags=tuple(lags)))
    assert 0 <= out.p_hit <= 1 and not out.is_base
    assert engine.evaluate(replace(engine.base, sla_hours=1.0)).is_base  # not in the simulation


def test_bad_levers_are_refused(engine) -> None:
    with pytest.raises(InputError, match="positive"):
        engine.evaluate(replace(engine.base, target=0.0))
    with pytest.raises(InputError, match=r"\(0, 1\]"):
        engine.evaluate(replace(engine.base, rates=(1.5, *engine.base.rates[1:])))
    with pytest.raises(InputError, match="shares add up to 0"):
        engine.evaluate(replace(engine.base, shares=tuple(0.0 for _ in engine.base.shares)))


def test_levers_of_a_bare_two_stage_funnel(params_dict, write_params) -> None:
    for key in ("capacity", "sla", "scenarios", "lag_days", "pipeline"):
        params_dict.pop(key, None)
    params_dict["stages"] = [
        {"name": "mql", "label": "MQL", "owner": "marketing"},
        {"name": "won", "label": "Won", "owner": "sales"},
    ]
    params_dict["conversion_rates"] = {"mql": 0.1}
    params_dict["channels"] = {"web": {"share": 1.0}}
    p = load_params(write_params(params_dict))
    e = WhatIfEngine(p, trials=500, seed=1)
    assert e.base == Levers(
        target=p.target.bookings, deal_size=p.deal_size.mean, rates=(0.1,), shares=(1.0,)
    )
    out = e.evaluate(replace(e.base, leads=900.0))
    assert np.isnan(out.budget) and out.leads_given and 0 <= out.p_hit <= 1


def test_the_map_onto_the_base_is_monotone_and_continuous() -> None:
    xp = np.array([1.0, 2.0, 4.0])
    fp = np.array([10.0, 20.0, 40.0])
    x = np.array([0.0, 1.0, 1.5, 4.0, 5.0])
    assert _monotone_map(xp, fp, x).tolist() == [9.0, 10.0, 15.0, 40.0, 41.0]


def test_an_update_takes_under_about_a_second_with_the_reports_trials(params) -> None:
    """The quarterly plan's 20,000 trials: time one lever move (the panel's update)."""
    e = WhatIfEngine(params, trials=20_000, seed=params.simulation.seed)
    times = []
    for k in (1.01, 1.02, 1.03):
        t = time.perf_counter()
        e.evaluate(replace(e.base, leads=e.base_leads * k))
        times.append(time.perf_counter() - t)
    print(f"what-if update at 20,000 trials: {min(times):.2f} s (best of 3)")
    assert min(times) < 1.5  # about a second on a shared 2-core machine
