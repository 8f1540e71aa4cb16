"""Trends: month-over-month, quarter-over-quarter, year-over-year growth and rolling means."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from alignlib.metrics._table import (
    checked_stages,
    dated_table_and_stages_doc,
    result_dict,
    shared,
    transition_names,
)
from alignlib.metrics.volumes import stage_volumes


@dataclass(frozen=True)
class Trends:
    """Growth of stage volumes and conversion rates.

    Attributes
    ----------
    monthly : DataFrame
        Index month (complete months only); stage volumes and period conversion rates.
    mom : DataFrame
        Month-over-month change (fraction) of every column of ``monthly``.
    rolling3 : DataFrame
        Three-month rolling mean of ``monthly``.
    yoy : DataFrame
        Change against the same month a year earlier.
    quarterly : DataFrame
        Quarter sums of volumes (complete quarters and the current one flagged by
        ``complete``), with rates recomputed from the sums.
    qoq : DataFrame
        Quarter-over-quarter change of ``quarterly`` (complete quarters only).
    partial_month : Period or None
        The month containing ``as_of``, left out because it is incomplete.
    """

    monthly: pd.DataFrame
    mom: pd.DataFrame
    rolling3: pd.DataFrame
    yoy: pd.DataFrame
    quarterly: pd.DataFrame
    qoq: pd.DataFrame
    partial_month: pd.Period | None

    def to_frame(self) -> pd.DataFrame:
        """Monthly volumes and rates."""
        return self.monthly

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return result_dict(self, "monthly", "mom", "yoy", "qoq", "partial_month")


def _with_rates(vol: pd.DataFrame, stages: Sequence[str]) -> pd.DataFrame:
    out = vol.copy()
    for a, b, name in zip(stages[:-1], stages[1:], transition_names(stages), strict=True):
        out[name] = vol[b] / vol[a].where(vol[a] > 0)
    return out


@dated_table_and_stages_doc
def trends(
    table: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | str,
    *,
    stage_names: Sequence[str] | None = None,
) -> Trends:
    """Month-over-month, quarter-over-quarter and year-over-year growth, rolling 3-month means.

    The month containing ``as_of`` is incomplete (unless ``as_of`` is its last
    day) and is left out, so a partial month never reads as a collapse. Growth
    from a zero base is NaN.

    Returns
    -------
    Trends
    """
    stages = checked_stages(table, stage_names)
    as_of_ts = pd.Timestamp(as_of)
    return shared(table, ("trends", stages, as_of_ts), lambda: _trends(table, as_of_ts, stages))


def _trends(table: pd.DataFrame, as_of_ts: pd.Timestamp, stages: Sequence[str]) -> Trends:
    vol = stage_volumes(table, stage_names=stages)
    cur = as_of_ts.to_period("M")
    partial = None if as_of_ts.normalize() == cur.end_time.normalize() else cur
    last_complete = cur if partial is None else cur - 1
    vol = vol.loc[vol.index <= last_complete]
    monthly = _with_rates(vol, stages)

    def change(f: pd.DataFrame, periods: int) -> pd.DataFrame:
        prev = f.shift(periods)
        return (f - prev) / prev.where(prev != 0)

    mom = change(monthly, 1)
    yoy = change(monthly, 12)
    rolling3 = monthly.rolling(3).mean()
    q = vol.groupby(vol.index.asfreq("Q")).sum()
    q.index.name = "quarter"
    months_in = vol.groupby(vol.index.asfreq("Q")).size()
    quarterly = _with_rates(q, stages)
    quarterly["complete"] = (months_in == 3).to_numpy()
    complete = quarterly.loc[quarterly["complete"]].drop(columns="complete")
    qoq = change(complete, 1)
    return Trends(monthly, mom, rolling3, yoy, quarterly, qoq, partial)
