"""Common random numbers: reproducible, monotone in the lead volume, neutral at zero."""

from __future__ import annotations

import dataclasses

import numpy as np

from alignlib.simulation import CommonRandomNumbers, LeadVolume, build_model
from tests.simulation._simulation_helpers import COUNT_RATES, STAGES


def _model(**change):
    kwargs = dict(
        leads=LeadVolume.poisson(1),
        stages=STAGES,
        rates=COUNT_RATES,
        deal_size=(20_000, 8_000),
        lags=[(5, 2), (3, 2), (7, 3), (10, 5), (30, 10)],
        lead_window_start=-55,
        carry_in=True,
    )
    return build_model(**(kwargs | change))


def test_same_seed_same_draws_and_p_hit_monotone_in_leads():
    a = CommonRandomNumbers.draw(_model(), 3000, 9)
    b = CommonRandomNumbers.draw(_model(), 3000, 9)
    np.testing.assert_array_equal(a.rate_draws, b.rate_draws)
    np.testing.assert_array_equal(a.u_won, b.u_won)
    assert a.rate_draws.shape == (len(COUNT_RATES), 3000) and a.u_carry.shape == (2, 3000)
    p = [a.p_hit(500_000.0, n) for n in (1000, 2000, 4000, 8000)]
    assert p == sorted(p) and 0 <= p[0] < p[-1] <= 1
    assert a.p_hit(500_000.0, 0) == 0.0 and a.p_hit(0.0, 0) == 1.0


def test_draws_do_not_depend_on_the_lead_volume():
    # the uniforms are shared by every model of the same shape: swinging an input is fair
    a = CommonRandomNumbers.draw(_model(), 2000, 4)
    b = CommonRandomNumbers.draw(
        dataclasses.replace(_model(), leads=LeadVolume.poisson(50)), 2000, 4
    )
    np.testing.assert_array_equal(a.u_won, b.u_won)
    np.testing.assert_array_equal(a.rate_draws, b.rate_draws)
