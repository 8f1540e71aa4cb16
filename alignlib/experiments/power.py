"""Power: leads per arm to detect a change, the smallest detectable change, weeks to run.

Textbook normal approximation, pooled variance under the null, unpooled under the
alternative, no continuity correction, rounded up (equals statsmodels
``samplesize_proportions_2indep_onetail``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

from alignlib import format as fmt
from alignlib.errors import InputError
from alignlib.experiments.inputs import check_alpha, check_rate

#: Weeks in an average month (365.25 / 12 / 7).
WEEKS_PER_MONTH: float = 365.25 / 12 / 7

METHOD_SAMPLE_SIZE = (
    "normal approximation, pooled variance under the null, unpooled under the "
    "alternative, no continuity correction"
)


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
    arms : int
    n_total : int
        n_per_arm x arms.
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
            f"To detect {fmt.pct(self.baseline, 1)} -> {fmt.pct(self.target_rate, 1)} "
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
    baseline = check_rate(baseline, "baseline")
    if isinstance(mde, bool) or not isinstance(mde, int | float | np.integer | np.floating):
        raise InputError(f"mde must be a number, got {mde!r}")
    mde = float(mde)
    if mde == 0:
        raise InputError("mde must not be zero: no sample detects a zero difference")
    check_rate(baseline + mde, "baseline + mde")
    alpha = check_alpha(alpha)
    power = check_alpha(power, "power")
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
            f"With {self.n_per_arm:,} leads per arm and a {fmt.pct(self.baseline, 1)} baseline, "
            f"the smallest detectable increase is {100 * self.mde:.2f} pts "
            f"({self.relative_mde:+.1%} relative, to {fmt.pct(self.target_rate, 1)}) at "
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
    baseline = check_rate(baseline, "baseline")
    alpha = check_alpha(alpha)
    power = check_alpha(power, "power")
    if isinstance(n_per_arm, bool) or int(n_per_arm) <= 0:
        raise InputError(f"n_per_arm must be positive, got {n_per_arm!r}")
    n = int(n_per_arm)
    lo, hi = 1e-9, (1 - baseline) * (1 - 1e-9)

    def gap(m: float) -> float:
        return _n_exact(baseline, m, alpha, power, two_sided) - n

    if gap(hi) > 0:
        raise InputError(
            f"{n:,} leads per arm cannot detect any increase over a {fmt.pct(baseline, 1)} "
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
