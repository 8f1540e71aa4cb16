"""The backtest in plain words: how often our ranges held at each forecast point, and whether they lean.

:func:`calibration` judges one forecast point of a
:class:`~alignlib.forecast.backtest.Backtest` (the quarters are its trials: the four
points of one quarter share that quarter's luck, so they are never pooled) and says it in
sentences a VP of Sales reads ("8 of the last 10 quarters landed inside our 80% range").
Each range's count of quarters inside it is a binomial count: its exact (Clopper-Pearson)
interval decides "too narrow" (the whole interval below the nominal share) as readily as
"too wide" (the whole interval above it), and the ranges are called "calibrated" only
from :data:`MIN_QUARTERS_CALIBRATED` quarters on; fewer can show a range is off, never
that it is right.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from alignlib.docstrings import shared_doc
from alignlib.forecast.backtest import PLAN_POINT, Backtest, PointScore
from alignlib.format import chance, pct

#: Two-sided confidence of the exact interval behind a verdict (5% in each tail).
CONFIDENCE = 0.90

#: Fewest quarters from which a verdict other than "too few quarters" is given at all.
MIN_QUARTERS = 4

#: Fewest quarters from which the ranges are called "calibrated".
MIN_QUARTERS_CALIBRATED = 12

#: A median off by less than this (relative) is called unbiased.
BIAS_TOLERANCE = 0.05

#: The verdicts, in words the pages print.
VERDICTS = ("calibrated", "too narrow", "too wide", "mis-shaped", "too few quarters")


def exact_interval(hits: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Clopper-Pearson (exact) interval of a binomial proportion.

    Parameters
    ----------
    hits : int
        Successes (quarters inside the range).
    n : int
        Trials (quarters); 0 gives (0, 1).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    tuple of (float, float)
        ``scipy.stats.binomtest(hits, n).proportion_ci(confidence, method="exact")``.
    """
    if n <= 0:
        return 0.0, 1.0
    from scipy import stats

    ci = stats.binomtest(int(hits), int(n)).proportion_ci(confidence, method="exact")
    return float(ci.low), float(ci.high)


def wilson_interval(hits: int, n: int, z: float = 1.6449) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (kept for callers; verdicts use :func:`exact_interval`).

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
class RangeCheck:
    """How often one range (50% or 80%) of one forecast point held the actual.

    Attributes
    ----------
    nominal : float
        What the range claims (0.5 or 0.8).
    inside : int
        Quarters whose actual fell inside it.
    quarters : int
        Quarters scored.
    interval : tuple of float
        Exact :data:`CONFIDENCE` interval of the true share inside.
    p_value : float
        Two-sided exact binomial p-value of ``inside`` if the range were calibrated.
    verdict : str
        ``too narrow``, ``too wide``, ``consistent`` (the interval holds the nominal
        share) or ``too few quarters``.
    """

    nominal: float
    inside: int
    quarters: int
    interval: tuple[float, float]
    p_value: float
    verdict: str

    @classmethod
    def of(cls, inside: int, quarters: int, nominal: float) -> RangeCheck:
        """Judge a count.

        Parameters
        ----------
        inside : int
            Quarters inside the range.
        quarters : int
            Quarters scored.
        nominal : float
            The range's claimed coverage.

        Returns
        -------
        RangeCheck
            With no quarter (or fewer than :data:`MIN_QUARTERS`), ``too few quarters``.
        """
        lo, hi = exact_interval(inside, quarters)
        if quarters <= 0:
            return cls(nominal, 0, 0, (0.0, 1.0), 1.0, "too few quarters")
        from scipy import stats

        p = float(stats.binomtest(int(inside), int(quarters), nominal).pvalue)
        if quarters < MIN_QUARTERS:
            verdict = "too few quarters"
        elif hi < nominal:
            verdict = "too narrow"
        elif lo > nominal:
            verdict = "too wide"
        else:
            verdict = "consistent"
        return cls(nominal, int(inside), int(quarters), (lo, hi), p, verdict)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON.

        Returns
        -------
        dict
        """
        return {**dataclasses.asdict(self), "interval": list(self.interval)}


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
    interval_80, interval_50 : tuple of float
        Exact :data:`CONFIDENCE` intervals of the true shares inside.
    verdict : str
        One of :data:`VERDICTS`: ``too narrow`` or ``too wide`` when a range's whole
        interval lies below or above its claim (``mis-shaped`` when one range is too
        narrow and the other too wide), ``calibrated`` when both intervals hold their
        claims and at least :data:`MIN_QUARTERS_CALIBRATED` quarters were scored, and
        ``too few quarters`` otherwise.
    bias : float
        Mean relative error of the median.
    sentences : tuple of str
        What the report prints.
    range_80, range_50 : RangeCheck
        Each range's check.
    """

    point: str
    quarters: int
    inside_80: int
    inside_50: int
    interval_80: tuple[float, float]
    verdict: str
    bias: float
    sentences: tuple[str, ...]
    range_80: RangeCheck | None = None
    range_50: RangeCheck | None = None

    @property
    def interval_50(self) -> tuple[float, float]:
        """Exact interval of the true share inside the 50% range."""
        return self.range_50.interval if self.range_50 is not None else (0.0, 1.0)

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
            "interval_50": list(self.interval_50),
            "confidence": CONFIDENCE,
            "verdict": self.verdict,
            "bias": self.bias,
            "sentences": list(self.sentences),
            "range_80": None if self.range_80 is None else self.range_80.to_dict(),
            "range_50": None if self.range_50 is None else self.range_50.to_dict(),
        }


