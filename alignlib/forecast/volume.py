"""Lead volume still to come: from the plan, or projected from the history's trend.

:class:`VolumeForecast` gives the expected leads per day of any calendar month and how
much a month varies (coefficient of variation of its volume, Poisson noise included):
:func:`volume_from_history` fits the log-linear trend of the last months and widens the
variation by the uncertainty of that projection; :func:`volume_from_model` spreads a
plan's quarterly volume evenly over its lead window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.history.funnel import FunnelHistory
from alignlib.simulation import FunnelModel, LeadVolume

#: Complete months the trend is fitted to (the most recent ones).
TREND_MONTHS = 12

#: Average month length in days (segments of a lead window).
MONTH_DAYS = 30.4375


@dataclass(frozen=True)
class VolumeForecast:
    """Expected leads per day by calendar month, and their month-to-month variation.

    Attributes
    ----------
    anchor : pandas.Period
        The month :attr:`level` refers to.
    level : float
        Expected leads per day in the anchor month.
    slope : float
        Log growth per month.
    cv : float
        Month-to-month coefficient of variation of a month's volume (0: Poisson).
    common_cv : float
        Uncertainty of the level itself (the projection's standard error on the log
        scale), shared by every month of a window.
    fixed : bool
        Exactly the expected volume (no variation at all).
    source : str
        ``history`` or ``plan``.
    """

    anchor: pd.Period
    level: float
    slope: float = 0.0
    cv: float = 0.0
    common_cv: float = 0.0
    fixed: bool = False
    source: str = "plan"

    def leads_per_day(self, month: pd.Period) -> float:
        """Expected leads per day in ``month``.

        Parameters
        ----------
        month : pandas.Period
            A monthly period.

        Returns
        -------
        float
        """
        steps = (month - self.anchor).n
        return self.level * math.exp(self.slope * steps)

    def window(self, start: pd.Timestamp, days: float) -> LeadVolume:
        """The lead volume of a window of ``days`` days from ``start``, month by month.

        The window is cut into equal segments of about a month (as
        :class:`~alignlib.simulation.LeadVolume` spreads leads evenly over its months);
        each segment expects the leads per day of the calendar month of its middle.

        Parameters
        ----------
        start : pandas.Timestamp
            First day of the window.
        days : float
            Its length (> 0).

        Returns
        -------
        LeadVolume
        """
        segments = max(1, round(days / MONTH_DAYS))
        width = days / segments
        means = []
        for k in range(segments):
            middle = pd.Timestamp(start) + pd.Timedelta(days=(k + 0.5) * width)
            means.append(self.leads_per_day(middle.to_period("M")) * width)
        if self.fixed:
            return LeadVolume.fixed(round(sum(means)))
        # the variation is of the whole volume (Poisson noise included; a spread at or
        # below Poisson's means Poisson); independent months whose sum has the window's
        # variance, the common level uncertainty included (it moves every month together)
        cv = math.sqrt(self.cv**2 + segments * self.common_cv**2)
        spreads = [m * cv for m in means]
        return LeadVolume.monthly(means, spreads)


def volume_from_history(history: FunnelHistory, months: int = TREND_MONTHS) -> VolumeForecast:
    """Project the history's monthly lead volume: log-linear trend of the last months.

    Parameters
    ----------
    history : FunnelHistory
        What the actuals taught as of the forecast date.
    months : int
        How many of the most recent complete months the trend is fitted to.

    Returns
    -------
    VolumeForecast
        With fewer than three months the level is their average and there is no trend;
        the variation is :attr:`FunnelHistory.volume_cv` (Poisson when unknown).

    Raises
    ------
    InputError
        When the history has no complete month of volume.
    """
    volume = history.monthly_volume.iloc[-months:]
    values = volume.to_numpy(dtype=float)
    if not len(values) or values.sum() <= 0:
        raise InputError(
            f"no complete month of lead volume before {history.as_of.date()}: "
            "the forecast needs at least one"
        )
    days = np.array([p.days_in_month for p in volume.index], dtype=float)
    per_day = np.maximum(values, 0.5) / days
    anchor = volume.index[-1]
    cv = float(history.volume_cv or 0.0)
    if len(values) < 3:
        return VolumeForecast(anchor, float(per_day.mean()), 0.0, cv, 0.0, source="history")
    x = np.arange(len(values), dtype=float) - (len(values) - 1)
    logs = np.log(per_day)
    slope, intercept = np.polyfit(x, logs, 1)
    residuals = logs - (slope * x + intercept)
    s2 = float(residuals @ residuals) / max(len(values) - 2, 1)
    # standard error of the fitted log level one to three months ahead (x = 2)
    sxx = float(((x - x.mean()) ** 2).sum())
    se = math.sqrt(s2 * (1 / len(values) + (2 - x.mean()) ** 2 / sxx))
    level = math.exp(intercept + s2 / 2)
    return VolumeForecast(anchor, level, float(slope), cv, se, source="history")


def volume_from_model(model: FunnelModel, start: pd.Timestamp) -> VolumeForecast:
    """The plan's volume: the model's expected leads spread evenly over its lead window.

    Parameters
    ----------
    model : FunnelModel
        A plan's funnel (e.g. :func:`~alignlib.simulation.model_from_params`).
    start : pandas.Timestamp
        Any day of the quarter (the level's month).

    Returns
    -------
    VolumeForecast
        Fixed when the model's volume is fixed; with the model's monthly variation
        (spread over mean, Poisson at or below it) otherwise.
    """
    days = model.quarter_days or 91.0
    leads = model.leads
    cv = 0.0
    if leads.kind == "monthly":
        ratios = [
            s / m for m, s in zip(leads.monthly_means, leads.monthly_spreads, strict=True) if m > 0
        ]
        cv = max(ratios, default=0.0)
    return VolumeForecast(
        pd.Timestamp(start).to_period("M"),
        leads.mean / days,
        0.0,
        cv,
        0.0,
        fixed=leads.kind == "fixed",
        source="plan",
    )
