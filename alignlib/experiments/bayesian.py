"""Bayesian readout of two conversion rates, exactly: P(beat control) and expected loss.

Uniform priors, posteriors Beta(1 + conversions, 1 + n - conversions).
:func:`prob_beat_control` = P(p_variant > p_control) by Evan Miller's closed-form sum (log
space, shortest of its four equivalent forms) up to 2,000 leads per arm, and by adaptive
quadrature of f_control(x) P(p_variant > x) on Boost's Beta functions above (error ~1e-14
up to tens of millions of leads; the sum's betaln terms drift to ~1e-9 there).
:func:`expected_loss` = E[max(p_control - p_variant, 0)] the same two ways. Beyond
:data:`LIMIT_MIN_N` leads in an arm, where quadrature cannot resolve posteriors narrower
than a double's spacing, their large-count limits: normal posteriors when every arm has
at least :data:`NORMAL_MIN_EVENTS` conversions and non-conversions, else gamma limits of
the rare side (exact in the limit, through the regularised incomplete Beta function).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import integrate, special, stats

from alignlib.experiments.inputs import check_counts, two_arms_doc

METHOD_BAYES = (
    "exact P(variant > control) under Beta(1 + conversions, 1 + n - conversions) posteriors "
    "(closed-form sum, or adaptive quadrature above 2,000 leads per arm)"
)

METHOD_LOSS = "exact E[max(control - variant, 0)] under the same posteriors"


#: Evan Miller's sum is used while every arm has at most this many leads (error < 1e-11);
#: beyond, adaptive quadrature: the sum's ``betaln`` terms lose accuracy as counts grow
#: (~1e-9 at a million leads) while the quadrature keeps ~1e-14 at tens of millions.
SUM_MAX_N: int = 2_000


def _miller_sum(a_a: int, b_a: int, a_b: int, b_b: int) -> float:
    """P(X_B > X_A) for X ~ Beta with integer a_b, as Evan Miller's sum of a_b terms.

    P = sum_{i=0}^{a_b - 1} B(a_a + i, b_a + b_b) / ((b_b + i) B(1 + i, b_b) B(a_a, b_a)),
    each term evaluated in log space with ``betaln`` and summed with log-sum-exp.
    """
    i = np.arange(a_b, dtype=float)
    log_terms = (
        special.betaln(a_a + i, b_a + b_b)
        - np.log(b_b + i)
        - special.betaln(1 + i, b_b)
        - special.betaln(a_a, b_a)
    )
    return float(np.exp(special.logsumexp(log_terms)))


def _beta_window(a: float, b: float, k: float = 40.0) -> tuple[float, float, list[float]]:
    """Integration range holding all but a negligible share of Beta(a, b), and breakpoints."""
    mean = a / (a + b)
    sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    lo, hi = max(0.0, mean - k * sd), min(1.0, mean + k * sd)
    return lo, hi, [mean + j * sd for j in (-6, -3, -1, 0, 1, 3, 6)]


def _quad_over(func: Callable[[float], float], a: float, b: float, extra: Sequence[float]) -> float:
    """Integral of ``func`` over where Beta(a, b) has its mass, to ~1e-14."""
    lo, hi, points = _beta_window(a, b)
    pts = sorted({p for p in (*points, *extra) if lo < p < hi})
    value, _ = integrate.quad(
        func, lo, hi, points=pts or None, epsabs=1e-15, epsrel=1e-13, limit=1000
    )
    return value


#: Above this many leads in an arm, the large-count limits replace quadrature.
LIMIT_MIN_N: int = 100_000_000
#: Conversions and non-conversions an arm needs for its posterior to count as normal.
NORMAL_MIN_EVENTS: int = 10_000


def _small(a_1: int, b_1: int, a_2: int, b_2: int) -> bool:
    return max(a_1 + b_1, a_2 + b_2) - 2 <= SUM_MAX_N


def _huge(a_1: int, b_1: int, a_2: int, b_2: int) -> bool:
    return max(a_1 + b_1, a_2 + b_2) - 2 > LIMIT_MIN_N


def _normal(a: int, b: int) -> tuple[float, float]:
    """Mean and variance of Beta(a, b)."""
    n = a + b
    return a / n, a * b / (n * n * (n + 1))


def _limit_prob_greater(a_1: int, b_1: int, a_2: int, b_2: int) -> float:
    """P(X_2 > X_1) for Beta posteriors of very many leads, by their large-count limits.

    With many events on both sides the posteriors are normal. Otherwise the rare side is:
    when non-conversions are few, 1 - X_k is close to Gamma(b_k) / (a_k + b_k), and
    P(1 - X_2 < 1 - X_1) = P(G_2 < c G_1) = I_{c / (1 + c)}(b_2, b_1) with
    c = (a_2 + b_2) / (a_1 + b_1); likewise for few conversions with the a's.
    """
    if min(a_1, b_1, a_2, b_2) >= NORMAL_MIN_EVENTS:
        m_1, v_1 = _normal(a_1, b_1)
        m_2, v_2 = _normal(a_2, b_2)
        return float(stats.norm.sf(0.0, loc=m_2 - m_1, scale=math.sqrt(v_1 + v_2)))
    c = (a_2 + b_2) / (a_1 + b_1)
    if min(b_1, b_2) <= min(a_1, a_2):  # few non-conversions: compare 1 - X
        return float(special.betainc(b_2, b_1, c / (1 + c)))
    # few conversions: X_2 > X_1 <=> G_2 / n_2 > G_1 / n_1
    return float(special.betainc(a_1, a_2, 1 / (1 + c)))


def _prob_greater(
    a_1: int, b_1: int, a_2: int, b_2: int, method: Literal["auto", "sum", "quad"] = "auto"
) -> float:
    """P(X_2 > X_1) with X_k ~ Beta(a_k, b_k), integer parameters, exact.

    Evan Miller's sum has four equivalent forms (sum over a_2, a_1, b_1 or b_2 terms, by
    symmetry X > Y <=> 1 - X < 1 - Y); the shortest one is evaluated when both arms have
    at most :data:`SUM_MAX_N` leads. Otherwise the integral of f_1(x) P(X_2 > x) over the
    mass of X_1, by adaptive Gauss-Kronrod quadrature on Boost's Beta density and
    survival function (accurate to ~1e-14 up to tens of millions of leads).
    """
    forms: list[tuple[int, Callable[[], float]]] = [
        (a_2, lambda: _miller_sum(a_1, b_1, a_2, b_2)),
        (a_1, lambda: 1.0 - _miller_sum(a_2, b_2, a_1, b_1)),
        # 1 - X_1 ~ Beta(b_1, a_1) and 1 - X_2 ~ Beta(b_2, a_2); X_2 > X_1 <=> 1-X_1 > 1-X_2.
        (b_1, lambda: _miller_sum(b_2, a_2, b_1, a_1)),
        (b_2, lambda: 1.0 - _miller_sum(b_1, a_1, b_2, a_2)),
    ]
    _, evaluate = min(forms, key=lambda f: f[0])
    if method == "auto" and _huge(a_1, b_1, a_2, b_2):
        value = _limit_prob_greater(a_1, b_1, a_2, b_2)
    elif method == "sum" or (method == "auto" and _small(a_1, b_1, a_2, b_2)):
        value = evaluate()
    else:
        mean_2 = a_2 / (a_2 + b_2)
        value = _quad_over(
            lambda x: stats.beta.pdf(x, a_1, b_1) * stats.beta.sf(x, a_2, b_2),
            a_1,
            b_1,
            [mean_2],
        )
    return float(min(1.0, max(0.0, value)))


def _expected_shortfall(
    a_1: int, b_1: int, a_2: int, b_2: int, method: Literal["auto", "sum", "quad"] = "auto"
) -> float:
    """E[max(X_1 - X_2, 0)] with X_k ~ Beta(a_k, b_k), integer parameters, exact.

    Sum form: E[X 1{X > Y}] = E[X] P(X' > Y) with X' ~ Beta(a + 1, b) (size-biased), so
    the shortfall is ``m_1 P(X_1' > X_2) - m_2 P(X_1 > X_2')``. Quadrature form: the
    integral of f_1(x) E[(x - X_2)^+] with E[(x - X_2)^+] = x F_2(x) - m_2 F_2'(x).
    """
    m_1, m_2 = a_1 / (a_1 + b_1), a_2 / (a_2 + b_2)
    if method == "auto" and _huge(a_1, b_1, a_2, b_2):
        # The size-biased identity with the large-count limit of each probability.
        value = m_1 * _limit_prob_greater(a_2, b_2, a_1 + 1, b_1) - m_2 * _limit_prob_greater(
            a_2 + 1, b_2, a_1, b_1
        )
    elif method == "sum" or (method == "auto" and _small(a_1, b_1, a_2, b_2)):
        value = m_1 * _prob_greater(a_2, b_2, a_1 + 1, b_1, "sum") - m_2 * _prob_greater(
            a_2 + 1, b_2, a_1, b_1, "sum"
        )
    else:
        value = _quad_over(
            lambda x: (
                stats.beta.pdf(x, a_1, b_1)
                * (x * stats.beta.cdf(x, a_2, b_2) - m_2 * stats.beta.cdf(x, a_2 + 1, b_2))
            ),
            a_1,
            b_1,
            [m_2],
        )
    return float(max(0.0, value))


def _beta_posterior(counts: tuple[int, int], what: str) -> tuple[int, int]:
    """An arm's uniform-prior posterior ``Beta(1 + conversions, 1 + n - conversions)``.

    Parameters
    ----------
    counts : (conversions, n)
        The arm's counts, checked.
    what : str
        The arm's name in an error.

    Returns
    -------
    tuple of int
        The posterior's ``(a, b)``.
    """
    x, n = check_counts(counts, what)
    return 1 + x, 1 + n - x


def prob_beat_control(control: tuple[int, int], variant: tuple[int, int]) -> float:
    """P(variant's rate > control's rate) under uniform-prior Beta posteriors, exactly.

    Parameters
    ----------
    control, variant : (conversions, n)
        Counts per arm; posteriors Beta(1 + conversions, 1 + n - conversions).

    Returns
    -------
    float
        The probability, in [0, 1]. Equal counts give exactly 0.5 (up to rounding).

    References
    ----------
    Evan Miller (2015), "Formulas for Bayesian A/B testing",
    https://www.evanmiller.org/bayesian-ab-testing.html
    """
    return _prob_greater(*_beta_posterior(control, "control"), *_beta_posterior(variant, "variant"))


@two_arms_doc
def expected_loss(control: tuple[int, int], variant: tuple[int, int]) -> float:
    """Expected loss of shipping the variant, E[max(p_control - p_variant, 0)], exactly.

    Uses E[X 1{X > Y}] = E[X] P(X' > Y) with X' ~ Beta(a + 1, b) (the size-biased
    posterior), so the loss is ``mean_c P(C' > V) - mean_v P(C > V')``, both terms by
    Evan Miller's sum; for arms above :data:`SUM_MAX_N` leads, the integral of
    f_C(x) E[(x - V)^+] dx by adaptive quadrature, E[(x - V)^+] = x F_V(x) - mean_v F_V'(x).

    Returns
    -------
    float
        Expected loss in conversion-rate units (0.002 = 0.2 percentage points).
    """
    return _expected_shortfall(
        *_beta_posterior(control, "control"), *_beta_posterior(variant, "variant")
    )


def posterior_grid(
    arms: Mapping[str, tuple[int, int]], points: int = 400, width_sd: float = 5.0
) -> pd.DataFrame:
    """Posterior densities of each arm's rate on a shared grid (for charts).

    Parameters
    ----------
    arms : mapping name -> (conversions, n)
        Arms to draw, e.g. ``{"control": (200, 1000), "v2": (240, 1000)}``.
    points : int
        Grid points.
    width_sd : float
        The grid spans every arm's posterior mean +- this many posterior sds.

    Returns
    -------
    pandas.DataFrame
        Column ``rate`` plus one density column per arm.
    """
    params = {name: _beta_posterior(counts, str(name)) for name, counts in arms.items()}
    lows, highs = [], []
    for a, b in params.values():
        mean, sd = stats.beta.mean(a, b), stats.beta.std(a, b)
        lows.append(mean - width_sd * sd)
        highs.append(mean + width_sd * sd)
    grid = np.linspace(max(0.0, min(lows)), min(1.0, max(highs)), points)
    data = {"rate": grid}
    for name, (a, b) in params.items():
        data[str(name)] = stats.beta.pdf(grid, a, b)
    return pd.DataFrame(data)
