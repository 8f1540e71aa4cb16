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
# # Trend report
#
# The full funnel from the CRM export: conversion and cost from lead to won, growth month
# over month, quarter over quarter and year over year, cohorts, velocity, sources, the
# response-time SLA, and next quarter's forecast.

# %%
from IPython.display import display as show

from alignlib import batch, display, reports
from alignlib.charts import forecast as forecast_charts
from alignlib.charts import trends as charts
from alignlib.reports import forecast as forecast_report

# %% tags=["parameters"]
params_path: str = "../params/2026Q4.yaml"  # parameters file naming the CRM export (actuals)
trials: int = 4_000  # Monte Carlo trials per past forecast in the backtest (at most 4,000)
snapshot_path: str = ""  # the batch's quarter snapshot of this segment; empty: compute it here

# %%
snap = reports.report_snapshot(params_path, snapshot_path)
params = snap.params
td = reports.trend_data(params)
batch.record_quarter(snap.numbers, **reports.trend_headline(td))
if td.shows("actuals"):
    batch.record_table("funnel", reports.funnel_table(td), title="Funnel from lead to won")
    batch.record_table(
        "by_source", reports.channel_trend_table(td), title="Conversion and cost by source"
    )
if td.shows("forecast"):
    batch.record_table(
        "forecast", reports.forecast_table(td), title=f"Forecast for {td.next_quarter}"
    )
display.note(reports.data_note(td))

# %% [markdown]
# ## The full funnel, lead to won
#
# Every contact in the export, counted at the furthest stage it reached (a contact that
# skipped a stage in the CRM still passed it). Cost per contact divides all marketing spend
# in the spend file by the contacts reaching each stage.

# %%
if td.shows("actuals"):
    display.show(charts.funnel_chart(td.metrics["funnel"], params.stage_labels))
    show(
        display.table(
            reports.funnel_table(td),
            index=False,
            caption="Conversion and cost, lead to won",
            labels={"label": "Stage"},
            currency=params.currency,
        )
    )

# %% [markdown]
# ## Month over month

# %%
td.left_out("growth")

# %%
if td.shows("growth"):
    display.show(
        charts.monthly_volume_chart(
            td.metrics["trends"].monthly, td.stages, partial=td.metrics["trends"].partial_month
        )
    )
    display.show(
        charts.conversion_trend_chart(
            td.metrics["trends"].monthly, td.metrics["trends"].rolling3, td.transitions
        )
    )

# %%
if td.shows("growth"):
    growth = reports.growth_table(td)
    show(
        display.table(
            growth,
            caption="Latest complete month: volumes, conversion rates and growth",
            formats=reports.growth_formats(growth),
            labels={"mom_growth": "Month over month", "yoy_growth": "Year over year"},
        )
    )

# %% [markdown]
# ## Quarter over quarter and year over year

# %%
if td.shows("actuals"):
    show(
        display.table(
            reports.quarterly_table(td),
            caption="Contacts entering each stage, by quarter",
            formats={"qoq_growth": "pct1"},
            labels={"qoq_growth": "Last full quarter vs the one before"},
        )
    )

# %% [markdown]
# ## Cohorts: did recent leads convert?
#
# A cohort is the leads created in one month. Recent cohorts have not had time to close, so
# their conversion is still rising: they are marked *maturing*, not read as a collapse.

# %%
if td.shows("actuals"):
    display.show(
        charts.cohort_chart(
            td.metrics["cohort_conversion"].frame, f"{td.stages[0]}_to_{td.stages[-1]}"
        )
    )
    show(display.table(reports.cohort_table(td), caption="The last twelve cohorts"))

# %% [markdown]
# ## Velocity: how long each step takes

# %%
if td.shows("actuals"):
    display.show(charts.velocity_chart(td.metrics["velocity"].summary))
    show(display.table(reports.velocity_table(td), caption="Days from one stage to the next"))

# %% [markdown]
# ## Conversion and cost by source

# %%
if td.shows("costs"):
    display.show(
        charts.channel_chart(
            td.metrics["costs"].by_channel,
            td.metrics["conversion_by_channel"].frame,
            td.channel_labels(),
            params.currency,
        )
    )
if td.shows("actuals"):
    show(
        display.table(
            reports.channel_trend_table(td),
            reports.channel_trend_formats(td),
            caption="By source, all history",
            labels={
                "cac": "Cost per customer (CAC)",
                "conversion": "Conversion to won",
                "win_rate": "Win rate of closed deals",
            },
            currency=params.currency,
            missing=reports.CHANNEL_TREND_MISSING,
        )
    )
    show(display.note(reports.channel_trend_note(td)))
td.left_out("costs")

# %% [markdown]
# ## Response-time SLA over time

# %%
if td.shows("sla"):
    display.show(
        charts.sla_chart(td.metrics["sla"].by_month.tail(24), params.sla.lead_response_hours)
    )
    show(display.table(reports.sla_channel_table(td), caption="SLA by source"))
    show(display.table(reports.sla_owner_table(td), caption="SLA by owner (names withheld)"))
td.left_out("sla")

# %% [markdown]
# ## Next quarter's forecast

# %%
td.left_out("forecast")

# %%
if td.shows("forecast"):
    show(display.note(reports.forecast_method(td)))
    for stage in (td.stages[0], td.stages[-1]):
        display.show(
            charts.forecast_chart(
                td.metrics["forecast"].history, td.metrics["forecast"].monthly, stage
            )
        )
    show(
        display.table(
            reports.forecast_table(td), caption=f"Forecast for {td.next_quarter}", formats={}
        )
    )

# %% [markdown]
# ## How good have our forecasts been
#
# Every past quarter with enough history before it is forecast again from what the export
# held at the time, as this workbook would have forecast it then, and set against what was
# actually booked. If our 80% ranges are honest, about 8 in 10 quarters land inside them.

# %%
backtest = reports.backtest_view(params, td.ingest, trials=trials)
reports.optional_note(backtest.message)

# %%
if backtest.shown:
    for sentence in forecast_report.backtest_summary(backtest):
        show(display.note(sentence))
    show(
        display.flags(
            forecast_report.backtest_warnings(backtest),
            none_message="At every forecast point, the ranges held about as often as they "
            "claim and the median did not lean.",
        )
    )
    display.show(
        forecast_charts.backtest_chart(
            backtest.backtest.rows, backtest.backtest.points, params.currency
        )
    )
    by_quarter = forecast_report.backtest_quarter_table(backtest)
    show(
        display.table(
            by_quarter,
            caption="Each past quarter: what was booked, and each forecast's median and 80% range",
            formats={"actual": "money"},
            labels={"actual": "Booked"},
            highlight=dict.fromkeys(by_quarter.columns[1:], forecast_report.is_outside),
            currency=params.currency,
        )
    )

# %%
if backtest.shown:
    show(display.note(forecast_report.PIT_EXPLAINED))
    display.show(forecast_charts.pit_chart(backtest.backtest.rows, backtest.backtest.points))
    show(
        display.table(
            forecast_report.backtest_scores_table(backtest),
            caption="How each forecast point did over the past quarters",
            formats=forecast_report.SCORES_FORMATS,
            labels=forecast_report.SCORES_LABELS,
            currency=params.currency,
        )
    )
    show(display.note(forecast_report.backtest_method(backtest)))

# %%
reports.show_appendix("trend_report", reports.forecast_models(td))
