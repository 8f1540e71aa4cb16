"""Actual to plan: actual stage entries against the plan's months, pacing and projected landing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.metrics._table import checked_stages, month_codes, result_dict, table_and_stages_doc
from alignlib.metrics.volumes import stage_volumes

DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class ActualToPlan:
    """Actual stage volumes against the plan's monthly volumes.

    Attributes
    ----------
    monthly : DataFrame
        Index (month, stage); ``plan``, ``actual``, ``variance`` (actual - plan),
        ``attainment`` (actual / plan), ``complete`` (the month is over at ``as_of``).
    summary : DataFrame
        Index stage; ``plan_total`` (all plan months), ``plan_to_date`` (complete
        months plus the elapsed share of the current one), ``actual_to_date``,
        ``variance_to_date``, ``pacing`` (actual / plan to date), ``projected``
        (pacing x plan total), ``projected_vs_plan`` (projected - plan total).
    as_of : Timestamp
    """

    monthly: pd.DataFrame
    summary: pd.DataFrame
    as_of: pd.Timestamp

    def to_frame(self) -> pd.DataFrame:
        """The per-stage summary."""
        return self.summary

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return result_dict(self, "as_of", "summary", "monthly")


@table_and_stages_doc
def actual_to_plan(
    table: pd.DataFrame,
    plan_monthly: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | str,
    *,
    stage_names: Sequence[str] | None = None,
) -> ActualToPlan:
    """Compare actual entries per stage and month with the plan, pace and project the landing.

    Parameters
    ----------
    plan_monthly : DataFrame
        ``plan.monthly`` from :func:`alignlib.planning.build_plan`: indexed by month
        (Period[M], including months before the quarter where volume must enter
        early), one column per stage = volume that must enter that stage that month.
        Columns that are not stages of the table are ignored.
    as_of : date
        Today, for the export.

    Returns
    -------
    ActualToPlan

    Notes
    -----
    The plan window for a stage is every plan month; ``plan_to_date`` counts
    months before ``as_of``'s month in full and the current month by the share of
    its days elapsed (``as_of`` day included). Before the window starts pacing
    is NaN and the projection is the plan. Projection assumes the pace to date
    continues (``pacing x plan_total``).
    """
    as_of_ts = pd.Timestamp(as_of)
    table_stages = checked_stages(table, stage_names)
    stages = [s for s in plan_monthly.columns if s in table_stages]
    if not stages:
        raise InputError(
            f"the plan has no stage columns in common with the table "
            f"(plan: {', '.join(map(str, plan_monthly.columns))}; table: {', '.join(table_stages)})"
        )
    plan = plan_monthly[stages].copy()
    plan.index = pd.PeriodIndex(plan.index, freq="M")
    # Only entries up to the end of the as-of day count as actuals: whole months
    # before the as-of month, that month up to the cutoff, nothing after it.
    cutoff = np.datetime64((as_of_ts.normalize() + DAY).to_datetime64(), "s")
    cur = as_of_ts.to_period("M")
    vol = stage_volumes(table)[stages].reindex(plan.index, fill_value=0)
    if cur in vol.index:
        cur_code = (cur.year - 1970) * 12 + cur.month - 1
        for s in stages:
            if cur_code < 0:  # months before 1970 are not counted (see stage_volumes)
                vol.loc[cur, s] = 0
                continue
            in_cur = month_codes(table, f"entered_{s}") == cur_code
            dates = table[f"entered_{s}"].to_numpy(dtype="datetime64[s]")
            vol.loc[cur, s] = int((dates[in_cur] < cutoff).sum())
    elapsed = np.where(
        plan.index < cur,
        1.0,
        np.where(plan.index == cur, as_of_ts.day / cur.days_in_month, 0.0),
    )
    actual = vol.where(
        pd.DataFrame(elapsed > 0, index=plan.index).to_numpy().repeat(len(stages), 1), 0
    )
    plan_long = plan.stack().rename("plan")
    act_long = actual.stack().rename("actual")
    monthly = pd.concat([plan_long, act_long], axis=1)
    monthly.index = monthly.index.set_names(["month", "stage"])
    monthly["variance"] = monthly["actual"] - monthly["plan"]
    monthly["attainment"] = monthly["actual"] / monthly["plan"].where(monthly["plan"] > 0)
    month_idx = monthly.index.get_level_values("month")
    monthly["complete"] = month_idx < cur
    plan_to_date = plan.mul(elapsed, axis=0).sum()
    actual_to_date = actual.sum()
    plan_total = plan.sum()
    pacing = actual_to_date / plan_to_date.where(plan_to_date > 0)
    projected = (pacing * plan_total).where(pacing.notna(), plan_total)
    summary = pd.DataFrame(
        {
            "plan_total": plan_total,
            "plan_to_date": plan_to_date,
            "actual_to_date": actual_to_date.astype(int),
            "variance_to_date": actual_to_date - plan_to_date,
            "pacing": pacing,
            "projected": projected,
            "projected_vs_plan": projected - plan_total,
        }
    )
    summary.index.name = "stage"
    return ActualToPlan(monthly, summary, as_of_ts)
