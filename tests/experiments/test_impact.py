"""Revenue impact of shipping a variant, through the simulation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from alignlib import experiments as ex
from alignlib.errors import InputError


@pytest.fixture
def quarter(params_dict, write_params):
    """A quarter without lags, so expected bookings have a closed form."""
    from alignlib.params import load_params

    params_dict.pop("lag_days", None)
    return load_params(write_params(params_dict))


def _beta_mean(c, n):
    return (1 + c) / (2 + n)


def _expected_bookings_parts(params, stage):
    from alignlib import simulation as sim

    lam = sim.model_from_params(params).leads.mean
    means = []
    for spec in params.rate_inputs:
        means.append(_beta_mean(*spec) if isinstance(spec, tuple) else float(spec))
    i = params.stage_names.index(stage)
    others = float(np.prod([m for j, m in enumerate(means) if j != i]))
    return lam * params.deal_size.mean * others, means[i]


def test_revenue_impact_lift_matches_closed_form(quarter):
    comp = ex.compare_proportions((2000, 10_000), (2400, 10_000), stage="sal")
    impact = ex.revenue_impact(quarter, comp, trials=40_000, seed=11)
    scale, base_rate = _expected_bookings_parts(quarter, "sal")
    a_c, b_c = 2001, 8001
    e_lift = _beta_mean(2400, 10_000) * (a_c + b_c - 1) / (a_c - 1)  # E[p_v] E[1/p_c]
    exact_delta = scale * base_rate * (e_lift - 1)
    se = impact.delta_bookings.std(ddof=1) / math.sqrt(impact.trials)
    assert impact.expected_delta_se == pytest.approx(se)
    assert abs(impact.expected_delta - exact_delta) < 5 * se
    assert impact.lift_mean == pytest.approx(e_lift - 1, abs=5e-3)
    assert impact.prob_hit_variant >= impact.prob_hit_control
    assert impact.delta_interval[0] <= impact.expected_delta <= impact.delta_interval[1]
    assert "the chance of the" in impact.message and "SAL->SQL" in impact.message
    json.dumps(impact.to_dict())


def test_revenue_impact_replace_mode_matches_closed_form(quarter):
    comp = ex.compare_proportions((1500, 5000), (1750, 5000), stage="sql")
    impact = ex.revenue_impact(quarter, comp, mode="replace", trials=40_000, seed=3)
    scale, _ = _expected_bookings_parts(quarter, "sql")
    exact_delta = scale * (_beta_mean(1750, 5000) - _beta_mean(1500, 5000))
    se = impact.delta_bookings.std(ddof=1) / math.sqrt(impact.trials)
    assert abs(impact.expected_delta - exact_delta) < 5 * se
    # Monte Carlo error of each arm's mean is far larger than of the paired difference.
    assert impact.expected_bookings_variant - impact.expected_bookings_control == pytest.approx(
        impact.expected_delta
    )


def test_revenue_impact_common_random_numbers(quarter):
    # A variant better in every trial never loses bookings in any simulated quarter.
    comp = ex.compare_proportions((200_000, 1_000_000), (260_000, 1_000_000), stage="sal")
    impact = ex.revenue_impact(quarter, comp, trials=20_000, seed=5)
    assert np.all(impact.delta_bookings >= 0)
    assert impact.prob_hit_variant >= impact.prob_hit_control
    # No rollout: no change at all, in any trial.
    none = ex.revenue_impact(quarter, comp, trials=20_000, seed=5, rollout_share=0.0)
    assert np.all(none.delta_bookings == 0) and none.prob_hit_delta == 0
    # Same seed, same numbers.
    again = ex.revenue_impact(quarter, comp, trials=20_000, seed=5)
    assert again.expected_delta == impact.expected_delta


def test_revenue_impact_picks_variant_and_rejects_bad_input(quarter):
    comp = ex.compare_variants((200, 1000), {"a": (190, 1000), "b": (240, 1000)}, stage="sal")
    impact = ex.revenue_impact(quarter, comp, trials=2_000, seed=1)
    assert impact.variant_name == "b"
    with pytest.raises(InputError, match="no variant 'c'"):
        ex.revenue_impact(quarter, comp, "c", trials=2_000)
    won = ex.compare_proportions((200, 1000), (240, 1000), stage="won")
    with pytest.raises(InputError, match="not a converting stage"):
        ex.revenue_impact(quarter, won, trials=2_000)
    with pytest.raises(InputError, match="rollout_share"):
        ex.revenue_impact(quarter, comp, trials=2_000, rollout_share=1.5)
