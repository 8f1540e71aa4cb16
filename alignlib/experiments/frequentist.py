"""Frequentist readout of two conversion rates: intervals, tests, multiple-testing corrections.

* Difference of rates: Newcombe's hybrid Wilson score interval (method 10 in Newcombe
  1998); equals ``statsmodels`` ``confint_proportions_2indep(variant..., control...,
  compare="diff", method="newcomb")``.
* Relative lift (``variant / control - 1``): Katz log interval for the risk ratio,
  ``exp(log RR +- z sqrt(1/x_v - 1/n_v + 1/x_c - 1/n_c)) - 1``; equals statsmodels
  ``compare="ratio", method="log"`` (with 0.5 added to counts and totals, i.e.
  ``method="log-adjusted"``, when a count is zero).
* Test: pooled two-proportion z-test (statsmodels ``proportions_ztest``); when an expected
  cell of the 2x2 table is below 5 in a table of fewer than 10,000 leads, Fisher's exact
  test (``scipy.stats.fisher_exact``) instead.
* Several variants: Holm's step-down correction or Benjamini-Hochberg (as
  ``statsmodels.stats.multitest.multipletests``); intervals stay per-comparison.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from alignlib.docstrings import shared_doc
from alignlib.errors import InputError
from alignlib.experiments.inputs import check_alpha, check_counts, two_arms_doc

Correction = Literal["holm", "fdr_bh", "none"]

#: Expected cell count below which Fisher's exact test replaces the z-test.
MIN_EXPECTED_CELL: float = 5.0
#: Fisher's exact test runs only on tables with fewer leads than this: its cost grows with
#: the total (seconds at a billion leads), and a small expected cell needs a small table.
FISHER_MAX_TOTAL: int = 10_000


METHOD_DIFF_CI = "Newcombe hybrid Wilson score interval"

METHOD_LIFT_CI = "Katz log interval for the rate ratio"

METHOD_LIFT_CI_ADJUSTED = "Katz log interval for the rate ratio, 0.5 added to counts (a zero count)"

METHOD_Z = "pooled two-proportion z-test"

METHOD_FISHER = "Fisher's exact test (an expected cell count below 5)"

CORRECTION_NAMES = {
    "holm": "Holm step-down",
    "fdr_bh": "Benjamini-Hochberg (false discovery rate)",
    "none": "none",
}


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
    x, n = check_counts((conversions, n), "wilson_interval")
    z = stats.norm.isf(check_alpha(alpha) / 2)
    z2 = z * z
    centre = (x + z2 / 2) / (n + z2)
    half = z / (n + z2) * math.sqrt(x * (n - x) / n + z2 / 4)
    return max(0.0, centre - half), min(1.0, centre + half)


@two_arms_doc
def newcombe_interval(
    control: tuple[int, int], variant: tuple[int, int], alpha: float = 0.05
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for ``rate_variant - rate_control``.

    Parameters
    ----------
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
    xc, nc = check_counts(control, "control")
    xv, nv = check_counts(variant, "variant")
    pc, pv = xc / nc, xv / nv
    lc, uc = wilson_interval(xc, nc, alpha)
    lv, uv = wilson_interval(xv, nv, alpha)
    d = pv - pc
    return (
        d - math.sqrt((pv - lv) ** 2 + (uc - pc) ** 2),
        d + math.sqrt((uv - pv) ** 2 + (pc - lc) ** 2),
    )


def lift_interval(
    xc: int, nc: int, xv: int, nv: int, alpha: float
) -> tuple[float | None, tuple[float, float] | None, str]:
    """Relative lift ``p_v / p_c - 1`` and its Katz log interval.

    Parameters
    ----------
    xc, nc, xv, nv : int
        Conversions and leads of control and variant (already checked).
    alpha : float
        1 - confidence level.

    Returns
    -------
    lift : float or None
        None when control has no conversions (a lift over zero is undefined).
    interval : (float, float) or None
        The interval; with a zero variant count, 0.5 is added to every count and the
        low end is -100%.
    method : str
        The method's name (or why there is no lift).
    """
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


#: The test's figures, which a comparison of two arms carries on (its Attributes).
TEST_ATTRIBUTES = shared_doc(
    attributes={
        "z : float": "Pooled two-proportion z statistic (variant minus control).",
        "z_p_value : float": "Two-sided p-value of the z-test.",
        "fisher_p_value : float or None": "Two-sided Fisher exact p-value, when it ran.",
        'test : {"z-test", "fisher"}': "Which test gave ``p_value``.",
        "p_value : float": "The p-value of the test that ran.",
    }
)


@TEST_ATTRIBUTES
@dataclass(frozen=True)
class TwoProportionTest:
    """Which test ran on one variant's 2x2 table against control, and its p-value.

    Attributes
    ----------
    method : str
        Its name.
    """

    z: float
    z_p_value: float
    fisher_p_value: float | None
    test: str
    p_value: float
    method: str


@two_arms_doc
def two_proportion_test(control: tuple[int, int], variant: tuple[int, int]) -> TwoProportionTest:
    """Pooled two-proportion z-test, or Fisher's exact test for a small sparse table.

    Fisher's test runs when an expected cell count is below :data:`MIN_EXPECTED_CELL` and
    the table holds fewer than :data:`FISHER_MAX_TOTAL` leads; above that size its cost
    grows with the total, so the z-test runs even on a sparse table.

    Returns
    -------
    TwoProportionTest
        When no lead or every lead converted, z = 0 and p = 1.
    """
    xc, nc = check_counts(control, "control")
    xv, nv = check_counts(variant, "variant")
    z, z_p = _pooled_z(xc, nc, xv, nv)
    if _min_expected_cell(xc, nc, xv, nv) < MIN_EXPECTED_CELL and nc + nv < FISHER_MAX_TOTAL:
        fisher_p = float(stats.fisher_exact([[xv, nv - xv], [xc, nc - xc]]).pvalue)
        return TwoProportionTest(z, z_p, fisher_p, "fisher", min(1.0, fisher_p), METHOD_FISHER)
    return TwoProportionTest(z, z_p, None, "z-test", z_p, METHOD_Z)


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
