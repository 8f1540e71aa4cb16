"""Forecast of stage volumes: a statsmodels ETS model per stage, with a simulated quarter interval."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.metrics._table import checked_stages, dated_table_and_stages_doc, result_dict
from alignlib.metrics.trends import trends


@dataclass(frozen=True)
class Forecast:
    """Forecast of stage volumes with a prediction interval.

    Attributes
    ----------
    monthly : DataFrame
        Index (stage, month); ``forecast``, ``lower``, ``upper``.
    quarter : DataFrame
        Index stage; ``forecast``, ``lower``, ``upper`` for the target quarter's
        total (interval from simulated paths, so not the sum of monthly bounds);
        ``actual_to_date`` counts entries already in the quarter.
    target_quarter : Period
    confidence : float
    history : DataFrame
        The complete months the models were fitted on (month x stage).
    method : dict
        Stage -> description of the model used.
    fitted_from : dict
        Stage -> the first month its model was fitted on: the export's first months,
        while contacts created before the export were still missing from a stage
        (the funnel was filling), are skipped (:func:`fill_in_months`).
    lag_p90_days : dict
        Stage -> P90 of the days from a contact's creation to entering the stage, which
        decides the fill-in (NaN when no contact entered it).
    """

    monthly: pd.DataFrame
    quarter: pd.DataFrame
    target_quarter: pd.Period
    confidence: float
    history: pd.DataFrame
    method: dict[str, str]
    fitted_from: dict[str, pd.Period] = field(default_factory=dict)
    lag_p90_days: dict[str, float] = field(default_factory=dict)

    def fill_in_note(self, stage: str | None = None, label: str | None = None) -> str:
        """From when a stage's model fits, in one sentence ("" when it fits from the start).

        Parameters
        ----------
        stage : str, optional
            The stage (default: the last one, won deals).
        label : str, optional
            How to name the stage in the sentence (default: its name).

        Returns
        -------
        str
            E.g. "Won deals fitted from Feb 2025: the first 4 months of the export were
            still filling the funnel (90% of contacts that reach won deals do so within
            122 days of creation)."
        """
        if not self.fitted_from or self.history.empty:
            return ""
        stage = stage if stage is not None else list(self.fitted_from)[-1]
        if stage not in self.fitted_from:
            return ""
        start = self.fitted_from[stage]
        skipped = (start - self.history.index[0]).n
        if skipped <= 0:
            return ""
        months = (
            "month of the export was" if skipped == 1 else f"{skipped} months of the export were"
        )
        name = label or stage
        lag = self.lag_p90_days.get(stage, float("nan"))
        why = (
            f" (90% of contacts that reach {name} do so within {lag:,.0f} days of creation)"
            if np.isfinite(lag)
            else ""
        )
        return (
            f"{name[:1].upper()}{name[1:]} fitted from {start.strftime('%b %Y')}: the first "
            f"{months} still filling the funnel{why}."
        )

    def to_frame(self) -> pd.DataFrame:
        """Quarter totals."""
        return self.quarter

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return result_dict(
            self, "target_quarter", "confidence", "quarter", "monthly", "method", "fitted_from"
        )


def forecast_series(
    history: pd.Series,
    horizon: int,
    *,
    confidence: float = 0.8,
    repetitions: int = 2000,
    rng: np.random.Generator | None = None,
) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Fit an ETS model (statsmodels ``ETSModel``) to monthly counts and forecast.

    Uses additive errors, a damped additive trend and, with at least 24 months,
    additive yearly seasonality. Returns (frame with ``forecast, lower, upper``
    indexed by month, simulated paths of shape (horizon, repetitions), method).
    With fewer than 6 months, or a constant series, it falls back to the mean with a
    Poisson interval (documented neutral result).

    Parameters
    ----------
    history : Series
        Monthly counts indexed by Period[M].
    horizon : int
        Months to forecast (at least 1).
    confidence : float
        Width of the prediction interval.
    repetitions : int
        Simulated paths.
    rng : numpy.random.Generator, optional
        Random numbers for the paths (default: seed 0).

    """
    from scipy import stats

    if not 0 < confidence < 1:
        raise InputError(f"confidence must be in (0, 1), got {confidence}")
    if horizon < 1:
        raise InputError(f"horizon must be at least 1 month, got {horizon}")
    rng = rng if rng is not None else np.random.default_rng(0)
    start = history.index[-1] + 1
    months = pd.period_range(start, periods=horizon, freq="M", name="month")
    y = history.astype(float)
    alpha = 1 - confidence
    if len(y) < 6 or y.std() == 0:
        level = float(y.tail(3).mean()) if len(y) else 0.0
        paths = rng.poisson(level, size=(horizon, repetitions)).astype(float)
        lo, hi = stats.poisson.ppf([alpha / 2, 1 - alpha / 2], level) if level > 0 else (0.0, 0.0)
        frame = pd.DataFrame({"forecast": level, "lower": lo, "upper": hi}, index=months)
        return frame, paths, "mean of the last 3 months (too little history for ETS)"
    import warnings

    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasonal = "add" if len(y) >= 24 else None
    ts = pd.Series(y.to_numpy(), index=history.index.to_timestamp(), name=history.name).asfreq("MS")
    # Heuristic initial states with seasonality: far fewer parameters to optimise
    # than 12 estimated seasonal states on two years of data (and ~100x faster).
    model = ETSModel(
        ts,
        error="add",
        trend="add",
        damped_trend=True,
        seasonal=seasonal,
        seasonal_periods=12 if seasonal else None,
        initialization_method="heuristic" if seasonal else "estimated",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(disp=False)
        pred = fit.get_prediction(start=len(ts), end=len(ts) + horizon - 1).summary_frame(
            alpha=alpha
        )
        sims = fit.simulate(horizon, anchor="end", repetitions=repetitions, rng=rng)
    paths = np.clip(np.asarray(sims, dtype=float).reshape(horizon, repetitions), 0, None)
    frame = pd.DataFrame(
        {
            "forecast": pred["mean"].clip(lower=0).to_numpy(),
            "lower": pred["pi_lower"].clip(lower=0).to_numpy(),
            "upper": pred["pi_upper"].clip(lower=0).to_numpy(),
        },
        index=months,
    )
    method = "ETS(A,Ad,A) seasonal 12" if seasonal else "ETS(A,Ad,N)"
    return frame, paths, method


def fill_in_months(
    table: pd.DataFrame, stages: Sequence[str], months: pd.PeriodIndex
) -> tuple[dict[str, pd.Period], dict[str, float]]:
    """The first month of each stage's history that the export's start no longer thins.

    An export holds the contacts created from its first date on; a deal won in its
    first months was mostly created before it, so a stage's monthly entries climb from
    near zero while the funnel fills (won 0, 0, 8, then 28 on the sample). A month is
    full when it starts at least the P90 of the stage's days from creation to entry
    (whole days) after the export's first contact date: at most a tenth of its entries
    can come from contacts created before the export.

    Parameters
    ----------
    table : pandas.DataFrame
        Normalised CRM table (``created``, or the first stage's date without it).
    stages : sequence of str
        The stages, top to bottom.
    months : pandas.PeriodIndex
        The months of history (ascending).

    Returns
    -------
    tuple of dict
        Stage -> first month to fit from (the first month of ``months`` when the lag is
        unknown, or when no month of ``months`` is full: then every month is used), and
        stage -> the P90 lag in days (NaN when no contact entered the stage).
    """
    fitted: dict[str, pd.Period] = {}
    lags: dict[str, float] = {}
    if not len(months):
        return fitted, lags
    created = table["created"] if "created" in table.columns else table[f"entered_{stages[0]}"]
    first = created.min()
    for s in stages:
        fitted[s] = months[0]
        days = ((table[f"entered_{s}"] - created).dt.total_seconds() / 86_400).dropna()
        if pd.isna(first) or days.empty:
            lags[s] = float("nan")
            continue
        lags[s] = float(np.quantile(days.clip(lower=0).to_numpy(), 0.9))
        full_from = pd.Timestamp(first).normalize() + pd.Timedelta(days=int(lags[s]))
        month = full_from.to_period("M")
        if full_from > month.start_time:
            month += 1
        if months[0] < month <= months[-1]:
            fitted[s] = month
    return fitted, lags


@dated_table_and_stages_doc
def forecast_volumes(
    table: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | str,
    *,
    stage_names: Sequence[str] | None = None,
    quarter: pd.Period | str | None = None,
    confidence: float = 0.8,
    seed: int | None = 2026,
    fit_from: pd.Period | str | None = None,
) -> Forecast:
    """Forecast each stage's monthly entries through a quarter, with an interval.

    Models are fitted on complete months up to ``as_of``, from the first month the
    funnel had filled (:func:`fill_in_months`: the export's first months miss the
    entries of contacts created before it); the forecast covers the
    months from the first incomplete one to the end of ``quarter`` (default: the
    quarter after the one containing ``as_of``). The quarter total adds the
    entries already recorded in the quarter's complete months and the month to
    date is replaced by its forecast. The interval of the total comes from
    simulated ETS paths (``seed`` makes it reproducible).

    Parameters
    ----------
    quarter : Period or str, optional
        Target quarter.
    confidence : float
        Width of the interval.
    seed : int, optional
        Seed of the simulated paths.
    fit_from : Period or str, optional
        Fit every stage from this month instead (the export's first month fits on the
        fill-in too).

    Returns
    -------
    Forecast

    Raises
    ------
    InputError
        No complete month before ``as_of``, or the quarter is already over.
    """
    stages = checked_stages(table, stage_names)
    as_of_ts = pd.Timestamp(as_of)
    tr = trends(table, as_of_ts, stage_names=stages)
    history = tr.monthly[list(stages)]
    if history.empty:
        raise InputError("no complete month of data before as_of: nothing to forecast from")
    q = pd.Period(quarter, "Q") if quarter is not None else as_of_ts.to_period("Q") + 1
    first = history.index[-1] + 1
    last = q.asfreq("M", how="end")
    if last < first:
        raise InputError(f"quarter {q} is already complete in the data (as of {as_of_ts.date()})")
    horizon = (last - first).n + 1
    rng = np.random.default_rng(seed)
    alpha = 1 - confidence
    monthly_parts, quarter_rows, methods = [], [], {}
    q_months = pd.period_range(q.asfreq("M", how="start"), last, freq="M")
    fitted_from, lags = fill_in_months(table, stages, history.index)
    if fit_from is not None:
        fixed = max(pd.Period(fit_from, "M"), history.index[0])
        fitted_from = dict.fromkeys(stages, min(fixed, history.index[-1]))
    for s in stages:
        frame, paths, method = forecast_series(
            history.loc[fitted_from[s] :, s], horizon, confidence=confidence, rng=rng
        )
        methods[s] = method
        monthly_parts.append(frame.assign(stage=s).set_index("stage", append=True).swaplevel())
        in_q = frame.index.isin(q_months)
        actual = int(history.loc[history.index.isin(q_months), s].sum())
        totals = paths[in_q].sum(axis=0) + actual
        quarter_rows.append(
            {
                "stage": s,
                "actual_to_date": actual,
                "forecast": float(frame.loc[in_q, "forecast"].sum() + actual),
                "lower": float(np.quantile(totals, alpha / 2)),
                "upper": float(np.quantile(totals, 1 - alpha / 2)),
            }
        )
    monthly = pd.concat(monthly_parts)
    return Forecast(
        monthly,
        pd.DataFrame(quarter_rows).set_index("stage"),
        q,
        confidence,
        history,
        methods,
        fitted_from,
        lags,
    )
