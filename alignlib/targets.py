"""What monthly targets follow besides the plan: volume growth and month-of-year seasonality.

Both are learned from the monthly lead volume of the actuals (:mod:`alignlib.history.funnel`):
growth as year over year (the last twelve months against the twelve before), seasonality
as each calendar month's level against the trend, shrunk toward 1 where few years show it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Fewest complete months from which year-over-year growth is learned.
MIN_MONTHS_FOR_GROWTH = 13
#: Fewest complete months from which month-of-year seasonality is learned.
MIN_MONTHS_FOR_SEASONALITY = 12
#: Years of evidence at which a month's own index gets half its weight (shrinkage).
SEASONALITY_PRIOR_YEARS = 1.0
#: Days in an average month.
MONTH_DAYS = 365.25 / 12


def learned_growth(volume: pd.Series) -> float | None:
    """Year-over-year growth of monthly volume: recent months against the same months a year before.

    With 24 or more complete months, the last 12 against the 12 before; with 13 to 23,
    the last ``n - 12`` months against the same calendar months a year earlier (so the
    comparison is free of seasonality either way).

    Parameters
    ----------
    volume : pandas.Series
        Counts per complete month (Period index, consecutive).

    Returns
    -------
    float or None
        ``0.2`` for +20% a year; None with fewer than :data:`MIN_MONTHS_FOR_GROWTH`
        months, or no volume in the earlier or in the recent window.
    """
    values = volume.to_numpy(dtype=float)
    n = len(values)
    if n < MIN_MONTHS_FOR_GROWTH:
        return None
    k = min(12, n - 12)
    recent = float(values[n - k :].sum())
    earlier = float(values[n - k - 12 : n - 12].sum())
    if earlier <= 0 or recent <= 0:
        # No volume in the recent window is an export whose leads stop (a leads file
        # that ends before the deals file it is joined with), not a -100% growth.
        return None
    return recent / earlier - 1.0


@dataclass(frozen=True)
class Seasonality:
    """Month-of-year index of volume: 1 is an average month, 0.8 a month 20% below trend.

    Attributes
    ----------
    index : pandas.Series
        Calendar month (1-12) -> index (geometric mean 1 over the year).
    years : pandas.Series
        Calendar month -> how many of that month the history holds.
    """

    index: pd.Series
    years: pd.Series

    def at(self, month_position: float) -> float:
        """The index at a fractional calendar month (1.0 = January, 12.5 = mid-December).

        Linear between neighbouring months on the circle of the year.

        Parameters
        ----------
        month_position : float
            Calendar month, fractional.

        Returns
        -------
        float
        """
        x = (month_position - 1.0) % 12.0
        lo = int(math.floor(x))
        frac = x - lo
        a = float(self.index.iloc[lo])
        b = float(self.index.iloc[(lo + 1) % 12])
        return a + (b - a) * frac

    @classmethod
    def flat(cls) -> Seasonality:
        """No seasonality: every month 1.

        Returns
        -------
        Seasonality
        """
        months = pd.RangeIndex(1, 13, name="month")
        return cls(pd.Series(1.0, index=months), pd.Series(0, index=months))


def seasonality_index(volume: pd.Series, iterations: int = 10) -> Seasonality:
    """Each calendar month's volume against the log-linear trend, shrunk toward 1.

    Fits ``log volume = a + b t + s[month]`` by backfitting (the trend on the
    de-seasonalised volume, then each month's mean residual, repeated), with the month
    effects centred to mean 0. A month seen in ``n`` years keeps ``n / (n + 1)`` of its
    effect (:data:`SEASONALITY_PRIOR_YEARS`), so one year of history moves the index half
    way, two years two thirds.

    Parameters
    ----------
    volume : pandas.Series
        Counts per complete month (Period index).
    iterations : int
        Backfitting rounds.

    Returns
    -------
    Seasonality
        Flat (all 1) with fewer than :data:`MIN_MONTHS_FOR_SEASONALITY` months, or a
        month with no volume.
    """
    values = volume.to_numpy(dtype=float)
    if len(values) < MIN_MONTHS_FOR_SEASONALITY or (values <= 0).any():
        return Seasonality.flat()
    months = np.array([p.month for p in volume.index]) - 1
    logs = np.log(values)
    t = np.arange(len(values), dtype=float)
    effect = np.zeros(12)
    years = np.bincount(months, minlength=12)
    for _ in range(iterations):
        slope, intercept = np.polyfit(t, logs - effect[months], 1)
        residual = logs - (slope * t + intercept)
        sums = np.bincount(months, weights=residual, minlength=12)
        raw = np.divide(sums, years, out=np.zeros(12), where=years > 0)
        effect = raw - raw[years > 0].mean()
    shrunk = effect * years / (years + SEASONALITY_PRIOR_YEARS)
    shrunk -= shrunk.mean()
    index = pd.RangeIndex(1, 13, name="month")
    return Seasonality(pd.Series(np.exp(shrunk), index=index), pd.Series(years, index=index))
