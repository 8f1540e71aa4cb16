"""The reverse funnel ("actual to plan"): from the bookings target back to leads.

Deterministic: volumes per stage, phased by month with the stage lags, by channel
with their costs, checked against pipeline coverage and sales capacity. No random
numbers here; the odds of hitting the plan are :mod:`alignlib.simulation`'s job.

One concept per module:

- :mod:`~alignlib.planning.funnel`: the reverse funnel in exact fractions, blended or a
  mix of channels (:func:`reverse_funnel`, :func:`mixed_reverse_funnel`, :func:`plan_rates`).
- :mod:`~alignlib.planning.phasing`: monthly phasing with lags (:func:`monthly_phasing`,
  :func:`steady_state_targets`).
- :mod:`~alignlib.planning.channels`: channels as funnel inputs and the channel table
  (:func:`channel_plan`, :func:`channel_input`, :func:`revenue_per_lead`,
  :func:`plan_channel_funnels`).
- :mod:`~alignlib.planning.quarter_funnel`: the quarter's funnel from the parameters,
  and re-planned for what-if moves (:func:`plan_funnel`, :func:`replan_funnel`).
- :mod:`~alignlib.planning.coverage`: pipeline coverage (:func:`coverage_check`).
- :mod:`~alignlib.planning.sales_capacity`: reps and SLA follow-up (:func:`capacity_check`);
  the Erlang C queue itself is :mod:`alignlib.planning.response_queue`.
- :mod:`~alignlib.planning.plan`: the whole quarter plan (:func:`build_plan`).
- :mod:`~alignlib.planning.scenarios`: scenarios beside the base (:func:`compare_scenarios`).
- :mod:`~alignlib.planning.team`: the sales team's bookings capacity (ramp, attrition, hires)
  and the hires that close a gap (:func:`quarter_capacity`, :func:`hires_needed`).
- :mod:`~alignlib.planning.annual`: the year, four quarters chained (:func:`annual_plan`).
"""

from alignlib.planning.annual import AnnualPlan, AnnualQuarter, annual_plan
from alignlib.planning.channels import (
    channel_input,
    channel_plan,
    plan_channel_funnels,
    revenue_per_lead,
)
from alignlib.planning.coverage import Coverage, coverage_check
from alignlib.planning.funnel import (
    ChannelInput,
    ReverseFunnel,
    mixed_reverse_funnel,
    plan_rates,
    reverse_funnel,
)
from alignlib.planning.phasing import monthly_phasing, steady_state_targets
from alignlib.planning.plan import QuarterPlan, build_plan
from alignlib.planning.quarter_funnel import plan_funnel, replan_funnel
from alignlib.planning.sales_capacity import CapacityCheck, capacity_check
from alignlib.planning.scenarios import compare_scenarios
from alignlib.planning.team import HireNeeded, hires_needed, quarter_capacity

__all__ = [
    "AnnualPlan",
    "AnnualQuarter",
    "CapacityCheck",
    "ChannelInput",
    "Coverage",
    "HireNeeded",
    "QuarterPlan",
    "ReverseFunnel",
    "annual_plan",
    "build_plan",
    "capacity_check",
    "channel_input",
    "channel_plan",
    "compare_scenarios",
    "coverage_check",
    "hires_needed",
    "mixed_reverse_funnel",
    "monthly_phasing",
    "plan_channel_funnels",
    "plan_funnel",
    "plan_rates",
    "quarter_capacity",
    "replan_funnel",
    "revenue_per_lead",
    "reverse_funnel",
    "steady_state_targets",
]
