"""Has the funnel stood still? A history's conversion and lead volume tested for change.

A backtest's coverage says how often the ranges held on the past; it predicts how they
will hold only where the past is like the future. :func:`stationarity` tests the two
things that move a quarter's bookings most: whether top-to-won conversion differed
between matured quarterly cohorts by more than sampling explains (Cochran's Q, see
:func:`~alignlib.forecast.uncertainty.conversion_drift`), and whether the monthly lead
volume trends (the t test of the slope of log volume on time). The page says plainly
when either moved.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alignlib.forecast._docs import matured_snapshot_doc
from alignlib.forecast.uncertainty import STATIONARITY_ALPHA, ConversionDrift, conversion_drift
from alignlib.format import p_value, pct

#: Complete months the volume trend is tested on (the most recent ones).
TREND_TEST_MONTHS = 24

#: Fewest complete months from which a volume trend is tested.
MIN_TREND_MONTHS = 6


@dataclass(frozen=True)
class Stationarity:
    """Whether a history's conversion and lead volume stood still.

    Attributes
    ----------
    drift : ConversionDrift
        The quarterly cohorts' conversion and its homogeneity test.
    volume_growth : float
        Lead volume's fitted growth a year (0.4: 40% a year; NaN when not tested).
    volume_p_value : float
        Two-sided p-value of the slope (NaN when not tested).
    months : int
        Months the volume trend was tested on.
    """

    drift: ConversionDrift
    volume_growth: float
    volume_p_value: float
    months: int

    @property
    def conversion_moved(self) -> bool:
        """Conversion differed between quarters by more than chance."""
        return self.drift.stationary is False

    @property
    def volume_moved(self) -> bool:
        """Lead volume trends."""
        return math.isfinite(self.volume_p_value) and self.volume_p_value < STATIONARITY_ALPHA

    @property
    def stationary(self) -> bool:
        """Neither moved (as far as the history can tell)."""
        return not (self.conversion_moved or self.volume_moved)

    @property
    def sentences(self) -> tuple[str, ...]:
        """What the page says (empty when nothing moved)."""
        out = []
        if self.conversion_moved:
            out.append(
                f"Conversion from first stage to won differed between the {self.drift.cohorts} "
                f"quarterly cohorts by more than chance (p {p_value(self.drift.p_value)}; "
                f"about {pct(self.drift.sd)} from quarter to quarter)."
            )
        if self.volume_moved:
            direction = "grown" if self.volume_growth > 0 else "shrunk"
            out.append(
                f"Lead volume has {direction} about {pct(abs(self.volume_growth))} a year over "
                f"the last {self.months} months (p {p_value(self.volume_p_value)})."
            )
        if out:
            out.append(
                "The history is not stationary: the backtest's coverage describes how the "
                "ranges held while the funnel moved, and the ranges are only as good as the "
                "forecast's grasp of that movement."
            )
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON.

        Returns
        -------
        dict
        """
        return {
            "stationary": self.stationary,
            "conversion_moved": self.conversion_moved,
            "conversion_drift": self.drift.sd,
            "conversion_p_value": self.drift.p_value,
            "cohorts": self.drift.cohorts,
            "volume_growth": self.volume_growth,
            "volume_p_value": self.volume_p_value,
            "volume_moved": self.volume_moved,
            "sentences": list(self.sentences),
        }


def volume_trend(volume: pd.Series, months: int = TREND_TEST_MONTHS) -> tuple[float, float, int]:
    """Growth a year of monthly volume and the two-sided p-value of its slope (OLS on logs).

    Parameters
    ----------
    volume : pandas.Series
        Counts per complete month.
    months : int
        The most recent months tested.

    Returns
    -------
    tuple of (float, float, int)
        ``exp(12 slope) - 1``, the p-value (``scipy.stats.linregress``) and the months
        used; NaNs with fewer than :data:`MIN_TREND_MONTHS` months or a month with none.
    """
    values = volume.to_numpy(dtype=float)[-months:]
    nan = float("nan")
    if len(values) < MIN_TREND_MONTHS or (values <= 0).any():
        return nan, nan, len(values)
    fit = stats.linregress(np.arange(len(values), dtype=float), np.log(values))
    return float(math.expm1(12 * fit.slope)), float(fit.pvalue), len(values)


@matured_snapshot_doc
def stationarity(
    table: pd.DataFrame,
    as_of: pd.Timestamp | str,
    stage_names: Sequence[str],
    maturity_days: float,
    monthly_volume: pd.Series,
) -> Stationarity:
    """Test a history's conversion and lead volume for change.

    Parameters
    ----------
    monthly_volume : pandas.Series
        Contacts entering the top stage per complete month.

    Returns
    -------
    Stationarity
    """
    drift = conversion_drift(table, as_of, stage_names, maturity_days)
    growth, p, months = volume_trend(monthly_volume)
    return Stationarity(drift, growth, p, months)
