"""From a parameters file: the model a quarter implies, and the runs with the file's settings."""

from __future__ import annotations

import pytest

from alignlib.simulation import (
    model_from_params,
    plan_from_params,
    sensitivity_from_params,
    simulate_from_params,
)

# --------------------------------------------------------------------------- params


@pytest.fixture
def params(params_dict, write_params):
    from alignlib.params import load_params

    return load_params(write_params(params_dict))


def test_simulate_from_params_maps_the_quarter(params):
    model = model_from_params(params)
    assert model.stages == tuple(params.stage_names)
    assert [r.spec for r in model.rates] == list(params.rate_inputs)
    assert model.quarter_days == 92.0  # Oct-Dec
    assert model.lead_window_start == -sum(lag.typical for lag in params.lags)
    assert model.carry_in
    res = simulate_from_params(params)
    assert res.trials == params.simulation.trials and res.seed == params.simulation.seed
    from alignlib.planning import reverse_funnel

    point = reverse_funnel(
        params.target.bookings, params.deal_size.mean, params.stage_names, params.rates
    )
    assert res.leads.mean() == pytest.approx(point.leads, rel=0.02)
    assert 0 <= res.p_hit(params.target.bookings) <= 1
    fixed = simulate_from_params(params, leads=1234, trials=50, seed=1)
    assert fixed.leads.mean() == pytest.approx(1234, rel=0.05)


def test_plan_and_sensitivity_from_params(params):
    plan = plan_from_params(params, trials=5000)
    assert plan.confidence == params.simulation.confidence
    assert plan.p_hit >= plan.confidence and plan.leads > 0
    sens = sensitivity_from_params(params, trials=5000)
    assert {r["kind"] for r in sens.rows} == {"conversion_rate", "lead_volume", "deal_size"}


def test_trials_default_to_the_files():
    from alignlib.params import load_params
    from alignlib.paths import PARAMS_DIR

    params = load_params(PARAMS_DIR / "2026Q4-enterprise.yaml")
    small = params.model_copy(
        update={"simulation": params.simulation.model_copy(update={"trials": 3000})}
    )
    assert plan_from_params(small).trials == 3000
    assert sensitivity_from_params(small).trials == 3000
    assert simulate_from_params(small).trials == 3000


@pytest.mark.parametrize(
    ("name", "p_hit", "plan_leads", "plan_p_hit", "base_p_hit"),
    [
        ("2026Q4.yaml", 0.4964, 8074, 0.8, 0.4934),
        ("2026Q4-enterprise.yaml", 0.4736, 717, 0.8006, 0.4742),
    ],
)
def test_sample_numbers_are_those_before_the_model(name, p_hit, plan_leads, plan_p_hit, base_p_hit):
    # recorded with the flat module (alignlib/simulation.py) before FunnelModel held the inputs
    from alignlib.params import load_params
    from alignlib.paths import PARAMS_DIR

    params = load_params(PARAMS_DIR / name)
    target = params.target.bookings
    assert simulate_from_params(params, trials=5000).p_hit(target) == p_hit
    plan = plan_from_params(params, trials=5000)
    assert (plan.leads, plan.p_hit) == (plan_leads, plan_p_hit)
    assert sensitivity_from_params(params, trials=5000).base_p_hit == base_p_hit
