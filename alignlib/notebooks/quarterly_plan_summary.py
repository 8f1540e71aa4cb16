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
# # Quarterly plan: VP summary
#
# The quarterly plan on two printed pages: the answer, what the target needs, leads and
# budget, the odds and the deals that matter most. Every figure is read from the segment's
# quarter snapshot (the same numbers as the full plan); nothing is simulated again.

# %%
from IPython.display import HTML
from IPython.display import display as show

from alignlib import batch, display, reports
from alignlib.charts import plan as charts
from alignlib.reports import forecast as forecast_report

# %% tags=["parameters"]
params_path: str = "../params/2026Q4.yaml"  # parameters file of one segment
snapshot_path: str = ""  # the batch's quarter snapshot of this segment; empty: compute it here

# %%
snap = reports.report_snapshot(params_path, snapshot_path)
plan, summary = snap.plan, reports.plan_summary(snap)
batch.record_quarter(snap.numbers)
display.flags(summary.flags, none_message="No flags: coverage and capacity fit the plan.")

# %% [markdown]
# ## What the target needs

# %%
display.note(reports.target_sentence(plan, snap.params))

# %%
display.show(charts.reverse_funnel_chart(plan, reports.stage_owners(snap.params)))

# %%
display.table(
    summary.needs,
    caption="Volume needed per stage this quarter",
    index=False,
    labels={"label": "Stage", "conversion_rate": "Converts to the next stage"},
)

# %% [markdown]
# ## Leads and budget

# %%
display.table(summary.months, caption="New leads needed by month", formats={})

# %%
display.table(
    summary.channels,
    index=False,
    caption="Leads, budget and customers by channel",
    formats={"customers": "count", "share": "pct"},
    labels={"label": "Channel", "cac": "Cost per customer (CAC)"},
    currency=plan.currency,
)

# %% [markdown]
# ## The odds

# %%
display.table(
    summary.odds,
    caption="Where the quarter lands, and the chance of the target",
    formats={
        "pessimistic": "money",
        "most_likely": "money",
        "optimistic": "money",
        "chance_now": "pct",
        "chance_at_plan_time": "pct",
        "leads_for_confidence": "count",
    },
    currency=plan.currency,
)

# %%
if summary.landing is not None:
    show(
        display.table(
            summary.landing,
            caption="Booked, open pipeline and not yet created",
            formats=dict.fromkeys(summary.landing.columns, "money"),
            labels={"p10": "Pessimistic", "p50": "Most likely", "p90": "Optimistic"},
            currency=plan.currency,
        )
    )
else:
    show(display.note(snap.landing.message or "No landing forecast."))

# %% [markdown]
# ## Deals that matter most

# %%
if len(summary.deals):
    show(
        display.table(
            summary.deals,
            index=False,
            caption="Open deals by expected bookings (amount x chance to win this quarter)",
            formats=forecast_report.DEALS_FORMATS,
            labels=forecast_report.DEALS_LABELS,
            currency=plan.currency,
        )
    )
else:
    show(display.note("No open deal can still win this quarter."))

# %%
reports.optional_note(summary.deals_note or None)

# %%
HTML(
    '<p class="al-screen-only">The whole plan, with the method behind each figure: '
    '<a href="quarterly_plan.html">Quarterly plan</a>.</p>'
)

# %%
reports.show_appendix("quarterly_plan_summary", printed=False)  # printed: two pages
