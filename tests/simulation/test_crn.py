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


# --------------------------------------------------------------------------- issue 12


def test_scaling_moves_only_this_quarters_leads():
    # 120-day lag, 91-day quarter: only windows -1 (62/91 of its deals) and -2 (29/91)
    # land in the quarter; they keep the leads that arrived, whatever this window's volume
    import math

    from alignlib.simulation import simulate_funnel
    from tests.simulation._simulation_helpers import within

    model = dataclasses.replace(
        build_model(
            leads=100,
            stages=["lead", "won"],
            rates=[1.0],
            deal_size=1.0,
            lags=[(120, 0)],
            quarter_days=91,
            carry_in=True,
        ),
        prior_leads=(LeadVolume.fixed(50), LeadVolume.fixed(10)),
    )
    crn = CommonRandomNumbers.draw(model, 5000, 2)
    _, at_100 = crn.wins(100)
    _, at_1000 = crn.wins(1000)
    np.testing.assert_array_equal(at_100, at_1000)
    a = 62 / 91
    exact = 50 * a + 10 * (1 - a)
    var = 50 * a * (1 - a) + 10 * a * (1 - a)
    within(at_100.mean(), exact, math.sqrt(var / 5000))
    res = simulate_funnel(model, trials=20_000, seed=3)
    within(res.won_in_quarter.mean(), exact, math.sqrt(var / 20_000))


def test_with_carry_in_the_previous_windows_contribution_is_unchanged():
    # short lags: this window, the previous and the next all land deals in the quarter;
    # scaling this window changes its own and the next window's wins, not the previous one's
    model = _model(leads=LeadVolume.poisson(4000))
    crn = CommonRandomNumbers.draw(model, 4000, 5)
    assert model.carry_windows == (-1, 1)

    def previous_window(lead_mean):
        no_prev = dataclasses.replace(crn, u_carry=crn.u_carry.copy())
        no_prev.u_carry[0] = 2.0**-54  # the previous window at its lowest outcome: 0 deals
        return crn.wins(lead_mean)[1] - no_prev.wins(lead_mean)[1]

    np.testing.assert_array_equal(previous_window(4000), previous_window(8000))
    assert previous_window(4000).sum() > 0
    assert (crn.wins(8000)[1] >= crn.wins(4000)[1]).all()
