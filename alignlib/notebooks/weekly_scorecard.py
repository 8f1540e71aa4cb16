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
# # Weekly scorecard
#
# One page for the weekly meeting of the VP of Sales and the VP of Marketing: at most eight
# result KPIs against plan, and the set agenda (plan and pacing, definitions and SLA, the
# funnel, experiments) with talking points drafted from the numbers.

# %%
# ruff: noqa: UP045  (papermill reads `Optional[...]` parameter types, not `X | None`)
from typing import Optional

from IPython.display import HTML

from alignlib import batch, display, reports
from alignlib.charts import scorecard as charts
from alignlib.reports import scorecard as sc

# %% tags=["parameters"]
params_path: str = "../params/2026Q4.yaml"  # parameters file of one segment (with actuals)
week_ending: str = ""  # last day of the week (YYYY-MM-DD); empty: the export's last full week
trials: Optional[int] = None  # simulated quarters; None: simulation.trials of the parameters file
snapshot_path: str = ""  # the batch's quarter snapshot of this segment; empty: compute it here

# %%
snap = reports.report_snapshot(
    params_path, snapshot_path, trials=trials, week_ending=week_ending or None
)
params = snap.params
weekly = sc.scorecard_inputs(snap)
card = weekly.scorecard
batch.record_quarter(snap.numbers, display=False, **card.headline())
batch.record_table("scorecard", card.to_frame(), title="Weekly scorecard")

# %% tags=["email"]
HTML(
    display.quarter_answer_html(snap.numbers, compact=True)
    + sc.section_html("KPIs against plan")
    + sc.scorecard_html(card)
)

# %% tags=["email"]
HTML(sc.section_html("Bookings pace"))

# %% tags=["email"]
display.show(
    charts.bookings_pace_chart(
        sc.bookings_to_date(params, weekly.table, card.week_ending),
        params.target.bookings,
        params.currency,
    ),
    dpi=100,
)

# %% tags=["email"]
HTML(sc.section_html("Pipeline this week") + sc.pipeline_html(card))

# %% tags=["email"]
HTML(sc.section_html("Agenda") + sc.agenda_html(card))

# %% tags=["email"]
HTML(
    sc.section_html("Deals that matter")
    + sc.deals_section_html(snap.landing, params.deal_size.mean)
)

# %%
HTML(sc.section_html("The pages behind these numbers") + sc.links_html())

# %%
reports.show_appendix("weekly_scorecard", printed=False)  # printed: one page