def _quarters(n: int) -> str:
    return "1 quarter" if n == 1 else f"{n} quarters"


def _between(check: RangeCheck) -> str:
    lo, hi = check.interval
    return f"between {pct(lo)} and {pct(hi)}"


def _verdict(r80: RangeCheck, r50: RangeCheck, n: int) -> str:
    verdicts = {r80.verdict, r50.verdict}
    if n < MIN_QUARTERS:
        return "too few quarters"
    if "too narrow" in verdicts and "too wide" in verdicts:
        return "mis-shaped"
    if "too narrow" in verdicts:
        return "too narrow"
    if "too wide" in verdicts:
        return "too wide"
    return "calibrated" if n >= MIN_QUARTERS_CALIBRATED else "too few quarters"


def _range_sentence(verdict: str, r80: RangeCheck, r50: RangeCheck) -> str:
    n = r80.quarters
    if verdict == "mis-shaped":
        narrow, wide = (r80, r50) if r80.verdict == "too narrow" else (r50, r80)
        return (
            f"Our ranges have the wrong shape: the {pct(narrow.nominal)} range held only "
            f"{narrow.inside} of {n} (the true share is likely {_between(narrow)}) while the "
            f"{pct(wide.nominal)} range held {wide.inside} of {n} (likely {_between(wide)})."
        )
    off = [r for r in (r80, r50) if r.verdict == verdict]
    if verdict == "too narrow":
        held = "; ".join(
            f"only {r.inside} of {n} inside the {pct(r.nominal)} range (likely {_between(r)}; "
            f"{chance(r.p_value)} chance of a count this far off if calibrated)"
            for r in off
        )
        return f"Our ranges have been too narrow: {held}; read them as less certain than they look."
    if verdict == "too wide":
        held = "; ".join(
            f"{r.inside} of {n} inside the {pct(r.nominal)} range (likely {_between(r)}; "
            f"{chance(r.p_value)} chance of a count this far off if calibrated)"
            for r in off
        )
        return f"Our ranges have been too wide: {held}; the forecast is surer than it says."
    if n < MIN_QUARTERS:
        return (
            f"{_quarters(n).capitalize()} are too few to judge the ranges: the true share "
            f"inside the 80% range could be anywhere {_between(r80)}."
        )
    if verdict == "too few quarters":
        return (
            f"Nothing so far says the ranges are off, but {_quarters(n)} are too few to call "
            f"them calibrated (at least {MIN_QUARTERS_CALIBRATED} are needed): the true share "
            f"inside the 80% range could be anywhere {_between(r80)}, inside the 50% range "
            f"{_between(r50)}."
        )
    return (
        f"That is consistent with calibrated ranges: with {_quarters(n)} the share inside "
        f"the 80% range is likely {_between(r80)} and inside the 50% range {_between(r50)}, "
        "both holding their claims."
    )


#: The Parameters entry of every judgement of a backtest.
_OF_BACKTEST = shared_doc(parameters={"backtest : Backtest": "A backtest."})


@_OF_BACKTEST
def calibration(backtest: Backtest, point: str = PLAN_POINT) -> Calibration:
    """Judge one forecast point of a backtest and say it in words.

    The 80% and 50% ranges are judged on their own counts (see :class:`RangeCheck`);
    the median is "too high" or "too low" when its mean relative error is beyond
    :data:`BIAS_TOLERANCE`.

    Parameters
    ----------
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
    r80 = RangeCheck.of(in80, n, 0.8)
    r50 = RangeCheck.of(in50, n, 0.5)
    verdict = _verdict(r80, r50, n)
    sentences = [
        f"{in80} of the last {_quarters(n)} landed inside our 80% range ({what}); "
        f"{in50} of {n} inside the 50% range.",
        _range_sentence(verdict, r80, r50),
    ]
    bias = score.bias
    if math.isfinite(bias) and abs(bias) >= BIAS_TOLERANCE:
        direction = "high" if bias > 0 else "low"
        sentences.append(f"The median has been {pct(abs(bias))} too {direction} on average.")
    elif math.isfinite(bias):
        sentences.append(
            f"The median has been within {pct(BIAS_TOLERANCE)} of the actual on average."
        )
    return Calibration(
        point, n, in80, in50, r80.interval, verdict, bias, tuple(sentences), r80, r50
    )


@_OF_BACKTEST
def calibrations(backtest: Backtest) -> tuple[Calibration, ...]:
    """One :func:`calibration` per forecast point that scored a quarter, plan time first.

    Returns
    -------
    tuple of Calibration
    """
    rows = backtest.rows
    return tuple(
        calibration(backtest, p)
        for p in backtest.points
        if len(rows) and (rows["point"] == p).any()
    )


@_OF_BACKTEST
def calibration_sentences(backtest: Backtest, point: str = PLAN_POINT) -> list[str]:
    """The sentences of :func:`calibration` (what a report prints).

    Parameters
    ----------
    point : str
        Which forecast point.

    Returns
    -------
    list of str
    """
    return list(calibration(backtest, point).sentences)
