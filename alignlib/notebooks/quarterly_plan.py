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
# # Quarterly plan
#
# From the bookings target back to the leads, month by month and channel by channel, with
# the odds of hitting it. Change the parameters in the next cell, or render every segment
# with `alignlib run`. The what-if panel at the end recomputes live in JupyterLab.

# %%
# ruff: noqa: UP045  (papermill reads `Optional[...]` parameter types, not `X | None`)
from typing import Optional

from IPython.display import display as show

from alignlib import batch, display, reports
from alignlib import simulation as sim
from alignlib.charts import forecast as forecast_charts
from alignlib.charts import plan as charts
from alignlib.charts import simulation as sim_charts
from alignlib.format import count
from alignlib.reports import best_mix as mix_report
from alignlib.reports import forecast as forecast_report
from alignlib.whatif import whatif_panel

# %% tags=["parameters"]
params_path: str = "../params/2026Q4.yaml"  # parameters file (relative to notebooks/ or params/)
scenario: Optional[str] = None  # plan one scenario from the parameters file instead of the base
trials: int = 20_000  # Monte Carlo trials per simulation (the batch can pass more)
seed: Optional[int] = None  # random seed; None: use simulation.seed from the parameters file
interactive: bool = True  # live what-if widgets; the batch passes False (static table)
snapshot_path: str = ""  # the batch's quarter snapshot of this segment; empty: compute it here

# %%
# The quarter computed once (the batch's snapshot, or here): every figure below reads it.
snap = reports.report_snapshot(params_path, snapshot_path, scenario=scenario, seed=seed)
params, plan, result = snap.params, snap.plan, snap.at_plan
seed = snap.seed
confidence_plan = snap.require("confidence_plan")
omitted = reports.plan_omissions(params, plan)  # sections without inputs, and why
owners = reports.stage_owners(params)
sensitivity = sim.sensitivity_from_params(params, trials=trials, seed=seed)
batch.record_quarter(snap.numbers, confidence_leads=confidence_plan.leads)
batch.record_table("plan", reports.plan_table(plan), title="Required volume by stage")
batch.record_table(
    "monthly_plan", reports.monthly_table(plan, snap.as_of), title="Volume by stage and month"
)
batch.record_table("channels", reports.channel_table(plan), title="Leads and budget by channel")
display.flags(plan.warnings, none_message="No flags: coverage and capacity fit the plan.")

# %% [markdown]
# ## The target and the shared definitions
#
# Sales and marketing plan from the same funnel. Each stage below has one definition and
# one set of entry criteria that both teams signed up to; every number in this report counts
# contacts by these definitions.

# %%
display.note(reports.target_sentence(plan, params))

# %%
reports.optional_note(reports.learned_note(params))

# %%
display.stage_definitions(params.stages)

# %% [markdown]
# ## The reverse funnel: what the target needs
#
# Working back from the bookings target, the average deal size gives the deals to win, and
# each stage's conversion rate gives the volume the stage above must reach.

# %%
display.show(charts.reverse_funnel_chart(plan, owners))

# %%
display.table(
    reports.plan_table(plan),
    caption="Volume needed per stage this quarter",
    index=False,
    labels={"label": "Stage", "in_funnel_at_start": "Already needed before the quarter"},
    formats={"cost_per_stage": "money"},
    currency=plan.currency,
)

# %% [markdown]
# ## Month by month
#
# Deals take time to move through the funnel, so most leads for this quarter's bookings
# must arrive *before* the quarter starts. Grey months lie before the quarter.

# %%
display.show(charts.monthly_leads_chart(plan))

# %%
display.show(charts.monthly_stages_chart(plan, owners))

# %%
display.table(
    reports.monthly_table(plan, snap.as_of), caption="Volume entering each stage, by month"
)

# %% [markdown]
# ## Channels, budget and cost per stage

# %%
if "budget" not in omitted:
    display.show(charts.budget_chart(plan))

# %%
if "channels" not in omitted:
    show(
        display.table(
            reports.channel_table(plan),
            index=False,
            caption="Leads, budget and customers by channel",
            formats={"customers": "count", "share": "pct"},
            labels={"label": "Channel", "cac": "Cost per customer (CAC)"},
            currency=plan.currency,
        )
    )

# %%
if "budget" not in omitted:
    show(
        display.table(
            reports.cost_per_stage_table(plan),
            caption="Marketing cost per contact reaching each stage",
            labels={"cost_per_stage": "Cost per contact"},
            currency=plan.currency,
        )
    )
