"""Bayesian figures against independent numerical integration."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from alignlib import experiments as ex
from alignlib.experiments import bayesian
from tests.experiments._experiments_helpers import CASES


def _posterior(counts):
    x, n = counts
    return stats.beta(1 + x, 1 + n - x)


def _window(*dists, k=14.0):
    lo = max(0.0, min(d.mean() - k * d.std() for d in dists))
    hi = min(1.0, max(d.mean() + k * d.std() for d in dists))
    return lo, hi


def _prob_by_quad(control, variant):
    """P(V > C) = integral of f_V(x) P(C < x) dx, over V's mass, in log space.

    The mirror image of the library's integrand (which integrates over C's mass), with
    densities from ``logpdf`` rather than Boost's ``pdf``.
    """
    c, v = _posterior(control), _posterior(variant)
    lo, hi = _window(c, v)
    pts = sorted({c.mean(), v.mean()})
    val, err = integrate.quad(
        lambda x: math.exp(v.logpdf(x) + c.logcdf(x)) if 0 < x < 1 else 0.0,
        lo,
        hi,
        points=pts,
        epsabs=1e-13,
        epsrel=1e-12,
        limit=500,
    )
    return val, err


def _loss_by_dblquad(control, variant):
    """E[max(C - V, 0)] as a double integral over y < x of (x - y) f_C(x) f_V(y)."""
    c, v = _posterior(control), _posterior(variant)
    lo, hi = _window(c, v, k=12.0)
    val, err = integrate.dblquad(
        lambda y, x: (x - y) * c.pdf(x) * v.pdf(y),
        lo,
        hi,
        lambda x: lo,
        lambda x: x,
        epsabs=1e-12,
        epsrel=1e-10,
    )
    return val, err


@pytest.mark.parametrize(("control", "variant"), CASES)
def test_prob_beat_control_matches_quadrature(control, variant):
    exact = ex.prob_beat_control(control, variant)
    reference, err = _prob_by_quad(control, variant)
    assert err < 1e-10
    assert exact == pytest.approx(reference, abs=1e-9)


@pytest.mark.parametrize(("control", "variant"), CASES[:6])
def test_expected_loss_matches_double_integral(control, variant):
    loss = ex.expected_loss(control, variant)
    reference, err = _loss_by_dblquad(control, variant)
    assert err < 1e-8
    assert loss == pytest.approx(reference, abs=1e-8)


def test_expected_loss_large_counts_matches_normal_limit():
    # For n in the millions the posteriors are normal to high accuracy:
    # D = C - V ~ N(mu, s^2), E[max(D, 0)] = mu Phi(mu/s) + s phi(mu/s).
    control, variant = (200_000, 1_000_000), (200_700, 1_000_000)
    c, v = _posterior(control), _posterior(variant)
    mu, s = c.mean() - v.mean(), math.hypot(c.std(), v.std())
    normal = mu * stats.norm.cdf(mu / s) + s * stats.norm.pdf(mu / s)
    assert ex.expected_loss(control, variant) == pytest.approx(normal, rel=1e-3)
    # and the probability against the same limit (skewness makes it differ slightly)
    assert ex.prob_beat_control(control, variant) == pytest.approx(
        stats.norm.cdf(-mu / s), abs=1e-3
    )


@pytest.mark.parametrize("n", [1500, 2500, 40_000])
@pytest.mark.parametrize("share", [0.0, 0.03, 0.4, 1.0])
def test_closed_form_sum_and_quadrature_agree(n, share):
    x = round(share * n)
    for a1, b1, a2, b2 in [(1 + x, 1 + n - x, 1 + x, 1 + n - x), (1 + x, 1 + n - x, 2 + x, n - x)]:
        if b2 < 1:
            continue
        tol = 1e-11 if n <= 2500 else 1e-9  # the sum drifts slowly as counts grow
        assert bayesian._prob_greater(a1, b1, a2, b2, "sum") == pytest.approx(
            bayesian._prob_greater(a1, b1, a2, b2, "quad"), abs=tol
        )
        assert bayesian._expected_shortfall(a1, b1, a2, b2, "sum") == pytest.approx(
            bayesian._expected_shortfall(a1, b1, a2, b2, "quad"), abs=tol
        )


@pytest.mark.parametrize(
    ("a1", "b1", "a2", "b2"), [(3, 9, 5, 4), (1, 1, 1, 1), (40, 61, 47, 55), (2, 300, 13, 29)]
)
def test_four_forms_of_millers_sum_agree(a1, b1, a2, b2):
    forms = [
        bayesian._miller_sum(a1, b1, a2, b2),
        1 - bayesian._miller_sum(a2, b2, a1, b1),
        bayesian._miller_sum(b2, a2, b1, a1),
        1 - bayesian._miller_sum(b1, a1, b2, a2),
    ]
    assert forms == pytest.approx([forms[0]] * 4, abs=1e-12)


def test_expected_losses_differ_by_the_mean_difference():
    # E[max(C-V,0)] - E[max(V-C,0)] = E[C] - E[V] exactly.
    control, variant = (37, 410), (52, 395)
    r = ex.compare_proportions(control, variant)
    c, v = _posterior(control), _posterior(variant)
    assert r.expected_loss - r.expected_loss_control == pytest.approx(
        c.mean() - v.mean(), abs=1e-13
    )


def test_posterior_grid_integrates_to_one():
    grid = ex.posterior_grid({"control": (200, 1000), "v2": (240, 1000)})
    x = grid["rate"].to_numpy()
    for col in ("control", "v2"):
        assert np.trapezoid(grid[col].to_numpy(), x) == pytest.approx(1, abs=1e-4)


@pytest.mark.parametrize(
    ("control", "variant"),
    [
        ((20_000_000, 50_000_000), (20_010_000, 50_000_000)),  # normal posteriors
        ((49_999_990, 50_000_000), (49_999_985, 50_000_000)),  # few non-conversions
        ((12, 50_000_000), (20, 50_000_000)),  # few conversions
    ],
)
def test_large_count_limits_agree_with_quadrature_where_both_hold(control, variant):
    from alignlib.experiments import bayesian

    a1, b1 = 1 + control[0], 1 + control[1] - control[0]
    a2, b2 = 1 + variant[0], 1 + variant[1] - variant[0]
    exact = bayesian._prob_greater(a1, b1, a2, b2, "quad")
    assert bayesian._limit_prob_greater(a1, b1, a2, b2) == pytest.approx(exact, abs=1e-6)


def test_a_trillion_leads_are_answered_at_once_without_warnings():
    import warnings

    from alignlib.experiments import expected_loss, prob_beat_control

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Gamma limits: P(G_2 < G_1) with G_2 ~ Gamma(2), G_1 ~ Gamma(1) is exactly 1/4.
        p = prob_beat_control((10**12, 10**12), (10**12 - 1, 10**12))
        loss = expected_loss((10**12, 10**12), (10**12 - 1, 10**12))
    assert p == pytest.approx(0.25, abs=1e-9)
    assert 0 < loss < 1e-11
