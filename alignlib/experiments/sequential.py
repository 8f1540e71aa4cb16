"""Peeking guard: always-valid p-values and intervals by the mixture SPRT.

The mixture sequential probability ratio test (mSPRT; Robbins 1970, Johari et al. 2017
"Peeking at A/B tests") on the pooled z statistic with a normal mixing distribution, see
:func:`always_valid_p_values` and :func:`sequential_check`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import optimize

from alignlib import format as fmt
from alignlib.errors import InputError
from alignlib.experiments.inputs import check_alpha, check_counts

METHOD_SEQUENTIAL = "mixture SPRT (normal mixture) on the pooled z statistic"


def _mixing_ratio(alpha: float) -> float:
    """Kappa = tau^2 / V_planned making the alpha-boundary on |z| tightest at the plan.

    With r = tau^2 / (V + tau^2) the mSPRT rejects when z^2 >= (-2 ln alpha - ln(1 - r)) / r;
    this is smallest where r / (1 - r) = -2 ln alpha - ln(1 - r), i.e.
    kappa = -2 ln alpha + ln(1 + kappa) (about 8.2 at alpha = 0.05).
    """
    a = -2 * math.log(alpha)
    return optimize.brentq(lambda k: k - a - math.log1p(k), a, 10 * a + 10)


def _msprt_log_lr(z: np.ndarray, info_ratio: np.ndarray) -> np.ndarray:
    """Log of the normal-mixture likelihood ratio for a z statistic.

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
    p_single = _always_valid_arrays(xc, nc, xv, nv, planned_n_per_arm, check_alpha(alpha))
    return np.minimum.accumulate(p_single)


def _always_valid_arrays(
    xc: np.ndarray,
    nc: np.ndarray,
    xv: np.ndarray,
    nv: np.ndarray,
    planned_n_per_arm: int,
    alpha: float,
) -> np.ndarray:
    """MSPRT p-value of each look on its own (before the running minimum)."""
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
    alpha : float
        The significance level it was read at.
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
    xc, nc = check_counts(control, "control")
    xv, nv = check_counts(variant, "variant")
    alpha = check_alpha(alpha)
    if isinstance(planned_n_per_arm, bool) or int(planned_n_per_arm) <= 0:
        raise InputError(f"planned_n_per_arm must be a positive number, got {planned_n_per_arm!r}")
    planned = int(planned_n_per_arm)
    xc_, nc_, xv_, nv_ = (np.array([v], dtype=float) for v in (xc, nc, xv, nv))
    p_avi = float(_always_valid_arrays(xc_, nc_, xv_, nv_, planned, alpha)[0])

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
            f"are peeked at; the always-valid p-value is {fmt.p_value(p_avi)}"
            + (
                " - significant even allowing for peeking."
                if significant
                else " - not conclusive yet: keep running to the planned sample."
            )
        )
    else:
        message = (
            f"Planned sample reached ({current:,} of {planned:,} leads per arm); "
            f"always-valid p-value {fmt.p_value(p_avi)}."
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
