"""Every metric at once, sharing the work they have in common."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from alignlib.errors import InputError
from alignlib.metrics._table import sharing
from alignlib.metrics._threads import one_blas_thread
from alignlib.metrics.actual_to_plan import actual_to_plan
from alignlib.metrics.conversion import (
    cohort_conversion,
    conversion_by,
    funnel,
    historical_counts,
    period_conversion,
)
from alignlib.metrics.costs import costs
from alignlib.metrics.sla import sla
from alignlib.metrics.stage_outlook import forecast_volumes
from alignlib.metrics.trends import trends
from alignlib.metrics.velocity import velocity
from alignlib.metrics.won_lost import won_lost

#: The groupings :func:`summarise` computes conversion by (``conversion_by_<name>``); any
#: other column: :func:`~alignlib.metrics.conversion_by` itself.
CONVERSION_GROUPS = ("channel", "owner", "month")


def summarise(
    table: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | str,
    *,
    spend: pd.DataFrame | None = None,
    sla_hours: float | None = 4.0,
    acceptance_hours: float | None = None,
    handoff_stage: str = "mql",
    plan_monthly: pd.DataFrame | None = None,
    forecast_quarter: pd.Period | str | None = None,
    confidence: float = 0.8,
) -> Mapping[str, Any]:
    """Every metric at once (what a report or the benchmark needs), keyed by name.

    The same as calling each metric on its own; work they have in common (month
    codes of each stage date, channel codes, monthly volumes, the cohort table,
    the trends) is done once.

    Parameters
    ----------
    table : pandas.DataFrame
        Normalised CRM table.
    as_of : date
        When the export was taken.
    spend : DataFrame, optional
        Monthly spend (adds ``costs``).
    sla_hours, acceptance_hours, handoff_stage
        As for :func:`~alignlib.metrics.sla`; ``sla_hours=None`` leaves ``sla`` out.
    plan_monthly : DataFrame, optional
        The plan's monthly volumes (adds ``actual_to_plan``).
    forecast_quarter, confidence
        As for :func:`~alignlib.metrics.forecast_volumes`; ``forecast`` is left out when
        there is no complete month before ``as_of`` or the quarter is over.

    Returns
    -------
    Mapping
        Metric name -> its result.
    """
    with sharing(table):
        out: dict[str, Any] = {
            "funnel": funnel(table),
            "period_conversion": period_conversion(table),
            "cohort_conversion": cohort_conversion(table, as_of),
            "historical_counts": historical_counts(table, as_of),
            "velocity": velocity(table),
            "won_lost": won_lost(table),
            # Over every contact of the group: right whether or not losses are recorded.
            **{f"conversion_by_{by}": conversion_by(table, by) for by in CONVERSION_GROUPS},
            "trends": trends(table, as_of),
        }
        try:
            with one_blas_thread():  # its ETS fits are tiny: BLAS threads only add overhead
                out["forecast"] = forecast_volumes(
                    table, as_of, quarter=forecast_quarter, confidence=confidence
                )
        except InputError:
            pass  # no complete month yet, or the quarter is over: nothing to forecast
        if sla_hours is not None:
            out["sla"] = sla(
                table,
                as_of,
                sla_hours,
                acceptance_hours=acceptance_hours,
                handoff_stage=handoff_stage,
            )
        if spend is not None:
            out["costs"] = costs(table, spend)
        if plan_monthly is not None:
            out["actual_to_plan"] = actual_to_plan(table, plan_monthly, as_of)
    return out
