"""The backtest in plain words: how often our ranges held, and whether they lean.

:func:`calibration` turns a :class:`~alignlib.forecast.backtest.Backtest` into sentences a
VP of Sales reads ("8 of the last 10 quarters landed inside our 80% range"), says plainly
when the ranges have been too narrow or too wide or the median biased, and gives the
sampling caveat: with few quarters a coverage is only known to within a wide interval
(Wilson score interval on the binomial count).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from alignlib.forecast.backtest import PLAN_POINT, Backtest, PointScore
from alignlib.format import pct

#: z of the two-sided 90% interval used for the sampling caveat.
_Z90 = 1.6449


def wilson_interval(hits: int, n: int, z: float = _Z90) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion.

    Parameters
    ----------
    hits : int
        Successes.
    n : int
        Trials (0 gives (0, 1)).
    z : float
        Normal quantile (1.645: a 90% interval).

    Returns
    -------
    tuple of (float, float)
    """
    if n <= 0:
        return 0.0, 1.0
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Calibration:
    """How well one forecast point's ranges held, in numbers and sentences.

    Attributes
    ----------
    point : str
        The forecast point judged (``plan``, ``week 0``, ...).
    quarters : int
        Quarters scored.
    inside_80, inside_50 : int
        Quarters whose actual fell inside the 80% and 50% ranges.
    interval_80 : tuple of float
        90% Wilson interval of the true 80%-range coverage.
    verdict : str
        ``calibrated``, ``too narrow``, ``too wide`` or ``too few quarters``.
    bias : float
        Mean relative error of the median.
    sentences : tuple of str
        What the report prints.
    """

    point: str
    quarters: int
    inside_80: int
    inside_50: int
    interval_80: tuple[float, float]
    verdict: str
    bias: float
    sentences: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON.

        Returns
        -------
        dict
        """
        return {
            "point": self.point,
            "quarters": self.quarters,
            "inside_80": self.inside_80,
            "inside_50": self.inside_50,
            "interval_80": list(self.interval_80),
            "verdict": self.verdict,
            "bias": self.bias,
            "sentences": list(self.sentences),
        }


def _quarters(n: int) -> str:
    return "1 quarter" if n == 1 else f"{n} quarters"


#: Fewest quarters from which a verdict is given at all.
MIN_QUARTERS = 4

#: A median off by less than this (relative) is called unbiased.
BIAS_TOLERANCE = 0.05


def calibration(backtest: Backtest, point: str = PLAN_POINT) -> Calibration:
    """Judge one forecast point of a backtest and say it in words.

    The ranges are "too narrow" when even the top of the 90% interval of their true
    coverage lies below the nominal 80% (too wide: the bottom above it); the median is
    "too high" or "too low" when its mean relative error is beyond
    :data:`BIAS_TOLERANCE`.

    Parameters
    ----------
    backtest : Backtest
        A backtest.
    point : str
        Which forecast point (default the plan-time forecast: the odds the plan quotes).

    Returns
    -------
    Calibration
        With no quarter scored, verdict ``too few quarters`` and one sentence saying so.
    """
    rows = backtest.rows
    rows = rows.loc[rows["point"] == point] if len(rows) else rows
    n = len(rows)
    what = "plan-time forecast" if point == PLAN_POINT else f"forecast at {point}"
    if n == 0:
        return Calibration(
            point,
            0,
            0,
            0,
            (0.0, 1.0),
            "too few quarters",
            float("nan"),
            (f"No past quarter could be backtested for the {what} yet.",),
        )
    score: PointScore = backtest.point(point)
    in80 = int(rows["inside_80"].sum())
    in50 = int(rows["inside_50"].sum())
    lo, hi = wilson_interval(in80, n)
    sentences = [
        f"{in80} of the last {_quarters(n)} landed inside our 80% range ({what}); "
        f"{in50} of {n} inside the 50% range."
    ]
    if n < MIN_QUARTERS:
        verdict = "too few quarters"
        sentences.append(
            f"{_quarters(n).capitalize()} are too few to judge the ranges: the true share "
            f"inside the 80% range could be anywhere from {pct(lo)} to {pct(hi)}."
        )
    elif hi < 0.8:
        verdict = "too narrow"
        sentences.append(
            f"Our ranges have been too narrow: only {in80} of {n} inside the 80% range "
            f"(the true share is likely between {pct(lo)} and {pct(hi)}); read them as "
            "less certain than they look."
        )
    elif lo > 0.8:
        verdict = "too wide"
        sentences.append(
            f"Our ranges have been wider than needed: {in80} of {n} inside the 80% range "
            f"(likely between {pct(lo)} and {pct(hi)})."
        )
    else:
        verdict = "calibrated"
        sentences.append(
            f"That is consistent with a calibrated 80% range: with {_quarters(n)} the share "
            f"inside could be anywhere from {pct(lo)} to {pct(hi)} by chance alone."
        )
    bias = score.bias
    if math.isfinite(bias) and abs(bias) >= BIAS_TOLERANCE:
        direction = "high" if bias > 0 else "low"
        sentences.append(f"The median has been {pct(abs(bias))} too {direction} on average.")
    elif math.isfinite(bias):
        sentences.append(
            f"The median has been within {pct(BIAS_TOLERANCE)} of the actual on average."
        )
    return Calibration(point, n, in80, in50, (lo, hi), verdict, bias, tuple(sentences))


def calibration_sentences(backtest: Backtest, point: str = PLAN_POINT) -> list[str]:
    """The sentences of :func:`calibration` (what a report prints).

    Parameters
    ----------
    backtest : Backtest
        A backtest.
    point : str
        Which forecast point.

    Returns
    -------
    list of str
    """
    return list(calibration(backtest, point).sentences)
