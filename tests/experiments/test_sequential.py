"""The peeking guard: always-valid p-values, the mixing ratio, type-one error."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from alignlib import experiments as ex
from alignlib.errors import InputError
from alignlib.experiments import sequential

counts_strategy = st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@settings(max_examples=200, deadline=None)
@given(counts_strategy, counts_strategy, st.integers(1, 20_000))
def test_always_valid_p_value_is_at_least_fixed_horizon_p_value(control, variant, planned):
    seq = ex.sequential_check(control, variant, planned)
    _, z_p = proportions_ztest([variant[0], control[0]], [variant[1], control[1]])
    if np.isnan(z_p):  # statsmodels: pooled rate 0 or 1; ours is p = 1
        z_p = 1.0
    assert seq.always_valid_p_value >= z_p - 1e-12
    assert 0 <= seq.always_valid_p_value <= 1
    lo, hi = seq.always_valid_ci
    diff = variant[0] / variant[1] - control[0] / control[1]
    assert lo <= diff <= hi


def test_always_valid_p_values_are_non_increasing():
    rng = np.random.default_rng(1)
    looks = 40
    nc = np.cumsum(np.full(looks, 50))
    xc = np.cumsum(rng.binomial(50, 0.2, looks))
    xv = np.cumsum(rng.binomial(50, 0.24, looks))
    p = ex.always_valid_p_values(xc, nc, xv, nc, planned_n_per_arm=1000)
    assert np.all(np.diff(p) <= 0)
    single = [
        ex.sequential_check((xc[i], nc[i]), (xv[i], nc[i]), 1000).always_valid_p_value
        for i in range(looks)
    ]
    assert p == pytest.approx(np.minimum.accumulate(single))


def test_mixing_ratio_solves_its_equation():
    k = sequential._mixing_ratio(0.05)
    assert k == pytest.approx(-2 * math.log(0.05) + math.log1p(k))

    # tightest boundary at the plan: no nearby r gives a smaller critical z^2
    def crit(r):
        return (-2 * math.log(0.05) - math.log(1 - r)) / r

    r = k / (1 + k)
    assert crit(r) <= min(crit(r * 0.95), crit(min(0.999, r * 1.05)))


def test_sequential_flags_early_reads_and_completed_ones():
    early = ex.sequential_check((90, 500), (110, 500), 1500)
    assert early.read_early and early.fraction_of_plan == pytest.approx(1 / 3)
    assert "Read early" in early.message
    done = ex.sequential_check((300, 1500), (330, 1600), 1500)
    assert not done.read_early and "Planned sample reached" in done.message


def test_sequential_type_one_error_is_controlled_and_naive_peeking_is_not():
    """Under no effect, peeking 40 times with the always-valid p-value rejects at most
    alpha of the time (within 4 Monte Carlo standard errors); the naive z-test does not."""
    rng = np.random.default_rng(2026)
    runs, looks, batch, rate, alpha = 4000, 40, 50, 0.2, 0.05
    planned = looks * batch
    xc = np.cumsum(rng.binomial(batch, rate, (runs, looks)), axis=1)
    xv = np.cumsum(rng.binomial(batch, rate, (runs, looks)), axis=1)
    n = np.broadcast_to(np.arange(1, looks + 1) * batch, (runs, looks)).astype(float)
    p_avi = sequential._always_valid_arrays(xc, n, xv, n, planned, alpha)
    avi_rate = np.mean(p_avi.min(axis=1) <= alpha)
    pooled = (xc + xv) / (2 * n)
    z = (xv - xc) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
    naive_rate = np.mean((2 * stats.norm.sf(np.abs(z))).min(axis=1) <= alpha)
    se = math.sqrt(alpha * (1 - alpha) / runs)
    assert avi_rate <= alpha + 4 * se
    assert naive_rate > alpha + 4 * se  # the guard is needed: peeking inflates errors


def test_sequential_bad_planned_n():
    with pytest.raises(InputError, match="planned_n_per_arm"):
        ex.sequential_check((1, 10), (2, 10), 0)