reports.optional_note(omitted.get("budget"))

# %% [markdown]
# ## Channel mix: today and least-cost
#
# Each channel converts at its own rates and deal size (from the parameters, else its own
# history shrunk toward the blend, else the blend), so the mix changes the leads the
# target needs, not only their cost. The least-cost mix reaches the target at the least
# budget within each channel's most leads a month and least share of the mix.

# %%
if "channels" not in omitted:
    show(
        display.table(
            mix_report.channel_funnel_table(plan),
            index=False,
            caption="Each channel at its own rates: volumes, bookings, budget and CAC",
            formats={"rates_from": "text", "deal_size_from": "text", "deal_size": "money"},
            labels={"cac": "Cost per customer (CAC)"},
            currency=plan.currency,
        )
    )

# %%
mix_section = None if "budget" in omitted else mix_report.mix_view(params, plan)
if mix_section is not None:
    display.flags(mix_section.notes, kind="info", none_message=None)
    if not mix_section.table.empty:
        show(
            display.table(
                mix_section.table,
                index=False,
                caption="Channel mix: today and least-cost",
                formats={"limit": "text", "today_share": "pct", "optimal_share": "pct"},
                currency=plan.currency,
            )
        )
    show(reports.optional_note(mix_section.message))

# %% [markdown]
# ## Pipeline coverage
#
# A coverage rule (say 3x the target in pipeline) only works if the win rate supports it:
# at a 25% win rate, 3x pipeline books only 75% of target.

# %%
display.show(charts.coverage_chart(plan))

# %%
display.callout(plan.coverage.message, "warning" if plan.coverage.target_below_implied else "ok")

# %% [markdown]
# ## Sales capacity

# %%
if plan.capacity is not None:
    display.show(charts.capacity_chart(plan))
    show(
        display.flags(
            plan.capacity.messages, none_message="Sales has the capacity to work this plan."
        )
    )
    show(reports.optional_note(reports.capacity_hours_sentence(plan.capacity)))
if plan.capacity is not None and plan.capacity.hourly is not None:
    # Beside the monthly totals: can sales answer within the SLA hour by hour?
    show(display.note(plan.capacity.hourly.message))
    show(
        display.table(
            reports.hourly_capacity_table(plan), caption="Response SLA hour by hour", formats={}
        )
    )
reports.optional_note(omitted.get("capacity"))

# %% [markdown]
# ## The odds of hitting the target
#
# The plan above assumes every rate is exactly its average and every month is typical. The
# Monte Carlo simulation replays the quarter thousands of times with the real uncertainty:
# rates measured on a limited history, lead volume that varies, deal sizes that vary, and
# deals that close after the quarter ends.

# %%
display.show(sim_charts.revenue_distribution_chart(result, plan.target, plan.currency))

# %%
display.table(
    reports.simulation_summary(result, plan.target, plan.currency),
    caption=f"What the simulated quarters ({count(trials)} of them) look like",
)

# %%
display.note(reports.plan_reach_note(result, plan))

# %% [markdown]
# ## A plan sized for confidence
#
# How many leads to plan for so that the target is reached in
# the chosen share of simulated quarters, beside the point-estimate plan.

# %%
display.note(reports.confidence_sentence(confidence_plan, plan))

