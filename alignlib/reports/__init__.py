"""What the report notebooks compute, in one tested place, so the notebooks stay thin.

One module per report (``plan``, ``trend``, ``experiment``) over what they share
(``common``). Each function turns validated parameters and the results of planning,
simulation, metrics and experiments into the small tables and objects a report shows;
the maths lives in those packages. Notebooks call ``reports.<name>``: the names are
re-exported here.
"""

from __future__ import annotations

from alignlib.reports.common import (
    as_frame,
    load_report_params,
    resolve_params_path,
    sla_frame,
    stage_owners,
)
from alignlib.reports.experiment import (
    experiment_detail_table,
    experiment_impacts,
    experiments_table,
    quarter_monthly_volume,
    show_experiment,
)
from alignlib.reports.plan import (
    ActualsView,
    actuals_view,
    channel_table,
    confidence_sentence,
    confidence_table,
    cost_per_stage_table,
    monthly_table,
    plan_table,
    revenue_fan,
    scenario_table,
    sensitivity_table,
    simulation_summary,
    sla_table,
    target_sentence,
    whatif_view,
)
from alignlib.reports.trend import (
    TrendData,
    channel_trend_table,
    cohort_table,
    data_note,
    forecast_method,
    forecast_table,
    funnel_table,
    growth_formats,
    growth_table,
    quarterly_table,
    sla_channel_table,
    sla_owner_table,
    trend_data,
    velocity_table,
)

__all__ = [
    "ActualsView",
    "TrendData",
    "actuals_view",
    "as_frame",
    "channel_table",
    "channel_trend_table",
    "cohort_table",
    "confidence_sentence",
    "confidence_table",
    "cost_per_stage_table",
    "data_note",
    "experiment_detail_table",
    "experiment_impacts",
    "experiments_table",
    "forecast_method",
    "forecast_table",
    "funnel_table",
    "growth_formats",
    "growth_table",
    "load_report_params",
    "monthly_table",
    "plan_table",
    "quarter_monthly_volume",
    "quarterly_table",
    "resolve_params_path",
    "revenue_fan",
    "scenario_table",
    "sensitivity_table",
    "show_experiment",
    "simulation_summary",
    "sla_channel_table",
    "sla_frame",
    "sla_owner_table",
    "sla_table",
    "stage_owners",
    "target_sentence",
    "trend_data",
    "velocity_table",
    "whatif_view",
]
