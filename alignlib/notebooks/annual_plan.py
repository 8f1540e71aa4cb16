# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: alignlib (.venv)
#     language: python
#     name: alignlib
# ---

# %% [markdown] tags=["report-hide"]
# # Annual plan
#
# The year at a glance: four quarter plans chained, the sales team that must carry them,
# the hires that close the gaps and when their roles must open, and the chance of the
# year. Change the parameters in the next cell, or render every segment with `alignlib run`.

# %%
# ruff: noqa: UP045  (papermill reads `Optional[...]` parameter types, not `X | None`)
from typing import Optional

from alignlib import batch, display, reports
from alignlib.charts import annual as charts
from alignlib.reports import annual as annual_report

# %% tags=["parameters"]
params_path: str = "../params/2026Q4.yaml"  # parameters file (relative to notebooks/ or params/)
scenario: Optional[str] = None  # plan one scenario from the parameters file instead of the base
year: Optional[int] = None  # the year to plan; None: the year of the quarter after the file's
trials: int = 20_000  # simulated years (the batch can pass more)
seed: Optional[int] = None  # random seed; None: use simulation.seed from the parameters file
snapshot_path: str = ""  # the batch's quarter snapshot of this segment; empty: compute it here

# %%
# The quarter's snapshot holds the learned parameters (the actuals as read once).
snap = reports.report_snapshot(params_path, snapshot_path, scenario=scenario, seed=seed)
view = annual_report.annual_view(snap.params, year, trials=trials, seed=seed)
plan = view.plan
batch.record_quarter(
    snap.numbers,
    display=False,
    year=plan.year,
    year_target=plan.target,
    p_hit_year=plan.p_hit_year,
    year_capacity=plan.bookings_capacity,
    hires_needed=sum(h.count for h in plan.hires_needed),
)
batch.record_table("year", annual_report.year_table(plan), title="The year by quarter")
batch.record_table("hiring", annual_report.hiring_table(view), title="Hiring plan")
batch.record_table("scenarios", annual_report.scenario_table(view), title="Scenarios of the year")
display.flags([*view.notes, *plan.warnings], none_message="No flags: the team carries the year.")

# %% [markdown]
# ## The year at a glance
#
# Each quarter is planned like the quarterly plan: its target worked back to the leads it
# needs, which arrive before and during the quarter. The sales team's capacity is what its
# ramped reps book at their attainment; the gap is the target it cannot carry.

# %%
display.note(f"Data as of {snap.numbers.as_of_text}. {annual_report.year_sentence(plan)}")

# %%
display.show(charts.year_chart(plan))

# %%
display.table(
    annual_report.year_table(plan),
    caption=f"The year {plan.year} by quarter",
    labels={
        "leads": "Leads needed",
        "pipeline_created": "Pipeline created",
        "bookings_capacity": "Sales capacity",
        "ramped_reps": "Ramped reps",
        "gap": "Gap (target - capacity)",
    },
    formats={
        "target": "money",
        "budget": "money",
        "pipeline_created": "money",
        "bookings_capacity": "money",
        "gap": "money",
        "ramped_reps": "ratio",
    },
    currency=plan.currency,
    highlight=annual_report.gap_highlight(plan),
)

# %%
display.show(charts.lead_arrivals_chart(plan))

# %% [markdown]
# ## The hiring plan
#
# Planned hires come from the parameters; the hires needed close each quarter's gap with
# the fewest people at the latest start date, given the ramp. A role must open the hiring
# lead time before its start date.

# %%
display.show(charts.team_chart(plan))

# %%
display.table(
    annual_report.hiring_table(view),
    caption="Planned hires and the hires needed",
    index=False,
    labels={"opens_by": "Role opens by", "for_quarter": "Closes the gap of"},
)

# %% [markdown]
# ## The chance of the year
#
# The quarter's simulation run over the year's twelve months of planned leads: every
# trial draws its own conversion rates, lead volumes, deal sizes and stage lags, and counts
# the deals that close inside the year.

# %%
display.show(charts.year_odds_chart(plan))

# %% [markdown]
# ## Scenarios side by side
#
# Hire earlier, raise attainment, or shift budget between quarters. *Carried* is what the
# team can book of the demand, quarter by quarter; the chance of the year is the demand's.

# %%
display.table(
    annual_report.scenario_table(view),
    caption="Scenarios of the year",
    labels={
        "demand": "Demand plan books",
        "capacity": "Sales capacity",
        "carried": "Team can carry",
        "p_hit_year": "Chance of the year",
    },
    formats={
        "demand": "money",
        "capacity": "money",
        "carried": "money",
        "budget": "money",
        "p_hit_year": "pct",
        "hires_needed": "count",
    },
    currency=plan.currency,
)

# %%
reports.show_appendix("annual_plan")
