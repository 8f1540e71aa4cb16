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

# %% [markdown]
# # What if? The quarter's plan, with levers
#
# Move a lever: the plan, the budget and the chance of hitting the target update. The
# first state is the quarterly report's plan and its headline chance. "Save as scenario"
# writes the levers you moved into the parameters file, so the next quarterly run shows
# the scenario to both teams. Served as a web page by `make whatif` (Voilà).

# %%
# ruff: noqa: UP045  (papermill reads `Optional[...]` parameter types, not `X | None`)
from typing import Optional

from IPython.display import display

from alignlib import reports
from alignlib.whatif import whatif_panel

# %% tags=["parameters"]
params_path: str = "../params/2026Q4.yaml"  # parameters file (relative to notebooks/ or params/)
seed: Optional[int] = None  # random seed; None: use simulation.seed from the parameters file
snapshot_path: str = ""  # a batch's quarter snapshot of this segment; empty: compute it here

# %%
# The panel starts from the quarter snapshot: its plan and its plan-time chance are the
# quarterly plan's, on the same simulated quarters.
snap = reports.report_snapshot(params_path, snapshot_path, seed=seed)
panel = whatif_panel(snap.params, trials=snap.trials, seed=snap.seed, base_result=snap.at_plan)
display(panel)
