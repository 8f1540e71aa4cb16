"""Time phasing: when each stage's volume must enter, month by month, given the lags."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.targets import MONTH_DAYS, Seasonality


def _check_phasing(months: Sequence[pd.Period], phasing: Sequence[float]) -> None:
    """Raise :class:`~alignlib.errors.InputError` unless each month has one phasing share."""
    if len(months) != len(phasing):
        raise InputError(
            f"{len(months)} months need {len(months)} phasing shares (got {len(phasing)})"
        )


def monthly_phasing(
    required: pd.Series,
    lags_to_won: pd.Series,
    months: Sequence[pd.Period],
    phasing: Sequence[float],
) -> pd.DataFrame:
    """When each stage's volume must enter so that its deals close in their month.

    Wins in quarter month ``m`` are spread evenly over that month; a contact enters
    stage ``s`` ``lags_to_won[s]`` days before it is won, so stage ``s``'s volume for
    month ``m`` falls in the calendar months that window overlaps, shifted back.

    Parameters
    ----------
    required : Series
        Volume per stage for the quarter (indexed by stage).
    lags_to_won : Series
        Typical days from entering each stage to closing won (0 for the last stage).
    months : sequence of Period
        The quarter's months, in order.
    phasing : sequence of float
        Share of the quarter's wins closing in each month (sums to 1).

    Returns
    -------
    DataFrame
        Indexed by month (``Period[M]``, earliest first, including months before the
        quarter), one column per stage; each column sums to ``required``.
    """
    _check_phasing(months, phasing)
    first = min(months) - int(math.ceil(float(lags_to_won.max()) / 28) + 1)
    calendar = pd.period_range(first, max(months), freq="M")
    cal_start = calendar.start_time.to_numpy()
    cal_end = (calendar.end_time + pd.Timedelta(1, "ns")).to_numpy()
    out = pd.DataFrame(0.0, index=calendar, columns=required.index)
    for month, share in zip(months, phasing, strict=True):
        m_start, m_end = month.start_time, month.end_time + pd.Timedelta(1, "ns")
        length = (m_end - m_start) / pd.Timedelta(1, "D")
        for stage, lag in lags_to_won.items():
            shift = pd.Timedelta(float(lag), "D")
            lo = np.maximum(cal_start, (m_start - shift).to_datetime64())
            hi = np.minimum(cal_end, (m_end - shift).to_datetime64())
            overlap_days = np.clip((hi - lo) / np.timedelta64(1, "D"), 0, None)
            out[stage] += share * overlap_days / length
    out = out.mul(required.astype(float), axis=1)
    out.index.name = "month"
    return out.loc[(out.sum(axis=1) > 1e-9).cumsum() > 0]


def steady_state_targets(
    required: pd.Series,
    lags_to_won: pd.Series,
    months: Sequence[pd.Period],
    phasing: Sequence[float],
    *,
    growth: float = 0.0,
    seasonality: Seasonality | None = None,
) -> pd.DataFrame:
    """Each stage's monthly target inside the quarter, when every quarter runs this plan.

    :func:`monthly_phasing` answers "when must the volume for *this* quarter's deals
    enter"; a sales or marketing team, though, works every month for the deals of
    the quarters that follow too. With the following quarters running this plan grown by
    ``growth`` a year (quarter ``q`` after this one books ``(1 + growth) ** (q / 4)``
    times as much, as the simulation's carry-in assumes with no growth), the volume a
    stage must see in each of this quarter's months is the sum of what every quarter's
    wins need then. Time runs in months of equal length (lags in days over 365.25 / 12),
    so without growth each stage's targets add up to exactly its required volume.

    Seasonality then moves each stage's volume between the quarter's months (its total
    kept): a month whose leads are weak every year (the index of the calendar month the
    stage's contacts arrived as leads, its lag from the top stage earlier) is asked for
    less, the others for more. The last stage keeps the plan's phasing.

    Parameters
    ----------
    required : pandas.Series
        Volume per stage for the quarter (indexed by stage, top first).
    lags_to_won : pandas.Series
        Typical days from entering each stage to closing won (0 for the last stage).
    months : sequence of Period
        The quarter's months, in order.
    phasing : sequence of float
        Share of the quarter's wins closing in each month (sums to 1).
    growth : float
        Year-over-year growth of the plan (0.2 = +20%); 0 repeats this quarter.
    seasonality : Seasonality, optional
        Month-of-year index of lead volume (:func:`alignlib.targets.seasonality_index`).

    Returns
    -------
    pandas.DataFrame
        Indexed by the quarter's months, one column per stage.
    """
    _check_phasing(months, phasing)
    if not (math.isfinite(growth) and growth > -1):
        raise InputError(f"growth must be more than -100% (got {growth!r})")
    n = len(months)
    lag_months = lags_to_won.astype(float).to_numpy() / MONTH_DAYS
    quarters_after = int(math.ceil(float(lag_months.max(initial=0.0)) / n)) + 1
    slots = np.arange(n, dtype=float)
    weights = np.zeros((n, len(lag_months)))
    for q in range(quarters_after + 1):
        scale = (1.0 + growth) ** (q * n / 12.0)
        for j, share in enumerate(phasing):
            lo = n * q + j - lag_months  # when stage s enters for wins in slot j
            hi = lo + 1.0
            overlap = np.clip(
                np.minimum(slots[:, None] + 1.0, hi[None, :]) - np.maximum(slots[:, None], lo),
                0.0,
                None,
            )
            weights += scale * float(share) * overlap
    targets = pd.DataFrame(
        weights * required.astype(float).to_numpy()[None, :],
        index=pd.PeriodIndex(list(months), name="month"),
        columns=required.index,
    )
    if seasonality is not None:
        top = float(lag_months[0])
        for k, stage in enumerate(required.index[:-1]):
            shift = top - float(lag_months[k])
            index = np.array([seasonality.at(m.month - shift) for m in months])
            column = targets[stage].to_numpy()
            total = column.sum()
            moved = column * index
            if total > 0 and moved.sum() > 0:
                targets[stage] = moved * total / moved.sum()
    return targets