# %%
display.show(
    charts.fan_chart(
        reports.revenue_fan(
            params,
            trials=max(trials // 4, 1_000),
            seed=seed,
            marks={"point plan": plan.funnel.leads, "confidence plan": confidence_plan.leads},
        ),
        plan.target,
        plan.currency,
    )
)

# %%
display.table(
    reports.confidence_table(confidence_plan, params),
    caption="Volume per stage: point plan vs confidence-sized plan",
    index=False,
    labels={"label": "Stage"},
)

# %% [markdown]
# ## Sensitivity: what we do not know, and what we can change
#
# Two different questions, so two lists. **What we do not know**: each rate, the deal size
# and the lead volume at the pessimistic and optimistic ends of what the history allows.
# **What we can change**: each plan input 10% lower and higher, one at a time; the longest
# bars are where alignment work (faster follow-up, better qualification) pays most.

# %%
display.show(
    sim_charts.tornado_chart(
        sensitivity,
        "What we do not know: inputs at the ends of their likely range",
        which="uncertainty",
    )
)
display.table(
    reports.sensitivity_table(sensitivity, "uncertainty"),
    caption="Chance of hitting target with each input at the low / high end of its range",
)

# %%
display.show(
    sim_charts.tornado_chart(
        sensitivity, "What we can change: each input 10% lower and higher", which="levers"
    )
)
display.table(
    reports.sensitivity_table(sensitivity, "levers"),
    caption="Chance of hitting target when each plan input is 10% lower / higher",
)

# %% [markdown]
# ## Actuals against plan

# %%
actuals = reports.actuals_view(params, plan)
show(display.flags(actuals.notes, kind="info", none_message=None))
reports.optional_note(plan.targets_note if params.actuals is not None else None)

# %%
for figure in actuals.figures:
    display.show(figure)
for caption, frame in actuals.tables:
    show(display.table(frame, caption=caption, currency=plan.currency))

# %% [markdown]
# ## Where we will land
#
# Inside the quarter, the question is where it will land: what is already booked, plus
# what the open deals will bring (each by its stage and the days it has spent there, at the
# odds deals like it have had of winning before the quarter ends), plus what leads not yet
# created will still close in time.

# %%
landing = snap.landing
reports.optional_note(landing.message)

# %%
if landing.shown:
    show(display.note(forecast_report.landing_sentence(landing.forecast, plan.currency)))
    display.show(forecast_charts.landing_chart(landing.forecast, plan.currency))
    show(
        display.table(
            forecast_report.landing_parts_table(landing.forecast),
            caption="Booked, open pipeline and not yet created (the parts' medians need not add up)",
            formats=dict.fromkeys(forecast_report.PARTS_LABELS, "money"),
            labels=forecast_report.PARTS_LABELS,
            currency=plan.currency,
        )
    )
    deals = forecast_report.landing_deals_table(landing.forecast, landing.stage_labels)
    if len(deals):
        show(
            display.table(
                deals,
                index=False,
                caption=(
                    "The open deals that matter most: amount x chance to win by "
                    f"{landing.forecast.quarter_end:%d %b}"
                ),
                formats=forecast_report.DEALS_FORMATS,
                labels=forecast_report.DEALS_LABELS,
                currency=plan.currency,
            )
        )
        show(
            reports.optional_note(
                forecast_report.deals_note(landing.forecast, plan.currency, params.deal_size.mean)
                or None
            )
        )
    show(display.note(forecast_report.landing_method(landing)))

# %% [markdown]
# ## Service levels (SLA)

# %%
if "sla" not in omitted:
    show(display.table(reports.sla_table(params), caption="Service levels both teams signed up to"))
reports.optional_note(omitted.get("sla"))

# %%
for caption, frame in actuals.sla_tables:
    show(display.table(frame, caption=caption))
display.flags(actuals.sla_notes, kind="info", none_message=None)

# %% [markdown]
# ## Scenarios side by side

# %%
scenarios = reports.scenario_table(params, trials=max(trials // 2, 1_000), seed=seed)
display.show(charts.scenarios_chart(scenarios, plan.currency))

# %%
display.table(
    scenarios[["description"]],
    caption="What each scenario assumes",
    formats={"description": "text"},
)

# %%
display.table(
    scenarios.drop(columns=["description", "opportunities"]),
    caption="Each scenario's plan, budget and chance of hitting its target",
    formats={"capacity_flags": "count", "reps_needed": "count"},
    labels={
        "cac": "CAC",
        "p_hit": "Chance re-planned",
        "p_hit_base_plan": "Chance on the base plan",
    },
    currency=plan.currency,
)

# %% [markdown]
# ## What if?
#
# In JupyterLab (or the app, `make whatif`), move the levers: the target, the deal size,
# each stage's rate and lag, the lead volume, the channel mix and the response SLA. The plan,
# the budget and the chance of hitting the target update; the panel starts at this report's
# headline chance. "Save as scenario" writes the levers you moved into the parameters file.
# In the shared report, the plan as it stands and each input moved by 10%, one at a time.

# %%
whatif_static = (
    ""
    if interactive
    else reports.whatif_view(
        params, interactive=False, trials=max(trials // 4, 1_000), seed=seed
    ).to_html()
)
show(
    whatif_panel(
        params,
        trials=snap.trials,
        seed=seed,
        base_result=result,
        params_path=None if scenario else params.source_path,
        table_html=whatif_static,
        live=interactive,
    )
)

# %%
reports.show_appendix("quarterly_plan")
