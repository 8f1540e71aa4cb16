"""Funnel metrics from the normalised CRM table: conversion, velocity, costs, trends, SLA, plan.

Every function is pure and vectorised over the table :mod:`alignlib.crm` builds
(``entered_<stage>``, ``reached_<stage>``, ``channel``, ``owner``, ``outcome``,
``amount``, ``first_response``, ...). Outputs are aggregates only: no ids, names
or emails ever appear in them.

Conventions: months are ``pandas.Period[M]``; a *cohort* is the month a contact
was created; *period* counts are entries into a stage by the month of the
stage's date (a skipped stage has no date and is not counted in period views,
but counts as reached in cohort views). Rates with a zero denominator are NaN
(shown as "n/a"): never a silent 0.

One module per concept: :mod:`~alignlib.metrics.volumes` (stage entries by period,
which most others build on), :mod:`~alignlib.metrics.conversion`,
:mod:`~alignlib.metrics.velocity`, :mod:`~alignlib.metrics.costs`,
:mod:`~alignlib.metrics.won_lost`, :mod:`~alignlib.metrics.trends`,
:mod:`~alignlib.metrics.stage_outlook`, :mod:`~alignlib.metrics.sla`,
:mod:`~alignlib.metrics.actual_to_plan`, :mod:`~alignlib.metrics.pipeline_change`
(a week's deals created, advanced, slipped, won and lost), and :mod:`~alignlib.metrics.summary`
(every metric at once).
"""

from alignlib.metrics._table import stages_of, transition_names
from alignlib.metrics.actual_to_plan import ActualToPlan, actual_to_plan
from alignlib.metrics.conversion import (
    CohortConversion,
    ConversionBy,
    cohort_conversion,
    conversion_by,
    funnel,
    historical_counts,
    period_conversion,
    time_to_convert,
)
from alignlib.metrics.costs import Costs, costs
from alignlib.metrics.pipeline_change import PipelineChange, pipeline_change
from alignlib.metrics.sla import SLAReport, sla
from alignlib.metrics.stage_outlook import Forecast, forecast_series, forecast_volumes
from alignlib.metrics.summary import summarise
from alignlib.metrics.trends import Trends, trends
from alignlib.metrics.velocity import Velocity, velocity
from alignlib.metrics.volumes import stage_volumes
from alignlib.metrics.won_lost import WonLost, won_lost

__all__ = [
    "ActualToPlan",
    "CohortConversion",
    "ConversionBy",
    "Costs",
    "Forecast",
    "PipelineChange",
    "SLAReport",
    "Trends",
    "Velocity",
    "WonLost",
    "actual_to_plan",
    "cohort_conversion",
    "conversion_by",
    "costs",
    "forecast_series",
    "forecast_volumes",
    "funnel",
    "historical_counts",
    "period_conversion",
    "pipeline_change",
    "sla",
    "stage_volumes",
    "stages_of",
    "summarise",
    "time_to_convert",
    "transition_names",
    "trends",
    "velocity",
    "won_lost",
]
