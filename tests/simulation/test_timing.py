"""Timing: close and carry-in probabilities against per-deal brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alignlib.simulation import (
    Lag,
    LeadVolume,
    carry_in_probabilities,
    close_probabilities,
    plan_for_confidence,
    simulate_funnel,
)
from tests.simulation._simulation_helpers import FIXED_RATES, STAGES
from tests.simulation._simulation_helpers import within as _within

# --------------------------------------------------------------------------- timing


def _brute_force_close(lags, quarter_days, window_start, n, rng):
    arrival = window_start + rng.uniform(0, quarter_days, n)
    total = np.zeros(n)
    for lag in lags:
        if lag.spread == 0:
            total += lag.typical
        else:
            shape = (lag.typical / lag.spread) ** 2
            total += rng.gamma(shape, lag.typical / shape, n)
    close = arrival + total
    return np.mean(close < 0), np.mean((close >= 0) & (close <= quarter_days))


@pytest.mark.parametrize("window_start", [0.0, -60.0])
def test_close_probabilities_match_per_deal_brute_force(window_start):
    lags = [Lag(9, 6), Lag(2, 2), Lag(8, 5), Lag(10, 6), Lag(55, 20)]
    n = 400_000
    before_bf, in_bf = _brute_force_close(lags, 92.0, window_start, n, np.random.default_rng(8))
    before, inside = close_probabilities(lags, 92.0, 1, window_start)
    _within(inside[0], in_bf, math.sqrt(in_bf * (1 - in_bf) / n))
    _within(before[0], before_bf, math.sqrt(max(before_bf * (1 - before_bf), 1e-6) / n))


def test_deterministic_lags_give_the_exact_share_in_quarter():
    # total lag 30 days, arrivals uniform over 90 days: two thirds close inside
    before, inside = close_probabilities([Lag(10, 0), Lag(20, 0)], 90.0, 3)
    np.testing.assert_allclose(inside, [1.0, 1.0, 0.0], atol=1e-3)
    assert not before.any()
    _, whole = close_probabilities([Lag(10, 0), Lag(20, 0)], 90.0, 1)
    assert whole[0] == pytest.approx(2 / 3, abs=1e-3)


def test_carry_in_probabilities_match_brute_force_and_steady_state_keeps_every_deal():
    lags = [Lag(9, 6), Lag(2, 2), Lag(8, 5), Lag(10, 6), Lag(55, 20)]
    q, start, n = 92.0, -84.0, 400_000
    rng = np.random.default_rng(12)
    arrival = start + rng.uniform(0, q, n)
    total = sum(rng.gamma((g.typical / g.spread) ** 2, g.spread**2 / g.typical, n) for g in lags)
    close = arrival + total
    from_prev, from_next = carry_in_probabilities(lags, q, 1, start)
    p_next_q = np.mean((close > q) & (close <= 2 * q))
    p_prev_q = np.mean((close >= -q) & (close < 0))
    _within(from_prev[0], p_next_q, math.sqrt(p_next_q * (1 - p_next_q) / n))
    _within(from_next[0], p_prev_q, math.sqrt(p_prev_q * (1 - p_prev_q) / n))
    # steady state: the same plan every quarter books (almost) every deal in some quarter
    trials = 50_000
    res = simulate_funnel(
        leads=LeadVolume.poisson(3000),
        stages=STAGES,
        rates=FIXED_RATES,
        deal_size=1.0,
        trials=trials,
        seed=13,
        lags=lags,
        quarter_days=q,
        lead_window_start=start,
        carry_in=True,
    )
    m = res.model
    share = m.in_quarter_probability[0] + m.carry_from_previous[0] + m.carry_from_next[0]
    assert share > 0.99
    lam = 3000 * math.prod(FIXED_RATES) * share
    _within(res.won_in_quarter.mean(), lam, math.sqrt(lam / trials))
    assert (res.won_carried_in > 0).any()
    np.testing.assert_array_equal(res.revenue, res.won_in_quarter.astype(float))
    # the plan search's common random numbers see the same model
    plan = plan_for_confidence(
        target=float(np.quantile(res.revenue, 0.5)),
        confidence=0.5,
        leads=LeadVolume.poisson(1),
        stages=STAGES,
        rates=FIXED_RATES,
        deal_size=1.0,
        lags=lags,
        quarter_days=q,
        lead_window_start=start,
        carry_in=True,
        trials=20_000,
        seed=3,
    )
    assert abs(plan.leads / 3000 - 1) < 0.02


# --------------------------------------------------------------------------- long lags (issue 12)


@pytest.mark.parametrize(
    ("lags", "start"),
    [
        ([Lag(120, 0)], 0.0),
        ([Lag(120, 60)], 0.0),
        ([Lag(10, 5), Lag(57, 60)], -67.0),
        ([Lag(300, 200)], -300.0),
        ([Lag(5, 2), Lag(3, 2)], 0.0),
    ],
)
def test_carry_in_covers_every_window_the_lags_reach(lags, start):
    # steady state: over this window and every other one, a won deal lands in the
    # quarter with probability 1 (whatever the lag's length and spread)
    from alignlib.simulation.timing import carry_windows, close_probabilities

    q = 91.0
    for months in (1, 3):
        offsets, probs, left_out = carry_windows(lags, q, months, start)
        _, inside = close_probabilities(lags, q, months, start)
        total = inside + np.sum(probs, axis=0)
        np.testing.assert_allclose(total, 1.0, atol=2e-3)
        assert left_out < 1e-3
        assert offsets[:2] == (-1, 1)


def test_long_lag_keyword_case_keeps_every_deal():
    # issue 12: 120-day lag, 91-day quarter. Window -1 lands 62/91 of its deals inside,
    # window -2 29/91: wins are Binomial(100, 62/91) + Binomial(100, 29/91) (was 68 wins)
    from scipy import stats

    trials = 40_000
    res = simulate_funnel(
        leads=100,
        stages=["lead", "won"],
        rates=[1.0],
        deal_size=1.0,
        lags=[(120, 0)],
        quarter_days=91,
        carry_in=True,
        trials=trials,
        seed=12,
    )
    a = 62 / 91
    exact = np.convolve(
        stats.binom.pmf(np.arange(101), 100, a), stats.binom.pmf(np.arange(101), 100, 1 - a)
    )
    p_exact = float(exact[100:].sum())
    won = res.won_in_quarter.astype(float)
    var = 100 * a * (1 - a) * 2
    _within(won.mean(), 100.0, math.sqrt(var / trials))
    _within(res.p_hit(100.0), p_exact, math.sqrt(p_exact * (1 - p_exact) / trials))
    assert 0.5 < p_exact < 0.55


def test_carry_in_warns_when_windows_beyond_the_cap_hold_wins():
    with pytest.warns(UserWarning, match=r"hold \d+\.\d% of a steady-state quarter's wins"):
        simulate_funnel(
            leads=100,
            stages=["lead", "won"],
            rates=[1.0],
            deal_size=1.0,
            lags=[(4000, 0)],
            quarter_days=91,
            carry_in=True,
            trials=100,
            seed=1,
        )
