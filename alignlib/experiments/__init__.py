"""Experiment readouts for funnel changes: did a change to one stage's conversion work,
how sure are we, how long must it run, and what is it worth in bookings this quarter.

Every figure names its method (``methods`` on each result), because sample-size and
lift figures differ by formula and a reader must know which one they see.

Methods (and the references the tests match)
--------------------------------------------
* Difference of rates: Newcombe's hybrid Wilson score interval (method 10 in
  Newcombe 1998); equals ``statsmodels`` ``confint_proportions_2indep(variant...,
  control..., compare="diff", method="newcomb")``.
* Relative lift (``variant / control - 1``): Katz log interval for the risk ratio,
  ``exp(log RR +- z sqrt(1/x_v - 1/n_v + 1/x_c - 1/n_c)) - 1``; equals statsmodels
  ``compare="ratio", method="log"`` (with 0.5 added to counts and totals, i.e.
  ``method="log-adjusted"``, when a count is zero).
* Test: pooled two-proportion z-test (statsmodels ``proportions_ztest``); when any
  expected cell of the 2x2 table is below 5, Fisher's exact test (``scipy.stats.
  fisher_exact``) instead. ``test`` says which one ran.
* Bayesian: uniform priors, posteriors Beta(1 + conversions, 1 + n - conversions).
  ``prob_beat_control`` = P(p_variant > p_control) by Evan Miller's closed-form sum
  (log space, shortest of its four equivalent forms) up to 2,000 leads per arm, and by
  adaptive quadrature of f_control(x) P(p_variant > x) on Boost's Beta functions above
  (error ~1e-14 up to tens of millions of leads; the sum's betaln terms drift to ~1e-9
  there). ``expected_loss`` = E[max(p_control - p_variant, 0)] the same two ways.
* Several variants: Holm's step-down correction (default) or Benjamini-Hochberg
  (``statsmodels.stats.multitest.multipletests``); intervals stay per-comparison.
* Sample size: textbook normal approximation, pooled variance under the null,
  unpooled under the alternative, no continuity correction, rounded up (equals
  statsmodels ``samplesize_proportions_2indep_onetail``).
* Sample-ratio mismatch: chi-square goodness of fit (``scipy.stats.chisquare``),
  flagged at p < 0.001.
* Peeking guard: mixture sequential probability ratio test (mSPRT; Robbins 1970,
  Johari et al. 2017 "Peeking at A/B tests") on the pooled z statistic with a normal
  mixing distribution, see :func:`always_valid_p_values` and :func:`sequential_check`.
* Funnel depth: the same readout for every later stage reached by the experiment's leads
  (:func:`funnel_depth`, from a per-lead export read by :func:`load_experiment_export`).
* Revenue impact: the quarter's Monte Carlo funnel (:mod:`alignlib.simulation`) with and
  without the variant's rate on common random numbers (:func:`revenue_impact`).

Entry points for reports and the CLI: :func:`analyse_experiment`,
:func:`analyse_experiments`, :func:`readouts_frame`, :func:`revenue_impact`,
:func:`sample_size_per_arm`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import integrate, optimize, special, stats

from alignlib.errors import DataError, InputError

Correction = Literal["holm", "fdr_bh", "none"]

#: Weeks in an average month (365.25 / 12 / 7).
WEEKS_PER_MONTH: float = 365.25 / 12 / 7
#: p-value below which a sample-ratio mismatch is flagged.
SRM_THRESHOLD: float = 0.001
#: Expected cell count below which Fisher's exact test replaces the z-test.
MIN_EXPECTED_CELL: float = 5.0

_FALLBACK_STAGES = ("lead", "mql", "sal", "sql", "opportunity", "won")
_ACRONYM_STAGES = {"mql", "sal", "sql", "sdr", "crm"}

METHOD_DIFF_CI = "Newcombe hybrid Wilson score interval"
METHOD_LIFT_CI = "Katz log interval for the rate ratio"
METHOD_LIFT_CI_ADJUSTED = "Katz log interval for the rate ratio, 0.5 added to counts (a zero count)"
METHOD_Z = "pooled two-proportion z-test"
METHOD_FISHER = "Fisher's exact test (an expected cell count below 5)"
METHOD_BAYES = (
    "exact P(variant > control) under Beta(1 + conversions, 1 + n - conversions) posteriors "
    "(closed-form sum, or adaptive quadrature above 2,000 leads per arm)"
)
METHOD_LOSS = "exact E[max(control - variant, 0)] under the same posteriors"
METHOD_SAMPLE_SIZE = (
    "normal approximation, pooled variance under the null, unpooled under the "
    "alternative, no continuity correction"
)
METHOD_SRM = "chi-square goodness of fit of assigned counts to expected shares"
METHOD_SEQUENTIAL = "mixture SPRT (normal mixture) on the pooled z statistic"
_CORRECTION_NAMES = {
    "holm": "Holm step-down",
    "fdr_bh": "Benjamini-Hochberg (false discovery rate)",
    "none": "none",
}


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------
def _arm(counts: Any, what: str) -> tuple[int, int]:
    """Validate ``(conversions, n)`` (a pair, or an object with ``.conversions``/``.n``)."""
    if hasattr(counts, "conversions") and hasattr(counts, "n"):
        pair = (counts.conversions, counts.n)
    elif isinstance(counts, Mapping):
        try:
            pair = (counts["conversions"], counts["n"])
        except KeyError:
            raise InputError(f"{what}: needs 'conversions' and 'n', got {dict(counts)}") from None
    else:
        try:
            pair = tuple(counts)
        except TypeError:
            raise InputError(f"{what}: expected (conversions, n), got {counts!r}") from None
        if len(pair) != 2:
            raise InputError(f"{what}: expected (conversions, n), got {counts!r}")
    out = []
    for label, value in zip(("conversions", "n"), pair, strict=True):
        if isinstance(value, bool) or not isinstance(value, int | np.integer | float | np.floating):
            raise InputError(f"{what}: {label} must be a whole number, got {value!r}")
        if not float(value).is_integer():
            raise InputError(f"{what}: {label} must be a whole number, got {value!r}")
        out.append(int(value))
    conversions, n = out
    if n <= 0:
        raise InputError(f"{what}: n must be positive (no leads in this arm), got {n}")
    if conversions < 0:
        raise InputError(f"{what}: conversions must not be negative, got {conversions}")
    if conversions > n:
        raise InputError(f"{what}: conversions ({conversions}) are more than n ({n})")
    return conversions, n


def _check_alpha(alpha: float, name: str = "alpha") -> float:
    if not (0 < float(alpha) < 1):
        raise InputError(f"{name} must lie strictly between 0 and 1, got {alpha!r}")
    return float(alpha)


def _stage_label(stage: str) -> str:
    return stage.upper() if stage.lower() in _ACRONYM_STAGES else stage.replace("_", " ").title()


def _next_stage(stage: str | None, stage_names: Sequence[str] | None) -> str | None:
    if stage is None:
        return None
    names = tuple(stage_names) if stage_names else _FALLBACK_STAGES
    if stage not in names:
        return None
    i = names.index(stage)
    return names[i + 1] if i + 1 < len(names) else None


def _transition(stage: str | None, next_stage: str | None) -> str:
    if stage is None:
        return ""
    if next_stage is None:
        return f"{_stage_label(stage)} "
    return f"{_stage_label(stage)}->{_stage_label(next_stage)} "


def _pct(p: float, digits: int = 1) -> str:
    return f"{100 * p:.{digits}f}%"


def _prob(p: float) -> str:
    """A probability for a reader: never '100%' unless it is exactly 1."""
    if p >= 1.0:
        return "100%"
    if p <= 0.0:
        return "0%"
    if p > 0.999:
        return ">99.9%"
    if p < 0.001:
        return "<0.1%"
    if 0.99 < p or p < 0.01:
        return f"{100 * p:.1f}%"
    return f"{100 * p:.0f}%"


def _pts(x: float) -> str:
    """A small rate difference in percentage points."""
    pts = 100 * x
    return "<0.01 pts" if 0 < pts < 0.005 else f"{pts:.2f} pts"


def _pval(p: float) -> str:
    return "<0.0001" if p < 1e-4 else f"{p:.4f}" if p < 0.01 else f"{p:.3f}"


# --------------------------------------------------------------------------------------
# Frequentist pieces
# --------------------------------------------------------------------------------------
def wilson_interval(conversions: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for one conversion rate.

    Parameters
    ----------
    conversions, n : int
        Converted leads and leads.
    alpha : float
        1 - confidence level.

    Returns
    -------
    tuple of float
        (low, high), within [0, 1].
    """
    x, n = _arm((conversions, n), "wilson_interval")
    z = stats.norm.isf(_check_alpha(alpha) / 2)
    z2 = z * z
    centre = (x + z2 / 2) / (n + z2)
    half = z / (n + z2) * math.sqrt(x * (n - x) / n + z2 / 4)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(
    control: tuple[int, int], variant: tuple[int, int], alpha: float = 0.05
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for ``rate_variant - rate_control``.

    Parameters
    ----------
    control, variant : (conversions, n)
        Counts per arm.
    alpha : float
        1 - confidence level.

    Returns
    -------
    tuple of float
        (low, high) for the difference in rates (variant minus control).

    References
    ----------
    Newcombe R.G. (1998), Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890 (method 10).
    """
    xc, nc = _arm(control, "control")
    xv, nv = _arm(variant, "variant")
    pc, pv = xc / nc, xv / nv
    lc, uc = wilson_interval(xc, nc, alpha)
    lv, uv = wilson_interval(xv, nv, alpha)
    d = pv - pc
    return (
        d - math.sqrt((pv - lv) ** 2 + (uc - pc) ** 2),
        d + math.sqrt((uv - pv) ** 2 + (pc - lc) ** 2),
    )


def _lift_interval(
    xc: int, nc: int, xv: int, nv: int, alpha: float
) -> tuple[float | None, tuple[float, float] | None, str]:
    """Relative lift and its Katz log interval (None when the control rate is zero)."""
    if xc == 0:
        return None, None, "undefined: control has no conversions"
    lift = (xv / nv) / (xc / nc) - 1
    method = METHOD_LIFT_CI
    add = 0.0
    if xv == 0:
        method, add = METHOD_LIFT_CI_ADJUSTED, 0.5
    xc_, nc_, xv_, nv_ = xc + add, nc + add, xv + add, nv + add
    log_rr = math.log((xv_ / nv_) / (xc_ / nc_))
    se = math.sqrt(max(0.0, 1 / xv_ - 1 / nv_ + 1 / xc_ - 1 / nc_))
    z = stats.norm.isf(alpha / 2)
    low, high = math.exp(log_rr - z * se) - 1, math.exp(log_rr + z * se) - 1
    if xv == 0:
        # The 0.5-adjusted interval need not reach the observed -100%; a rate of zero is
        # consistent with the data, so the interval's low end is -100%.
        low = -1.0
        method += "; low end -100% (the variant's rate can be zero)"
    return lift, (low, high), method


def _pooled_z(xc: int, nc: int, xv: int, nv: int) -> tuple[float, float]:
    """Pooled two-proportion z (variant minus control) and its two-sided p-value.

    When no lead or every lead converted (pooled rate 0 or 1) the arms cannot differ:
    z = 0 and p = 1.
    """
    pooled = (xc + xv) / (nc + nv)
    var = pooled * (1 - pooled) * (1 / nc + 1 / nv)
    if var <= 0:
        return 0.0, 1.0
    z = (xv / nv - xc / nc) / math.sqrt(var)
    return float(z), float(2 * stats.norm.sf(abs(z)))


def _min_expected_cell(xc: int, nc: int, xv: int, nv: int) -> float:
    total = nc + nv
    conv = xc + xv
    return min(r * c / total for r in (nc, nv) for c in (conv, total - conv))


# --------------------------------------------------------------------------------------
# Bayesian pieces (exact)
# --------------------------------------------------------------------------------------
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


#: Evan Miller's sum is used while every arm has at most this many leads (error < 1e-11);
#: beyond, adaptive quadrature: the sum's ``betaln`` terms lose accuracy as counts grow
#: (~1e-9 at a million leads) while the quadrature keeps ~1e-14 at tens of millions.
SUM_MAX_N: int = 2_000


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


def _small(a_1: int, b_1: int, a_2: int, b_2: int) -> bool:
    return max(a_1 + b_1, a_2 + b_2) - 2 <= SUM_MAX_N


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
    if method == "sum" or (method == "auto" and _small(a_1, b_1, a_2, b_2)):
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
    if method == "sum" or (method == "auto" and _small(a_1, b_1, a_2, b_2)):
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
    xc, nc = _arm(control, "control")
    xv, nv = _arm(variant, "variant")
    return _prob_greater(1 + xc, 1 + nc - xc, 1 + xv, 1 + nv - xv)


def expected_loss(control: tuple[int, int], variant: tuple[int, int]) -> float:
    """Expected loss of shipping the variant, E[max(p_control - p_variant, 0)], exactly.

    Uses E[X 1{X > Y}] = E[X] P(X' > Y) with X' ~ Beta(a + 1, b) (the size-biased
    posterior), so the loss is ``mean_c P(C' > V) - mean_v P(C > V')``, both terms by
    Evan Miller's sum; for arms above :data:`SUM_MAX_N` leads, the integral of
    f_C(x) E[(x - V)^+] dx by adaptive quadrature, E[(x - V)^+] = x F_V(x) - mean_v F_V'(x).

    Parameters
    ----------
    control, variant : (conversions, n)
        Counts per arm.

    Returns
    -------
    float
        Expected loss in conversion-rate units (0.002 = 0.2 percentage points).
    """
    xc, nc = _arm(control, "control")
    xv, nv = _arm(variant, "variant")
    return _expected_shortfall(1 + xc, 1 + nc - xc, 1 + xv, 1 + nv - xv)


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
    params = {}
    for name, counts in arms.items():
        x, n = _arm(counts, str(name))
        params[name] = (1 + x, 1 + n - x)
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


# --------------------------------------------------------------------------------------
# Peeking guard: mixture SPRT
# --------------------------------------------------------------------------------------
def _mixing_ratio(alpha: float) -> float:
    """kappa = tau^2 / V_planned making the alpha-boundary on |z| tightest at the plan.

    With r = tau^2 / (V + tau^2) the mSPRT rejects when z^2 >= (-2 ln alpha - ln(1 - r)) / r;
    this is smallest where r / (1 - r) = -2 ln alpha - ln(1 - r), i.e.
    kappa = -2 ln alpha + ln(1 + kappa) (about 8.2 at alpha = 0.05).
    """
    a = -2 * math.log(alpha)
    return optimize.brentq(lambda k: k - a - math.log1p(k), a, 10 * a + 10)


def _msprt_log_lr(z: np.ndarray, info_ratio: np.ndarray) -> np.ndarray:
    """log of the normal-mixture likelihood ratio for a z statistic.

    ``info_ratio`` = tau^2 / V (mixing variance over the variance of the estimate).
    Lambda = (1 + tau^2/V)^(-1/2) exp(z^2 tau^2 / (2 (V + tau^2))).
    """
    return -0.5 * np.log1p(info_ratio) + 0.5 * z**2 * info_ratio / (1 + info_ratio)


def always_valid_p_values(
    control_conversions: Sequence[int],
    control_n: Sequence[int],
    variant_conversions: Sequence[int],
    variant_n: Sequence[int],
    planned_n_per_arm: int,
    alpha: float = 0.05,
) -> np.ndarray:
    """Always-valid p-values at successive looks (cumulative counts), running minimum.

    The mixture SPRT (Johari, Koomen, Pekelis & Walsh 2017, "Peeking at A/B tests";
    Robbins 1970) on the pooled z statistic ``z = (p_v - p_c) / sqrt(V)``,
    ``V = p(1 - p)(1/n_c + 1/n_v)``, with a normal mixing distribution N(0, tau^2) over
    the difference in rates:

        Lambda = sqrt(V / (V + tau^2)) exp(z^2 tau^2 / (2 (V + tau^2))),
        p_t = min(1, min_{s <= t} 1 / Lambda_s).

    The mixing variance is ``tau^2 = kappa V_plan``, with ``V_plan = p(1 - p) 2 / N_plan``
    the variance of the difference at the planned sample size and ``kappa`` from
    :func:`_mixing_ratio` (about 8.2 at alpha 0.05), so the test is sharpest at the
    planned sample. The pooled rate cancels in tau^2 / V = kappa n_eff / N_plan
    (n_eff = 2 / (1/n_c + 1/n_v)), so the mixture is fixed before any data arrive.
    Rejecting when p_t <= alpha at any look, however often one looks, keeps the false
    positive rate at most alpha (asymptotically, through the normal approximation).

    Parameters
    ----------
    control_conversions, control_n, variant_conversions, variant_n : sequence of int
        Cumulative counts at each look, in time order.
    planned_n_per_arm : int
        Planned leads per arm.
    alpha : float
        Level the mixture is tuned for.

    Returns
    -------
    numpy.ndarray
        The always-valid p-value after each look (non-increasing).
    """
    xc = np.asarray(control_conversions, dtype=float)
    nc = np.asarray(control_n, dtype=float)
    xv = np.asarray(variant_conversions, dtype=float)
    nv = np.asarray(variant_n, dtype=float)
    if not (xc.shape == nc.shape == xv.shape == nv.shape) or xc.ndim != 1:
        raise InputError("always_valid_p_values: the four count sequences must have one length")
    if np.any(nc <= 0) or np.any(nv <= 0) or np.any(xc < 0) or np.any(xv < 0):
        raise InputError("always_valid_p_values: n must be positive and conversions >= 0")
    if np.any(xc > nc) or np.any(xv > nv):
        raise InputError("always_valid_p_values: conversions are more than n at some look")
    if planned_n_per_arm <= 0:
        raise InputError(f"planned_n_per_arm must be positive, got {planned_n_per_arm}")
    p_single = _always_valid_arrays(xc, nc, xv, nv, planned_n_per_arm, _check_alpha(alpha))
    return np.minimum.accumulate(p_single)


def _always_valid_arrays(xc, nc, xv, nv, planned_n_per_arm, alpha):
    pooled = (xc + xv) / (nc + nv)
    var = pooled * (1 - pooled) * (1 / nc + 1 / nv)
    diff = xv / nv - xc / nc
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, diff / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
    n_eff = 2 / (1 / nc + 1 / nv)
    info_ratio = _mixing_ratio(alpha) * n_eff / planned_n_per_arm
    return np.minimum(1.0, np.exp(-_msprt_log_lr(z, info_ratio)))


@dataclass(frozen=True)
class SequentialCheck:
    """Peeking guard for one comparison read before (or after) its planned sample.

    Attributes
    ----------
    planned_n_per_arm : int
    current_n_per_arm : int
        The smaller arm's leads so far.
    fraction_of_plan : float
    read_early : bool
        True when the smaller arm has fewer leads than planned.
    always_valid_p_value : float
        mSPRT p-value for this look (valid whenever it is read); at least the
        fixed-horizon z-test's p-value.
    always_valid_ci : (float, float)
        Confidence sequence for the difference in rates (variant minus control).
    mixing_sd : float
        Standard deviation tau of the normal mixture over the difference (rate units).
    significant : bool
        always_valid_p_value <= alpha.
    message : str
    method : str
    """

    planned_n_per_arm: int
    current_n_per_arm: int
    fraction_of_plan: float
    read_early: bool
    always_valid_p_value: float
    always_valid_ci: tuple[float, float]
    mixing_sd: float
    significant: bool
    alpha: float
    message: str
    method: str = METHOD_SEQUENTIAL

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        d = asdict(self)
        d["always_valid_ci"] = list(self.always_valid_ci)
        return d


def sequential_check(
    control: tuple[int, int],
    variant: tuple[int, int],
    planned_n_per_arm: int,
    alpha: float = 0.05,
) -> SequentialCheck:
    """Say whether an experiment is read early and give its always-valid p-value and interval.

    The confidence sequence for the difference is the set of differences d with
    Lambda(d) < 1/alpha, i.e. ``diff +- sqrt(V_d (1 + k)/k (-2 ln alpha + ln(1 + k)))`` with
    k = tau^2 / V_d and V_d the unpooled variance from Agresti-Caffo adjusted rates
    (one success and one failure added per arm, so it never collapses to zero).

    Parameters
    ----------
    control, variant : (conversions, n)
        Current counts.
    planned_n_per_arm : int
        The sample size the experiment was planned for.
    alpha : float
        Significance level.

    Returns
    -------
    SequentialCheck
    """
    xc, nc = _arm(control, "control")
    xv, nv = _arm(variant, "variant")
    alpha = _check_alpha(alpha)
    if isinstance(planned_n_per_arm, bool) or int(planned_n_per_arm) <= 0:
        raise InputError(f"planned_n_per_arm must be a positive number, got {planned_n_per_arm!r}")
    planned = int(planned_n_per_arm)
    arrays = [np.array([v], dtype=float) for v in (xc, nc, xv, nv)]
    p_avi = float(_always_valid_arrays(*arrays, planned, alpha)[0])

    kappa = _mixing_ratio(alpha)
    pooled = (xc + xv) / (nc + nv)
    tau2 = kappa * max(pooled * (1 - pooled), 0.0) * 2 / planned
    pc_, pv_ = (xc + 1) / (nc + 2), (xv + 1) / (nv + 2)
    v_d = pc_ * (1 - pc_) / (nc + 2) + pv_ * (1 - pv_) / (nv + 2)
    k = kappa * (2 / (1 / nc + 1 / nv)) / planned  # tau^2 / V, free of the pooled rate
    half = math.sqrt(v_d * (1 + k) / k * (-2 * math.log(alpha) + math.log1p(k)))
    diff = xv / nv - xc / nc
    ci = (max(-1.0, diff - half), min(1.0, diff + half))

    current = min(nc, nv)
    fraction = current / planned
    early = current < planned
    significant = p_avi <= alpha
    if early:
        message = (
            f"Read early: {current:,} of {planned:,} planned leads per arm "
            f"({fraction:.0%}). A fixed-sample p-value overstates the evidence when data "
            f"are peeked at; the always-valid p-value is {_pval(p_avi)}"
            + (
                " - significant even allowing for peeking."
                if significant
                else " - not conclusive yet: keep running to the planned sample."
            )
        )
    else:
        message = (
            f"Planned sample reached ({current:,} of {planned:,} leads per arm); "
            f"always-valid p-value {_pval(p_avi)}."
        )
    return SequentialCheck(
        planned_n_per_arm=planned,
        current_n_per_arm=current,
        fraction_of_plan=fraction,
        read_early=early,
        always_valid_p_value=p_avi,
        always_valid_ci=ci,
        mixing_sd=math.sqrt(tau2),
        significant=significant,
        alpha=alpha,
        message=message,
        method=f"{METHOD_SEQUENTIAL}; mixing variance {kappa:.2f} x the variance of the "
        f"difference at the planned sample",
    )


# --------------------------------------------------------------------------------------
# One comparison
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProportionsComparison:
    """Readout of one variant against control at one stage.

    Attributes
    ----------
    control, variant : (conversions, n)
    variant_name : str
    stage, next_stage : str or None
        The transition measured (``sal`` -> ``sql``).
    alpha : float
    rate_control, rate_variant : float
    diff : float
        rate_variant - rate_control.
    ci : (float, float)
        Newcombe interval for ``diff`` at 1 - alpha.
    relative_lift : float or None
        rate_variant / rate_control - 1 (0.2 = +20%); None when control has no conversions.
    relative_lift_ci : (float, float) or None
        Katz log interval for the lift.
    z : float
        Pooled two-proportion z statistic (variant minus control).
    z_p_value : float
        Two-sided p-value of the z-test.
    fisher_p_value : float or None
        Two-sided Fisher exact p-value, when it ran.
    test : {"z-test", "fisher"}
        Which test gave ``p_value``.
    p_value : float
        The p-value of the test that ran.
    p_value_adjusted : float
        After the multiple-comparison correction (equal to p_value for one variant).
    correction : str
    significant : bool
        p_value_adjusted <= alpha.
    prob_beat_control : float
        P(variant rate > control rate), exact.
    expected_loss : float
        E[max(control - variant, 0)]: what shipping the variant risks, in rate units.
    expected_loss_control : float
        E[max(variant - control, 0)]: what keeping control risks.
    sequential : SequentialCheck or None
        Peeking guard, when a planned sample size is known.
    decision : str
        One plain-language line.
    methods : dict
        Name of the method behind each figure.
    """

    control: tuple[int, int]
    variant: tuple[int, int]
    variant_name: str
    stage: str | None
    next_stage: str | None
    alpha: float
    rate_control: float
    rate_variant: float
    diff: float
    ci: tuple[float, float]
    relative_lift: float | None
    relative_lift_ci: tuple[float, float] | None
    z: float
    z_p_value: float
    fisher_p_value: float | None
    test: str
    p_value: float
    p_value_adjusted: float
    correction: str
    significant: bool
    prob_beat_control: float
    expected_loss: float
    expected_loss_control: float
    sequential: SequentialCheck | None
    decision: str
    methods: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (tuples become lists)."""
        d = {k: v for k, v in asdict(self).items() if k != "sequential"}
        for key in ("control", "variant", "ci", "relative_lift_ci"):
            if d[key] is not None:
                d[key] = list(d[key])
        d["sequential"] = self.sequential.to_dict() if self.sequential else None
        return d

    def to_frame(self) -> pd.DataFrame:
        """One-row table of the headline figures, indexed by variant name."""
        return pd.DataFrame([_row(self)]).set_index("variant")

    def __str__(self) -> str:
        return format_comparison(self)


def _row(r: ProportionsComparison) -> dict[str, Any]:
    return {
        "variant": r.variant_name,
        "stage": r.stage,
        "control_conversions": r.control[0],
        "control_n": r.control[1],
        "variant_conversions": r.variant[0],
        "variant_n": r.variant[1],
        "rate_control": r.rate_control,
        "rate_variant": r.rate_variant,
        "diff": r.diff,
        "ci_low": r.ci[0],
        "ci_high": r.ci[1],
        "relative_lift": r.relative_lift,
        "lift_ci_low": r.relative_lift_ci[0] if r.relative_lift_ci else None,
        "lift_ci_high": r.relative_lift_ci[1] if r.relative_lift_ci else None,
        "test": r.test,
        "p_value": r.p_value,
        "p_value_adjusted": r.p_value_adjusted,
        "significant": r.significant,
        "prob_beat_control": r.prob_beat_control,
        "expected_loss": r.expected_loss,
        "always_valid_p_value": r.sequential.always_valid_p_value if r.sequential else None,
    }


def _decision(r: ProportionsComparison) -> str:
    name = r.variant_name if r.variant_name != "variant" else "Variant"
    what = f"{_transition(r.stage, r.next_stage)}conversion"
    if r.diff > 0:
        head = f"{name} raises {what} from {_pct(r.rate_control)} to {_pct(r.rate_variant)}"
    elif r.diff < 0:
        head = f"{name} lowers {what} from {_pct(r.rate_control)} to {_pct(r.rate_variant)}"
    else:
        head = f"{name} leaves {what} unchanged at {_pct(r.rate_control)}"
    if r.relative_lift is not None and r.diff != 0:
        head += f" ({r.relative_lift:+.0%})"
    head += (
        f"; {_prob(r.prob_beat_control)} chance it is better; "
        f"expected loss if shipped {_pts(r.expected_loss)}"
    )
    test = "Fisher" if r.test == "fisher" else "z-test"
    p_text = f"p={_pval(r.p_value_adjusted)}"
    if r.correction != "none":
        p_text += f" after {_CORRECTION_NAMES[r.correction]}"
    lo, hi = (100 * v for v in r.ci)
    ci_text = f"{1 - r.alpha:.0%} CI {lo:+.1f} to {hi:+.1f} pts"
    seq = r.sequential
    if seq is not None and seq.read_early:
        if seq.significant and r.significant:
            verdict = (
                f"read early ({seq.fraction_of_plan:.0%} of plan) but significant even "
                f"allowing for peeking (always-valid p={_pval(seq.always_valid_p_value)}): "
                + ("ship it." if r.diff > 0 else "stop it and keep control.")
            )
        else:
            verdict = (
                f"read early ({seq.fraction_of_plan:.0%} of the planned "
                f"{seq.planned_n_per_arm:,} per arm): too early to call, keep running "
                f"({test} {p_text}, not valid for an early look)."
            )
    elif r.significant and r.diff > 0:
        verdict = f"statistically significant ({test} {p_text}; {ci_text}): ship it."
    elif r.significant and r.diff < 0:
        verdict = f"significantly worse ({test} {p_text}; {ci_text}): keep control."
    else:
        verdict = (
            f"not statistically significant ({test} {p_text}; {ci_text}): "
            "no reliable difference at this sample size."
        )
    return f"{head}. Verdict: {verdict}"


def compare_proportions(
    control: tuple[int, int],
    variant: tuple[int, int],
    alpha: float = 0.05,
    stage: str | None = None,
    *,
    next_stage: str | None = None,
    variant_name: str = "variant",
    planned_n_per_arm: int | None = None,
    stage_names: Sequence[str] | None = None,
) -> ProportionsComparison:
    """Compare one variant's conversion rate with control's, every way a team needs.

    Parameters
    ----------
    control, variant : (conversions, n)
        Counts per arm (a pair, a mapping or an object with ``conversions`` and ``n``).
    alpha : float
        Significance level (0.05 gives 95% intervals).
    stage : str, optional
        FROM stage whose conversion the experiment changes (``"sal"``), for the text.
    next_stage : str, optional
        The stage converted into; derived from ``stage_names`` (or the default funnel).
    variant_name : str
        Name printed in the decision line.
    planned_n_per_arm : int, optional
        The planned sample; adds the peeking guard (:func:`sequential_check`).
    stage_names : sequence of str, optional
        The funnel's stage order (``params.stage_names``).

    Returns
    -------
    ProportionsComparison

    Notes
    -----
    Degenerate input is defined, never NaN. No conversions in either arm (or every lead
    converted in both): rates equal, ``diff`` 0, ``z`` 0, Fisher's test (expected cells
    are below 5) with ``p_value`` 1, ``prob_beat_control`` 0.5 when the arms are the same
    size (with unequal sizes the larger arm's posterior sits closer to the observed 0% or
    100%, so it moves away from 0.5), a small positive ``expected_loss`` (posterior
    uncertainty), a Newcombe interval around 0. When control
    has no conversions ``relative_lift`` and its interval are None (a lift over zero is
    undefined); when only the variant has none the lift is -100% and its interval adds 0.5
    to every count (named in ``methods``).
    """
    xc, nc = _arm(control, "control")
    xv, nv = _arm(variant, f"variant {variant_name}")
    alpha = _check_alpha(alpha)
    if next_stage is None:
        next_stage = _next_stage(stage, stage_names)
    rc, rv = xc / nc, xv / nv
    ci = newcombe_interval((xc, nc), (xv, nv), alpha)
    lift, lift_ci, lift_method = _lift_interval(xc, nc, xv, nv, alpha)
    z, z_p = _pooled_z(xc, nc, xv, nv)
    fisher_p = None
    test = "z-test"
    p_value = z_p
    if _min_expected_cell(xc, nc, xv, nv) < MIN_EXPECTED_CELL:
        fisher_p = float(stats.fisher_exact([[xv, nv - xv], [xc, nc - xc]]).pvalue)
        test, p_value = "fisher", min(1.0, fisher_p)
    seq = (
        sequential_check((xc, nc), (xv, nv), planned_n_per_arm, alpha)
        if planned_n_per_arm is not None
        else None
    )
    methods = {
        "ci": METHOD_DIFF_CI,
        "relative_lift_ci": lift_method,
        "test": METHOD_FISHER if test == "fisher" else METHOD_Z,
        "prob_beat_control": METHOD_BAYES,
        "expected_loss": METHOD_LOSS,
        "correction": _CORRECTION_NAMES["none"],
    }
    if seq is not None:
        methods["sequential"] = seq.method
    result = ProportionsComparison(
        control=(xc, nc),
        variant=(xv, nv),
        variant_name=str(variant_name),
        stage=stage,
        next_stage=next_stage,
        alpha=alpha,
        rate_control=rc,
        rate_variant=rv,
        diff=rv - rc,
        ci=ci,
        relative_lift=lift,
        relative_lift_ci=lift_ci,
        z=z,
        z_p_value=z_p,
        fisher_p_value=fisher_p,
        test=test,
        p_value=p_value,
        p_value_adjusted=p_value,
        correction="none",
        significant=p_value <= alpha,
        prob_beat_control=_prob_greater(1 + xc, 1 + nc - xc, 1 + xv, 1 + nv - xv),
        expected_loss=expected_loss((xc, nc), (xv, nv)),
        expected_loss_control=expected_loss((xv, nv), (xc, nc)),
        sequential=seq,
        decision="",
        methods=methods,
    )
    return replace(result, decision=_decision(result))


def format_comparison(r: ProportionsComparison) -> str:
    """A readable multi-line readout of one comparison."""
    lines = [r.decision]
    lvl = f"{1 - r.alpha:.0%}"
    lines.append(
        f"  control {r.control[0]:,}/{r.control[1]:,} = {_pct(r.rate_control, 2)}   "
        f"{r.variant_name} {r.variant[0]:,}/{r.variant[1]:,} = {_pct(r.rate_variant, 2)}"
    )
    lines.append(
        f"  difference {100 * r.diff:+.2f} pts, {lvl} CI [{100 * r.ci[0]:+.2f}, "
        f"{100 * r.ci[1]:+.2f}] ({r.methods['ci']})"
    )
    if r.relative_lift is not None and r.relative_lift_ci is not None:
        lines.append(
            f"  relative lift {r.relative_lift:+.1%}, {lvl} CI [{r.relative_lift_ci[0]:+.1%}, "
            f"{r.relative_lift_ci[1]:+.1%}] ({r.methods['relative_lift_ci']})"
        )
    else:
        lines.append(f"  relative lift: {r.methods['relative_lift_ci']}")
    p_line = f"  p-value {_pval(r.p_value)} ({r.methods['test']}; z = {r.z:.2f})"
    if r.correction != "none":
        p_line += f", adjusted {_pval(r.p_value_adjusted)} ({r.methods['correction']})"
    lines.append(p_line)
    lines.append(
        f"  P(better than control) {_prob(r.prob_beat_control)}; expected loss if shipped "
        f"{100 * r.expected_loss:.3f} pts, if kept {100 * r.expected_loss_control:.3f} pts "
        f"(exact Beta-posterior integrals)"
    )
    if r.sequential is not None:
        s = r.sequential
        lines.append(
            f"  peeking guard: {s.message} Always-valid CI [{100 * s.always_valid_ci[0]:+.2f}, "
            f"{100 * s.always_valid_ci[1]:+.2f}] pts ({s.method})"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Several variants
# --------------------------------------------------------------------------------------
def adjust_p_values(p_values: Sequence[float], method: Correction = "holm") -> np.ndarray:
    """Multiple-comparison adjusted p-values.

    Parameters
    ----------
    p_values : sequence of float
    method : {"holm", "fdr_bh", "none"}
        Holm's step-down (controls the family-wise error rate) or Benjamini-Hochberg
        (controls the false discovery rate).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order, capped at 1.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise InputError(f"p-values must be numbers in [0, 1], got {list(p_values)}")
    m = p.size
    if m == 0 or method == "none":
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "holm":
        adj = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * ranked))
    elif method == "fdr_bh":
        adj = np.minimum.accumulate((m / np.arange(1, m + 1) * ranked)[::-1])[::-1]
        adj = np.minimum(1.0, adj)
    else:
        raise InputError(f"unknown correction {method!r}: use 'holm', 'fdr_bh' or 'none'")
    out = np.empty(m)
    out[order] = adj
    return out


@dataclass(frozen=True)
class VariantsComparison:
    """Several variants against one control.

    Attributes
    ----------
    results : tuple of ProportionsComparison
        One per variant, with ``p_value_adjusted`` and ``significant`` after correction.
    correction : str
    alpha : float
    """

    results: tuple[ProportionsComparison, ...]
    correction: str
    alpha: float

    def __getitem__(self, name: str) -> ProportionsComparison:
        for r in self.results:
            if r.variant_name == name:
                return r
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Variant names, in input order."""
        return tuple(r.variant_name for r in self.results)

    @property
    def best(self) -> ProportionsComparison:
        """The variant most likely to beat control."""
        return max(self.results, key=lambda r: r.prob_beat_control)

    def to_frame(self) -> pd.DataFrame:
        """One row per variant."""
        return pd.DataFrame([_row(r) for r in self.results]).set_index("variant")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "correction": self.correction,
            "alpha": self.alpha,
            "variants": [r.to_dict() for r in self.results],
        }

    def __str__(self) -> str:
        return "\n".join(format_comparison(r) for r in self.results)


def compare_variants(
    control: tuple[int, int],
    variants: Mapping[str, tuple[int, int]],
    alpha: float = 0.05,
    stage: str | None = None,
    *,
    correction: Correction = "holm",
    next_stage: str | None = None,
    planned_n_per_arm: int | None = None,
    stage_names: Sequence[str] | None = None,
) -> VariantsComparison:
    """Compare several variants with one control, correcting the p-values.

    Parameters
    ----------
    control : (conversions, n)
    variants : mapping name -> (conversions, n)
    alpha : float
    stage : str, optional
    correction : {"holm", "fdr_bh", "none"}
        Holm's step-down (default) or Benjamini-Hochberg. With one variant no
        correction applies. Intervals stay per-comparison (unadjusted).
    next_stage, planned_n_per_arm, stage_names
        As for :func:`compare_proportions`.

    Returns
    -------
    VariantsComparison
    """
    if correction not in _CORRECTION_NAMES:
        raise InputError(f"unknown correction {correction!r}: use 'holm', 'fdr_bh' or 'none'")
    if not variants:
        raise InputError("give at least one variant to compare with control")
    raw = [
        compare_proportions(
            control,
            counts,
            alpha,
            stage,
            next_stage=next_stage,
            variant_name=str(name),
            planned_n_per_arm=planned_n_per_arm,
            stage_names=stage_names,
        )
        for name, counts in variants.items()
    ]
    used = correction if len(raw) > 1 else "none"
    adjusted = adjust_p_values([r.p_value for r in raw], used)
    results = []
    for r, p_adj in zip(raw, adjusted, strict=True):
        methods = dict(r.methods)
        methods["correction"] = _CORRECTION_NAMES[used]
        r2 = replace(
            r,
            p_value_adjusted=float(p_adj),
            correction=used,
            significant=bool(p_adj <= r.alpha),
            methods=methods,
        )
        results.append(replace(r2, decision=_decision(r2)))
    return VariantsComparison(results=tuple(results), correction=used, alpha=float(alpha))


# --------------------------------------------------------------------------------------
# Power
# --------------------------------------------------------------------------------------
def _check_rate(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not (0 < v < 1):
        raise InputError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return v


def _n_exact(baseline: float, mde: float, alpha: float, power: float, two_sided: bool) -> float:
    p1, p2 = baseline, baseline + mde
    pbar = (p1 + p2) / 2
    z_a = stats.norm.isf(alpha / 2 if two_sided else alpha)
    z_b = stats.norm.ppf(power)
    num = z_a * math.sqrt(2 * pbar * (1 - pbar)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return num**2 / mde**2


@dataclass(frozen=True)
class SampleSize:
    """Leads per arm needed to detect an absolute change ``mde`` from ``baseline``.

    Attributes
    ----------
    baseline, mde, target_rate : float
        Control rate, absolute difference to detect, baseline + mde.
    relative_mde : float
        mde / baseline.
    alpha, power : float
    two_sided : bool
    n_per_arm : int
        Rounded up.
    n_per_arm_exact : float
    n_total : int
        n_per_arm x arms.
    arms : int
    monthly_volume : float or None
        Leads entering the stage per month, when given.
    weeks : float or None
        Run time at that volume.
    method : str
    """

    baseline: float
    mde: float
    target_rate: float
    relative_mde: float
    alpha: float
    power: float
    two_sided: bool
    n_per_arm: int
    n_per_arm_exact: float
    arms: int
    n_total: int
    monthly_volume: float | None
    weeks: float | None
    method: str = METHOD_SAMPLE_SIZE

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)

    def __str__(self) -> str:
        side = "two-sided" if self.two_sided else "one-sided"
        text = (
            f"To detect {_pct(self.baseline)} -> {_pct(self.target_rate)} "
            f"({100 * self.mde:+.2f} pts, {self.relative_mde:+.1%} relative) with "
            f"{self.power:.0%} power at alpha {self.alpha:g} ({side}): "
            f"{self.n_per_arm:,} leads per arm, {self.n_total:,} in total.\n"
            f"  method: {self.method}"
        )
        if self.weeks is not None and self.monthly_volume is not None:
            text += (
                f"\n  at {self.monthly_volume:,.0f} leads a month into the stage: "
                f"{self.weeks:.1f} weeks"
            )
        return text


def sample_size_per_arm(
    baseline: float,
    mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    two_sided: bool = True,
    *,
    monthly_volume: float | None = None,
    arms: int = 2,
    share_in_experiment: float = 1.0,
) -> SampleSize:
    """Leads per arm to detect an absolute change in a conversion rate.

    n = (z_{1-a/2} sqrt(2 pbar (1 - pbar)) + z_{1-b} sqrt(p1 (1 - p1) + p2 (1 - p2)))^2 / mde^2,
    with p1 = baseline, p2 = baseline + mde, pbar = (p1 + p2) / 2, rounded up.

    Parameters
    ----------
    baseline : float
        Control conversion rate, in (0, 1).
    mde : float
        Absolute difference to detect (0.05 = five percentage points); may be negative;
        baseline + mde must stay in (0, 1).
    alpha : float
    power : float
    two_sided : bool
    monthly_volume : float, optional
        Leads entering the stage per month; adds the run time in weeks.
    arms : int
        Arms sharing that volume (control + variants).
    share_in_experiment : float
        Share of the stage's volume enrolled in the experiment.

    Returns
    -------
    SampleSize
    """
    baseline = _check_rate(baseline, "baseline")
    if isinstance(mde, bool) or not isinstance(mde, int | float | np.integer | np.floating):
        raise InputError(f"mde must be a number, got {mde!r}")
    mde = float(mde)
    if mde == 0:
        raise InputError("mde must not be zero: no sample detects a zero difference")
    _check_rate(baseline + mde, "baseline + mde")
    alpha = _check_alpha(alpha)
    power = _check_alpha(power, "power")
    # The formula is symmetric in p1 and p2, so a decrease needs no special case.
    exact = _n_exact(baseline, mde, alpha, power, two_sided)
    n = math.ceil(exact - 1e-9)
    weeks = None
    if monthly_volume is not None:
        weeks = weeks_to_run(n, monthly_volume, arms=arms, share_in_experiment=share_in_experiment)
    return SampleSize(
        baseline=baseline,
        mde=mde,
        target_rate=baseline + mde,
        relative_mde=mde / baseline,
        alpha=alpha,
        power=power,
        two_sided=bool(two_sided),
        n_per_arm=n,
        n_per_arm_exact=exact,
        arms=int(arms),
        n_total=n * int(arms),
        monthly_volume=None if monthly_volume is None else float(monthly_volume),
        weeks=weeks,
    )


@dataclass(frozen=True)
class DetectableEffect:
    """Smallest absolute increase detectable with a given sample.

    Attributes
    ----------
    baseline, n_per_arm, alpha, power, two_sided
    mde : float
        Absolute difference (rate units).
    relative_mde : float
    target_rate : float
    method : str
    """

    baseline: float
    n_per_arm: int
    alpha: float
    power: float
    two_sided: bool
    mde: float
    relative_mde: float
    target_rate: float
    method: str = METHOD_SAMPLE_SIZE + " (inverted numerically with Brent's method)"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"With {self.n_per_arm:,} leads per arm and a {_pct(self.baseline)} baseline, "
            f"the smallest detectable increase is {100 * self.mde:.2f} pts "
            f"({self.relative_mde:+.1%} relative, to {_pct(self.target_rate)}) at "
            f"{self.power:.0%} power, alpha {self.alpha:g}."
        )


def minimum_detectable_effect(
    baseline: float,
    n_per_arm: int,
    alpha: float = 0.05,
    power: float = 0.8,
    two_sided: bool = True,
) -> DetectableEffect:
    """Smallest absolute increase over ``baseline`` detectable with ``n_per_arm`` leads per arm.

    Solves ``sample_size_per_arm(baseline, mde).n_per_arm_exact == n_per_arm`` for mde
    with Brent's method (``scipy.optimize.brentq``).

    Parameters
    ----------
    baseline : float
    n_per_arm : int
    alpha, power : float
    two_sided : bool

    Returns
    -------
    DetectableEffect

    Raises
    ------
    InputError
        When even a rise to a 100% rate would not be detectable with so few leads.
    """
    baseline = _check_rate(baseline, "baseline")
    alpha = _check_alpha(alpha)
    power = _check_alpha(power, "power")
    if isinstance(n_per_arm, bool) or int(n_per_arm) <= 0:
        raise InputError(f"n_per_arm must be positive, got {n_per_arm!r}")
    n = int(n_per_arm)
    lo, hi = 1e-9, (1 - baseline) * (1 - 1e-9)

    def gap(m: float) -> float:
        return _n_exact(baseline, m, alpha, power, two_sided) - n

    if gap(hi) > 0:
        raise InputError(
            f"{n:,} leads per arm cannot detect any increase over a {_pct(baseline)} "
            f"baseline at {power:.0%} power (it needs {math.ceil(gap(hi) + n):,} even for 100%)"
        )
    mde = optimize.brentq(gap, lo, hi, xtol=1e-12, rtol=1e-12)
    return DetectableEffect(
        baseline=baseline,
        n_per_arm=n,
        alpha=alpha,
        power=power,
        two_sided=bool(two_sided),
        mde=float(mde),
        relative_mde=float(mde / baseline),
        target_rate=float(baseline + mde),
    )


def weeks_to_run(
    n_per_arm: int, monthly_volume: float, arms: int = 2, share_in_experiment: float = 1.0
) -> float:
    """Weeks until every arm has ``n_per_arm`` leads.

    Parameters
    ----------
    n_per_arm : int
    monthly_volume : float
        Leads entering the experiment's stage per month (from the plan or actuals).
    arms : int
        Control plus variants, splitting the volume equally.
    share_in_experiment : float
        Share of the stage's volume enrolled, in (0, 1].

    Returns
    -------
    float
        Weeks (a month is 365.25 / 12 / 7 = 4.35 weeks).
    """
    if n_per_arm is None or n_per_arm < 0:
        raise InputError(f"n_per_arm must be zero or more, got {n_per_arm!r}")
    if not monthly_volume or monthly_volume <= 0:
        raise InputError(f"monthly_volume must be positive, got {monthly_volume!r}")
    if int(arms) < 1:
        raise InputError(f"arms must be at least 1, got {arms!r}")
    if not (0 < share_in_experiment <= 1):
        raise InputError(f"share_in_experiment must lie in (0, 1], got {share_in_experiment!r}")
    months = n_per_arm * int(arms) / (monthly_volume * share_in_experiment)
    return float(months * WEEKS_PER_MONTH)


# --------------------------------------------------------------------------------------
# Sample-ratio mismatch
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SrmCheck:
    """Sample-ratio mismatch check: were leads assigned in the planned shares?

    Attributes
    ----------
    arms : tuple of str
    observed : tuple of int
    expected_shares : tuple of float
    expected_counts : tuple of float
    chi2 : float
    p_value : float
    flag : bool
        p_value < 0.001: the assignment is broken, the readout cannot be trusted.
    message : str
    method : str
    """

    arms: tuple[str, ...]
    observed: tuple[int, ...]
    expected_shares: tuple[float, ...]
    expected_counts: tuple[float, ...]
    chi2: float
    p_value: float
    flag: bool
    message: str
    method: str = METHOD_SRM

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        d = asdict(self)
        for k in ("arms", "observed", "expected_shares", "expected_counts"):
            d[k] = list(d[k])
        return d


def srm_check(
    assigned_counts: Sequence[int],
    expected: Sequence[float] | None = None,
    *,
    arms: Sequence[str] | None = None,
    threshold: float = SRM_THRESHOLD,
) -> SrmCheck:
    """Chi-square test that leads were assigned to arms in the planned shares.

    Parameters
    ----------
    assigned_counts : sequence of int
        Leads assigned per arm (control first).
    expected : sequence of float, optional
        Planned shares, summing to 1; default equal.
    arms : sequence of str, optional
        Arm names for the message.
    threshold : float
        p-value below which the mismatch is flagged (0.001).

    Returns
    -------
    SrmCheck
    """
    counts = list(assigned_counts)
    if len(counts) < 2:
        raise InputError("srm_check needs the assigned counts of at least two arms")
    for c in counts:
        if isinstance(c, bool) or not float(c).is_integer() or c < 0:
            raise InputError(f"assigned counts must be whole numbers >= 0, got {counts}")
    counts = [int(c) for c in counts]
    total = sum(counts)
    if total == 0:
        raise InputError("srm_check: no leads assigned to any arm")
    shares = [1 / len(counts)] * len(counts) if expected is None else [float(s) for s in expected]
    if len(shares) != len(counts):
        raise InputError(
            f"expected shares has {len(shares)} entries for {len(counts)} arms (control first)"
        )
    if any(s <= 0 for s in shares):
        raise InputError(f"expected shares must be positive, got {shares}")
    if abs(sum(shares) - 1) > 1e-6:
        raise InputError(f"expected shares must sum to 1, they sum to {sum(shares):g}")
    names = tuple(arms) if arms is not None else tuple(f"arm {i}" for i in range(len(counts)))
    if len(names) != len(counts):
        raise InputError(f"{len(names)} arm names for {len(counts)} counts")
    exp_counts = [s * total for s in shares]
    res = stats.chisquare(counts, exp_counts)
    p = float(res.pvalue)
    flag = p < threshold
    observed_text = ", ".join(
        f"{n} {c:,} ({c / total:.1%} vs {s:.1%} planned)"
        for n, c, s in zip(names, counts, shares, strict=True)
    )
    if flag:
        message = (
            f"SAMPLE-RATIO MISMATCH (p={_pval(p)}): {observed_text}. Leads were not assigned "
            "as planned, so the arms are not comparable and this readout cannot be trusted. "
            "Fix the assignment before reading the result."
        )
    else:
        message = f"Assignment matches the planned shares (p={_pval(p)}): {observed_text}."
    return SrmCheck(
        arms=names,
        observed=tuple(counts),
        expected_shares=tuple(shares),
        expected_counts=tuple(exp_counts),
        chi2=float(res.statistic),
        p_value=p,
        flag=flag,
        message=message,
    )


# --------------------------------------------------------------------------------------
# Funnel depth: follow an experiment to later stages
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FunnelDepth:
    """Readouts of one experiment at every stage after the one it changes.

    Attributes
    ----------
    stage : str
        The experiment's FROM stage (leads are assigned on entering it).
    stages : tuple of str
        Later stages followed (the next stage first).
    arms : tuple of str
        Control first.
    n : dict
        Leads assigned per arm.
    reached : dict
        arm -> {later stage -> leads that reached it}.
    readouts : dict
        later stage -> :class:`VariantsComparison` of the rate from ``stage`` to it.
        Corrections apply across variants within a stage; later stages are secondary
        outcomes and are not corrected across stages.
    """

    stage: str
    stages: tuple[str, ...]
    arms: tuple[str, ...]
    n: dict[str, int]
    reached: dict[str, dict[str, int]]
    readouts: dict[str, VariantsComparison]

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per (variant, later stage)."""
        rows = []
        for to_stage, comp in self.readouts.items():
            for r in comp.results:
                row = _row(r)
                row["to_stage"] = to_stage
                rows.append(row)
        cols = ["variant", "to_stage"]
        frame = pd.DataFrame(rows)
        return frame[cols + [c for c in frame.columns if c not in cols]]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "stage": self.stage,
            "stages": list(self.stages),
            "arms": list(self.arms),
            "n": dict(self.n),
            "reached": {a: dict(v) for a, v in self.reached.items()},
            "readouts": {s: c.to_dict() for s, c in self.readouts.items()},
        }


def funnel_depth(
    n: Mapping[str, int],
    reached: Mapping[str, Mapping[str, int]],
    stage: str,
    *,
    control: str = "control",
    stage_names: Sequence[str] | None = None,
    alpha: float = 0.05,
    correction: Correction = "holm",
) -> FunnelDepth:
    """Follow an experiment at ``stage`` to every later stage: did more SQLs mean more wins?

    Parameters
    ----------
    n : mapping arm -> int
        Leads assigned per arm (all entered ``stage``).
    reached : mapping arm -> {later stage -> int}
        Leads of each arm that reached each later stage (cumulative: a won lead also
        reached opportunity).
    stage : str
        The experiment's FROM stage.
    control : str
        Name of the control arm.
    stage_names : sequence of str, optional
        Funnel order; later stages are compared in this order.
    alpha : float
    correction : {"holm", "fdr_bh", "none"}
        Across variants, within each later stage.

    Returns
    -------
    FunnelDepth
    """
    if control not in n:
        raise InputError(f"no arm named {control!r} among {sorted(n)}")
    if len(n) < 2:
        raise InputError("funnel depth needs control and at least one variant")
    names = tuple(stage_names) if stage_names else _FALLBACK_STAGES
    later_all = names[names.index(stage) + 1 :] if stage in names else ()
    found = {s for counts in reached.values() for s in counts}
    unknown = found - set(later_all)
    if unknown:
        raise InputError(
            f"stages {sorted(unknown)} are not after {stage!r} in the funnel {list(names)}"
        )
    later = tuple(s for s in later_all if s in found)
    if not later:
        raise InputError(f"no counts for any stage after {stage!r}")
    arms = (control, *[a for a in n if a != control])
    readouts = {}
    for s in later:
        for arm in arms:
            if s not in reached.get(arm, {}):
                raise InputError(f"arm {arm!r} has no count for stage {s!r}")
        readouts[s] = compare_variants(
            (reached[control][s], n[control]),
            {a: (reached[a][s], n[a]) for a in arms[1:]},
            alpha,
            stage,
            correction=correction,
            next_stage=s,
            stage_names=names,
        )
    return FunnelDepth(
        stage=stage,
        stages=later,
        arms=arms,
        n={a: int(n[a]) for a in arms},
        reached={a: {s: int(reached[a][s]) for s in later} for a in arms},
        readouts=readouts,
    )


# --------------------------------------------------------------------------------------
# Per-lead export
# --------------------------------------------------------------------------------------
_TRUE = {"true", "t", "yes", "y", "1", "x", "reached"}
_FALSE = {"false", "f", "no", "n", "0", ""}


@dataclass(frozen=True)
class ExperimentCounts:
    """Counts per arm from a per-lead export.

    Attributes
    ----------
    path : Path
    stage : str
    arms : tuple of str
        Control first.
    n : dict arm -> int
    reached : dict arm -> {later stage -> int}
    notes : tuple of str
        Repairs made while reading (e.g. later stage reached without the earlier flag).
    """

    path: Path
    stage: str
    next_stage: str
    arms: tuple[str, ...]
    n: dict[str, int]
    reached: dict[str, dict[str, int]]
    notes: tuple[str, ...] = ()

    @property
    def control(self) -> tuple[int, int]:
        """Control's (conversions into the next stage, n)."""
        arm = self.arms[0]
        return self.reached[arm][self.next_stage], self.n[arm]

    @property
    def variants(self) -> dict[str, tuple[int, int]]:
        """Each variant's (conversions into the next stage, n)."""
        return {a: (self.reached[a][self.next_stage], self.n[a]) for a in self.arms[1:]}


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError(path, "experiment export not found")
    suffix = path.suffix.lower()
    try:
        if suffix in {".csv", ".txt"}:
            return pd.read_csv(path, dtype=str, keep_default_na=True, skipinitialspace=True)
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in {".xlsx", ".xls"}:
            return pd.read_excel(path)
    except pd.errors.EmptyDataError:
        raise DataError(path, "the file is empty") from None
    except (ValueError, OSError) as exc:
        raise DataError(path, f"cannot read the file: {exc}") from None
    raise DataError(path, f"unknown file type {suffix!r}: use .csv, .parquet or .xlsx")


def _reached_flags(values: pd.Series, path: Path, column: str) -> np.ndarray:
    """Reached-stage flags from booleans, 0/1, yes/no text or dates (a date = reached)."""
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(values):
        v = values.fillna(0)
        bad = ~v.isin([0, 1])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                path,
                f"column {column!r}, line {i + 2}: {values.iloc[i]!r} is not a reached "
                "flag (use 0/1, true/false, yes/no or a date)",
            )
        return v.to_numpy(dtype=float) == 1
    text = values.astype("string").str.strip().str.lower().fillna("")
    out = np.zeros(len(text), dtype=bool)
    is_true = text.isin(_TRUE).to_numpy()
    is_false = text.isin(_FALSE).to_numpy()
    other = ~(is_true | is_false)
    out[is_true] = True
    if other.any():
        dates = pd.to_datetime(values[other], errors="coerce", format="mixed")
        if dates.isna().any():
            i = int(np.flatnonzero(other)[int(np.flatnonzero(dates.isna().to_numpy())[0])])
            raise DataError(
                path,
                f"column {column!r}, line {i + 2}: {values.iloc[i]!r} is neither a reached "
                "flag (0/1, true/false, yes/no) nor a date",
            )
        out[other] = True
    return out


def load_experiment_export(
    path: str | Path,
    stage: str,
    *,
    stage_names: Sequence[str] | None = None,
    control: str = "control",
) -> ExperimentCounts:
    """Read a per-lead experiment export and count leads per arm and stage reached.

    The file (CSV, Parquet or Excel) has one row per lead assigned to the experiment:
    ``lead_id``, ``arm`` (``control`` and the variant names), and for each later stage a
    column named after it (``sql``, or ``reached_sql``, ``sql_date``, ``sql_at``) holding
    a reached flag (true/false, yes/no, 1/0) or the date it was reached (empty = not
    reached). The next stage's column is required; later ones are optional. A lead that
    reached a later stage without the earlier flag is counted as having reached both
    (noted in ``notes``).

    Parameters
    ----------
    path : str or Path
    stage : str
        The experiment's FROM stage.
    stage_names : sequence of str, optional
        Funnel order (``params.stage_names``).
    control : str
        Control arm's label in the ``arm`` column.

    Returns
    -------
    ExperimentCounts

    Raises
    ------
    DataError
        Missing columns, duplicate lead ids, empty arms, unreadable flags: the message
        names the file, the column and the line.
    """
    path = Path(path)
    names = tuple(stage_names) if stage_names else _FALLBACK_STAGES
    if stage not in names:
        raise DataError(path, f"stage {stage!r} is not in the funnel {list(names)}")
    later = names[names.index(stage) + 1 :]
    if not later:
        raise DataError(path, f"stage {stage!r} is the last stage: nothing to convert into")
    raw = _read_table(path)
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    for col in ("lead_id", "arm"):
        if col not in raw.columns:
            raise DataError(
                path, f"missing column {col!r} (columns found: {', '.join(raw.columns)})"
            )
    if raw.empty:
        raise DataError(path, "no leads in the export")
    ids = raw["lead_id"].astype("string").str.strip()
    if ids.isna().any() or (ids == "").any():
        i = int(np.flatnonzero((ids.isna() | (ids == "")).to_numpy())[0])
        raise DataError(path, f"column 'lead_id', line {i + 2}: empty lead id")
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise DataError(
            path,
            f"column 'lead_id': {int(ids.duplicated().sum())} duplicate lead id(s), "
            f"e.g. {ids[dup].iloc[0]!r}: each lead may be assigned to one arm once",
        )
    arm = raw["arm"].astype("string").str.strip()
    if arm.isna().any() or (arm == "").any():
        i = int(np.flatnonzero((arm.isna() | (arm == "")).to_numpy())[0])
        raise DataError(path, f"column 'arm', line {i + 2}: empty arm")
    arms_found = list(dict.fromkeys(arm.tolist()))
    if control not in arms_found:
        raise DataError(
            path, f"column 'arm': no {control!r} arm (arms found: {', '.join(arms_found)})"
        )
    if len(arms_found) < 2:
        raise DataError(path, "column 'arm': only the control arm; no variant to compare")
    arms = (control, *sorted(a for a in arms_found if a != control))

    flags: dict[str, np.ndarray] = {}
    for s in later:
        candidates = [s, f"reached_{s}", f"{s}_date", f"{s}_at", f"{s}_reached"]
        present = [c for c in candidates if c in raw.columns]
        if len(present) > 1:
            raise DataError(path, f"stage {s!r} appears in several columns: {present}")
        if present:
            flags[s] = _reached_flags(raw[present[0]], path, present[0])
    if later[0] not in flags:
        raise DataError(
            path,
            f"missing column for stage {later[0]!r} (the stage the experiment converts "
            f"into): name it {later[0]!r}, 'reached_{later[0]}' or '{later[0]}_date'",
        )
    own = [c for c in (stage, f"reached_{stage}", f"{stage}_date", f"{stage}_at") if c in raw]
    if own:
        entered = _reached_flags(raw[own[0]], path, own[0])
        if not entered.all():
            i = int(np.flatnonzero(~entered)[0])
            raise DataError(
                path,
                f"column {own[0]!r}, line {i + 2}: lead {ids.iloc[i]!r} is in the experiment "
                f"but never reached {stage!r}, where leads are assigned",
            )

    # Reaching a later stage implies reaching the earlier ones (skipped CRM updates).
    followed = [s for s in later if s in flags]
    notes = []
    acc = np.zeros(len(raw), dtype=bool)
    for s in reversed(followed):
        acc = acc | flags[s]
        repaired = int((acc & ~flags[s]).sum())
        if repaired:
            notes.append(f"{repaired} lead(s) reached a stage after {s!r} without {s!r}: counted")
        flags[s] = acc.copy()
    arm_values = arm.to_numpy()
    n = {a: int((arm_values == a).sum()) for a in arms}
    reached = {a: {s: int(flags[s][arm_values == a].sum()) for s in followed} for a in arms}
    return ExperimentCounts(
        path=path,
        stage=stage,
        next_stage=later[0],
        arms=arms,
        n=n,
        reached=reached,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------
# Experiments from the parameters file
# --------------------------------------------------------------------------------------
def _get(spec: Any, key: str, default: Any = None) -> Any:
    if isinstance(spec, Mapping):
        return spec.get(key, default)
    return getattr(spec, key, default)


@dataclass(frozen=True)
class ExperimentReadout:
    """Everything the report says about one experiment.

    Attributes
    ----------
    name, stage, next_stage, description : str
    comparison : VariantsComparison
        Each variant against control (Holm-corrected by default).
    srm : SrmCheck
        Sample-ratio mismatch check of the assigned counts.
    planned_n_per_arm : int or None
    detectable_effect : DetectableEffect or None
        Smallest increase the planned sample detects at control's rate.
    weeks_to_plan : float or None
        Weeks still needed to reach the planned sample, from the stage's monthly volume.
    funnel_depth : FunnelDepth or None
        Later stages, when the data is a per-lead export.
    source : str
        ``"counts"`` (parameters file) or the export's path.
    notes : tuple of str
    headline : str
        One line for a VP: the SRM warning when flagged, else the best variant's decision.
    impact : RevenueImpact or None
        The best variant's effect on this quarter's bookings and P(hit target), when
        computed (``analyse_experiments(..., impact=True)``).
    """

    name: str
    stage: str | None
    next_stage: str | None
    description: str
    comparison: VariantsComparison
    srm: SrmCheck
    planned_n_per_arm: int | None
    detectable_effect: DetectableEffect | None
    weeks_to_plan: float | None
    funnel_depth: FunnelDepth | None
    source: str
    notes: tuple[str, ...]
    headline: str
    impact: RevenueImpact | None = None

    @property
    def trustworthy(self) -> bool:
        """False when the sample-ratio check failed."""
        return not self.srm.flag

    def to_frame(self) -> pd.DataFrame:
        """One row per variant, with the experiment's name and the SRM flag."""
        frame = self.comparison.to_frame()
        frame.insert(0, "experiment", self.name)
        frame["srm_p_value"] = self.srm.p_value
        frame["srm_flag"] = self.srm.flag
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "name": self.name,
            "stage": self.stage,
            "next_stage": self.next_stage,
            "description": self.description,
            "headline": self.headline,
            "trustworthy": self.trustworthy,
            "comparison": self.comparison.to_dict(),
            "srm": self.srm.to_dict(),
            "planned_n_per_arm": self.planned_n_per_arm,
            "detectable_effect": (
                self.detectable_effect.to_dict() if self.detectable_effect else None
            ),
            "weeks_to_plan": self.weeks_to_plan,
            "funnel_depth": self.funnel_depth.to_dict() if self.funnel_depth else None,
            "source": self.source,
            "notes": list(self.notes),
            "impact": self.impact.to_dict() if self.impact else None,
        }

    def __str__(self) -> str:
        transition = _transition(self.stage, self.next_stage).strip()
        title = f"Experiment {self.name}" + (f" ({transition})" if transition else "")
        lines = [title, "=" * len(title)]
        if self.description:
            lines.append(self.description)
        if self.srm.flag or len(self.comparison.results) > 1:
            lines.append(self.headline)
        lines.append("")
        lines.append(("!! " if self.srm.flag else "") + self.srm.message)
        lines.append(str(self.comparison))
        if self.detectable_effect is not None:
            lines.append(f"  power: {self.detectable_effect}")
        if self.weeks_to_plan is not None:
            lines.append(f"  about {self.weeks_to_plan:.1f} more weeks to the planned sample")
        if self.funnel_depth is not None:
            lines.append("  later stages:")
            for s, comp in self.funnel_depth.readouts.items():
                for r in comp.results:
                    lines.append(
                        f"    {_stage_label(self.stage)}->{_stage_label(s)} {r.variant_name}: "
                        f"{_pct(r.rate_control)} -> {_pct(r.rate_variant)} "
                        f"({100 * r.diff:+.2f} pts, p={_pval(r.p_value_adjusted)}, "
                        f"P(better) {_prob(r.prob_beat_control)})"
                    )
        if self.impact is not None:
            lines.append(f"  revenue impact: {self.impact.message}")
            lines.append(f"    ({self.impact.method})")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def analyse_experiment(
    spec: Any,
    *,
    stage_names: Sequence[str] | None = None,
    alpha: float = 0.05,
    correction: Correction = "holm",
    monthly_volume: float | None = None,
    base_dir: str | Path | None = None,
) -> ExperimentReadout:
    """Full readout of one experiment from the parameters file.

    Parameters
    ----------
    spec : ExperimentSpec or mapping
        ``name``, ``stage``, ``description``, ``control`` {conversions, n}, ``variants``
        {name: {conversions, n}}, ``expected_shares``, ``planned_n_per_arm``, ``export``.
        With ``export`` the counts come from the per-lead file
        (:func:`load_experiment_export`) and later stages are followed too.
    stage_names : sequence of str, optional
        Funnel order (``params.stage_names``).
    alpha : float
    correction : {"holm", "fdr_bh", "none"}
    monthly_volume : float, optional
        Leads entering the stage per month, for the weeks still to run.
    base_dir : path, optional
        Folder a relative ``export`` path is resolved against.

    Returns
    -------
    ExperimentReadout
    """
    name = str(_get(spec, "name") or "experiment")
    stage = _get(spec, "stage") or None
    names = tuple(stage_names) if stage_names else _FALLBACK_STAGES
    export = _get(spec, "export")
    depth = None
    notes: tuple[str, ...] = ()
    if export is not None:
        path = Path(export)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if stage is None:
            raise InputError(f"experiment {name!r}: an export needs the experiment's stage")
        counts = load_experiment_export(path, stage, stage_names=names)
        control = counts.control
        variants = counts.variants
        source = str(path)
        notes = counts.notes
        if len(next(iter(counts.reached.values()))) > 1:
            depth = funnel_depth(
                counts.n,
                counts.reached,
                stage,
                control=counts.arms[0],
                stage_names=names,
                alpha=alpha,
                correction=correction,
            )
    else:
        raw_control = _get(spec, "control")
        raw_variants = _get(spec, "variants") or {}
        if raw_control is None or not raw_variants:
            raise InputError(f"experiment {name!r}: give control and variant counts or an export")
        control = _arm(raw_control, f"experiment {name!r} control")
        variants = {
            str(k): _arm(v, f"experiment {name!r} variant {k!r}") for k, v in raw_variants.items()
        }
        source = "counts"
    planned = _get(spec, "planned_n_per_arm")
    comparison = compare_variants(
        control,
        variants,
        alpha,
        stage,
        correction=correction,
        planned_n_per_arm=planned,
        stage_names=names,
    )
    shares = _get(spec, "expected_shares")
    srm = srm_check(
        [control[1], *[v[1] for v in variants.values()]],
        None if shares is None else list(shares),
        arms=["control", *variants],
    )
    mde = None
    weeks = None
    if planned is not None:
        rate = control[0] / control[1]
        if 0 < rate < 1:
            try:
                mde = minimum_detectable_effect(rate, int(planned), alpha)
            except InputError:
                mde = None
        if monthly_volume is not None:
            remaining = max(0, int(planned) - min(control[1], *[v[1] for v in variants.values()]))
            weeks = weeks_to_run(remaining, monthly_volume, arms=1 + len(variants))
    if srm.flag:
        headline = f"DO NOT TRUST THIS READOUT: {srm.message}"
    else:
        headline = comparison.best.decision
    return ExperimentReadout(
        name=name,
        stage=stage,
        next_stage=_next_stage(stage, names),
        description=str(_get(spec, "description", "") or ""),
        comparison=comparison,
        srm=srm,
        planned_n_per_arm=None if planned is None else int(planned),
        detectable_effect=mde,
        weeks_to_plan=weeks,
        funnel_depth=depth,
        source=source,
        notes=notes,
        headline=headline,
    )


def analyse_experiments(
    params: Any,
    *,
    alpha: float = 0.05,
    correction: Correction = "holm",
    monthly_volume: Mapping[str, float] | None = None,
    impact: bool = False,
    impact_trials: int | None = None,
) -> tuple[ExperimentReadout, ...]:
    """Readouts of every experiment in a parameters file.

    Parameters
    ----------
    params : QuarterParams
        Uses ``params.experiments``, ``params.stage_names`` and ``params.source_path``.
    alpha : float
    correction : {"holm", "fdr_bh", "none"}
    monthly_volume : mapping stage -> leads per month, optional
        Volume entering each stage (from the plan or actuals) for the weeks still to run
        (:func:`plan_monthly_volume` gives the plan's).
    impact : bool
        Also simulate each experiment's best variant's effect on the quarter's bookings
        and P(hit target) (:func:`revenue_impact`, lift mode).
    impact_trials : int, optional
        Simulated quarters for the impact (default ``params.simulation.trials``).

    Returns
    -------
    tuple of ExperimentReadout
        In file order; empty when the file lists no experiments.
    """
    source = getattr(params, "source_path", None)
    base_dir = Path(source).parent if source else None
    volumes = dict(monthly_volume or {})
    readouts = []
    for spec in params.experiments:
        readout = analyse_experiment(
            spec,
            stage_names=params.stage_names,
            alpha=alpha,
            correction=correction,
            monthly_volume=volumes.get(_get(spec, "stage")),
            base_dir=base_dir,
        )
        if impact and readout.stage in tuple(params.stage_names)[:-1]:
            readout = replace(readout, impact=revenue_impact(params, readout, trials=impact_trials))
        readouts.append(readout)
    return tuple(readouts)


def readouts_frame(readouts: Sequence[ExperimentReadout]) -> pd.DataFrame:
    """One row per (experiment, variant): the summary table of a report."""
    if not readouts:
        return pd.DataFrame()
    return pd.concat([r.to_frame().reset_index() for r in readouts], ignore_index=True)


def plan_monthly_volume(params: Any) -> dict[str, float]:
    """Leads entering each stage per month in the quarter's plan (for run times).

    The reverse funnel's required volume per stage divided by the quarter's months.

    Parameters
    ----------
    params : QuarterParams

    Returns
    -------
    dict
        stage -> leads per month.
    """
    from alignlib.planning import build_plan  # planning is pure; imported late to stay light

    plan = build_plan(params)
    months = len(params.months)
    return {
        stage: float(required) / months
        for stage, required in zip(plan.funnel.stages, plan.funnel.required, strict=True)
    }


# Moved to its own module; imported last because it reads the readout types above.
from alignlib.experiments.impact import (  # noqa: E402
    METHOD_IMPACT,
    ImpactMode,
    RevenueImpact,
    revenue_impact,
)
