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
# # SLA agreement
#
# The service-level agreement between sales and marketing, for both VPs to print and sign:
# the shared stage definitions, response and acceptance times, recycling rules, how
# compliance is measured and where it stands this quarter.

# %%
from IPython.display import HTML

from alignlib import batch, reports
from alignlib.reports import sla_agreement as sla

# %% tags=["parameters"]
params_path: str = "../params/2026Q4.yaml"  # parameters file of one segment
snapshot_path: str = ""  # the batch's quarter snapshot of this segment; empty: compute it here

# %%
snap = reports.report_snapshot(params_path, snapshot_path)
params = snap.params
agreement = sla.load_agreement(params)
standing = agreement.standing
batch.record_quarter(
    snap.numbers,
    compact=True,
    compliance=standing.compliance if standing else None,
    acceptance=standing.acceptance_rate if standing else None,
)
batch.record_table("sla_terms", agreement.to_frame(), title="SLA terms")

# %% [markdown]
# ## The stages and who owns them

# %%
HTML(sla.stages_html(agreement))

# %% [markdown]
# ## Response and acceptance times

# %%
HTML(sla.terms_html(agreement))

# %% [markdown]
# ## Recycling: back to nurture, and back again

# %%
HTML(sla.recycling_html(agreement))

# %% [markdown]
# ## How compliance is measured

# %%
HTML(sla.measurement_html(agreement))

# %% [markdown]
# ## Where it stands this quarter

# %%
HTML(sla.standing_html(agreement))

# %% [markdown]
# ## Signatures

# %%
HTML(sla.signatures_html(agreement))

# %%
reports.show_appendix("sla_agreement", printed=False)  # printed: two pages, no appendix
