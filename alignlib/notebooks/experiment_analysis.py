# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: alignlib (.venv)
#     language: python
#     name: alignlib
# ---

# %% [markdown] tags=["report-hide"]
# # Experiment analysis
#
# Every experiment in the parameters file: did the change work, how sure are we, can we
# trust the data, how long must it still run, and what is it worth in bookings this quarter.

# %%
# ruff: noqa: UP045  (papermill reads `Optional[...]` parameter types, not `X | None`)
from typing import Optional

from IPython.display import display as show

from alignlib import batch, display, reports
from alignlib.charts import experiments as echarts
from alignlib.experiments import analyse_experiments

# %% tags=["parameters"]
params_path: str = "../params/2026Q4.yaml"  # parameters file (relative to notebooks/ or params/)
trials: int = 20_000  # Monte Carlo trials for the revenue impact of each experiment
seed: Optional[int] = None  # random seed; None: use simulation.seed from the parameters file
alpha: float = 0.05  # significance level of the tests and intervals
correction: str = "holm"  # multiple-variant correction: holm, fdr_bh or none
snapshot_path: str = ""  # the batch's quarter snapshot of this segment; empty: compute it here

# %%
snap = reports.report_snapshot(params_path, snapshot_path, seed=seed)
params, plan = snap.params, snap.plan
seed = snap.seed
if (alpha, correction) == (0.05, "holm"):
    readouts = snap.require("readouts")  # the snapshot's readouts (the scorecard's too)
else:
    readouts = analyse_experiments(
        params,
        alpha=alpha,
        correction=correction,
        monthly_volume=reports.quarter_monthly_volume(plan),
    )
impacts = reports.experiment_impacts(params, readouts, trials=trials, seed=seed)
batch.record_quarter(
    snap.numbers,
    experiments=len(readouts),
    trustworthy=sum(r.trustworthy for r in readouts),
)
batch.record_table("experiments", reports.experiments_table(readouts), title="Experiment readouts")
reports.optional_note(reports.experiments_note(params))

# %% [markdown]
# ## All experiments at a glance
#
# Each experiment changes one stage's conversion rate. *Lift* is the relative change in that
# rate; *chance better* is the Bayesian probability that the variant's rate is higher than
# control's. A sample-ratio mismatch means the traffic split is broken and the readout
# cannot be trusted.

# %%
if readouts:
    show(
        display.table(
            reports.experiments_table(readouts), caption="Readouts", formats={"lift": "text"}
        )
    )
    display.show(echarts.lift_forest_chart(readouts))

# %% [markdown]
# ## Each experiment in detail

# %%
for readout in readouts:
    reports.show_experiment(readout, impacts.get(readout.name), params)

# %%
reports.show_appendix("experiment_analysis", reports.experiment_methods(readouts))
