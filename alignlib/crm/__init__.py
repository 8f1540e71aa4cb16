"""CRM exports in, one validated normalised table out (HubSpot, Salesforce, generic CSV/Parquet).

Every loader returns an :class:`IngestResult`: the normalised table (one row per
lead or contact, no names or emails), one :class:`RowProblem` per problem found,
the rejected raw rows and those kept without a bad field (these hold personal data:
only :func:`write_rejects` ever writes them, to a file whose name says so), and the
read/accepted/rejected counts (accepted = whole + kept without a field).

Normalised table columns (see :func:`table_columns`): ``id``, ``row`` (line in the
file), ``created``, ``source``, ``channel``, ``owner``, ``lead_status``, ``stage``
(current canonical stage, NA outside the funnel), ``entered_<stage>`` and
``reached_<stage>`` for each of the company's stages, ``outcome`` (won, lost, open
or NA), ``close_date``, ``amount``, ``first_response``, ``recycled``,
``disqualified``.

One pipeline for every source (:mod:`~alignlib.crm.pipeline`): read -> find the
columns (a :class:`~alignlib.crm.pipeline.ColumnSpec` per source: which headers mean
id, created, stage, outcome, close date, amount, owner, source) -> check ids, dates,
labels and amounts -> finish. A bad id or created date rejects its row; a bad
optional field (a stage or close date, an amount) costs only that field, which is
missing and counted per field (``IngestResult.dropped_fields``); an unknown stage or
outcome label rejects its rows with one problem giving the mapping line to add.

One module per source (:mod:`~alignlib.crm.hubspot`, :mod:`~alignlib.crm.hubspot_deals`,
:mod:`~alignlib.crm.salesforce`, :mod:`~alignlib.crm.generic`, :mod:`~alignlib.crm.spend`):
its spec and what only it knows (where its stage dates are, how it says an outcome),
over the shared parts: :mod:`~alignlib.crm.read` (files and columns),
:mod:`~alignlib.crm.dates`, :mod:`~alignlib.crm.labels` (stages, channels, outcomes),
:mod:`~alignlib.crm.amounts`, :mod:`~alignlib.crm.duplicates`,
:mod:`~alignlib.crm.problems`, :mod:`~alignlib.crm.rejects` and
:mod:`~alignlib.crm.table` (the normalised columns, :class:`IngestResult`).
:mod:`~alignlib.crm.load` dispatches by format name, and joins a deals table onto
any of them (:mod:`~alignlib.crm.deals`); :mod:`~alignlib.crm.sql` and
:mod:`~alignlib.crm.replicated` feed warehouse rows through the same loaders.
:mod:`~alignlib.crm.suggest` drafts the ``actuals:`` block for an export it has not
seen (a deals file beside it included: :mod:`~alignlib.crm.suggest_deals`).
"""

from alignlib.crm.dates import DATE_FORMATS
from alignlib.crm.deals import join_deals
from alignlib.crm.generic import GENERIC_FIELDS, load_csv
from alignlib.crm.hubspot import (
    HUBSPOT_EXTRA_COLUMNS,
    HUBSPOT_SOURCE_CHANNELS,
    hubspot_date_column,
    load_hubspot,
)
from alignlib.crm.hubspot_deals import load_hubspot_deals
from alignlib.crm.labels import OTHER_CHANNEL
from alignlib.crm.load import FORMATS, load_actuals, load_export
from alignlib.crm.pipeline import ColumnSpec, LoadArgs
from alignlib.crm.problems import RowProblem
from alignlib.crm.rejects import REJECTS_SUFFIX, default_rejects_path, write_rejects
from alignlib.crm.salesforce import (
    SALESFORCE_RECYCLE_STATUSES,
    SALESFORCE_SOURCE_CHANNELS,
    SALESFORCE_STAGE_MAPPING,
    load_salesforce,
    load_salesforce_opportunities,
)
from alignlib.crm.spend import load_spend
from alignlib.crm.table import (
    DISQUALIFIED_STATUSES,
    RECYCLE_STATUSES,
    IngestResult,
    table_columns,
)

__all__ = [
    "DATE_FORMATS",
    "DISQUALIFIED_STATUSES",
    "FORMATS",
    "GENERIC_FIELDS",
    "HUBSPOT_EXTRA_COLUMNS",
    "HUBSPOT_SOURCE_CHANNELS",
    "OTHER_CHANNEL",
    "RECYCLE_STATUSES",
    "REJECTS_SUFFIX",
    "SALESFORCE_RECYCLE_STATUSES",
    "SALESFORCE_SOURCE_CHANNELS",
    "SALESFORCE_STAGE_MAPPING",
    "ColumnSpec",
    "IngestResult",
    "LoadArgs",
    "RowProblem",
    "default_rejects_path",
    "hubspot_date_column",
    "join_deals",
    "load_actuals",
    "load_csv",
    "load_export",
    "load_hubspot",
    "load_hubspot_deals",
    "load_salesforce",
    "load_salesforce_opportunities",
    "load_spend",
    "table_columns",
    "write_rejects",
]
