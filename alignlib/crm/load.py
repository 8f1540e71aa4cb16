"""Loading by format name, and loading what a parameters file's ``actuals`` section points at."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from alignlib.crm.deals import join_deals
from alignlib.crm.generic import load_csv
from alignlib.crm.hubspot import load_hubspot
from alignlib.crm.hubspot_deals import load_hubspot_deals
from alignlib.crm.pipeline import LoadArgs
from alignlib.crm.read import ReadOptions
from alignlib.crm.salesforce import load_salesforce
from alignlib.crm.table import IngestResult
from alignlib.errors import InputError
from alignlib.taxonomy import DEFAULT_STAGE_NAMES

if TYPE_CHECKING:
    from alignlib.params import Deals, QuarterParams

#: Format names :func:`load_export` understands, one loader module each.
FORMATS = ("hubspot", "hubspot_deals", "salesforce", "csv")


def load_export(
    path: str | Path,
    format: str = "hubspot",
    *,
    opportunities: str | Path | None = None,
    stage_names: Sequence[str] = DEFAULT_STAGE_NAMES,
    stage_mapping: Mapping[str, str | None] | None = None,
    columns: Mapping[str, str] | None = None,
    as_of: dt.date | pd.Timestamp | None = None,
    options: ReadOptions | None = None,
    outcome_mapping: Mapping[str, str] | None = None,
    deals: Deals | None = None,
    raw: pd.DataFrame | None = None,
    opportunities_raw: pd.DataFrame | None = None,
) -> IngestResult:
    """Load an export by format name (``hubspot``, ``hubspot_deals``, ``salesforce``, ``csv``).

    For ``hubspot`` an ``opportunities`` file is not used (HubSpot contacts carry
    their own outcome); for ``salesforce`` ``path`` is the Leads export, or an
    opportunities export on its own (an opportunity -> won funnel). ``deals``
    joins a deals table onto any format's table (:func:`~alignlib.crm.deals.join_deals`).

    Parameters
    ----------
    path : str or Path
        The export (Salesforce: the Leads export).
    format : str
        One of :data:`FORMATS`.
    opportunities : str or Path, optional
        Salesforce Opportunities export.
    stage_names, stage_mapping, columns, as_of
        As for the format's loader; ``csv`` needs ``columns``.
    options : ReadOptions, optional
        How to read the file (``ReadOptions.from_actuals(params.actuals)``; default:
        detected).
    outcome_mapping : mapping, optional
        Outcome label -> won, lost or open (``actuals.outcome_mapping``).
    deals : Deals, optional
        ``actuals.deals``: a deals file, its lead-id column and its column mapping.
    raw, opportunities_raw : pandas.DataFrame, optional
        The rows already read as text columns (a SQL source, :mod:`alignlib.crm.sql`);
        the paths then only name them in messages.

    Returns
    -------
    IngestResult
        As the format's loader returns it, with the deals table joined.

    Raises
    ------
    InputError
        An unknown format, or ``csv`` without a column mapping.
    """
    kw: LoadArgs = {
        "stage_names": stage_names,
        "stage_mapping": stage_mapping,
        "as_of": as_of,
        "options": options,
        "outcome_mapping": outcome_mapping,
        "raw": raw,
        "columns": columns,
    }
    if format == "csv":
        if not columns:
            raise InputError("format csv needs a column mapping (actuals.columns: field -> column)")
        result = load_csv(path, columns, **kw)
    elif format == "salesforce":
        result = load_salesforce(path, opportunities, opportunities_raw=opportunities_raw, **kw)
    elif format in ("hubspot", "hubspot_deals"):
        loader = load_hubspot if format == "hubspot" else load_hubspot_deals
        result = loader(path, **kw)
    else:
        raise InputError(
            f"unknown export format {format!r}; use {', '.join(FORMATS[:-1])} or {FORMATS[-1]}"
        )
    if deals is not None:
        result = join_deals(
            result,
            deals.file,
            deals.key,
            deals.columns,
            stage_mapping=stage_mapping,
            outcome_mapping=outcome_mapping,
            options=options,
        )
    return result


def load_actuals(params: QuarterParams) -> IngestResult:
    """Load the CRM export or warehouse source a parameters file points at (``actuals``).

    Parameters
    ----------
    params : QuarterParams
        Validated parameters with an ``actuals`` section.

    Returns
    -------
    IngestResult
        What the source holds, checked as usable.

    Raises
    ------
    InputError
        The parameters have no ``actuals`` section, or it names no export file
        and no SQL source.
    DataError
        Figures from what was read would mislead: more than ``actuals.max_rejected``
        of the rows (or of one stage's) rejected, or a stage that lost every row
        (:func:`alignlib.crm.summary.check_usable`). ``alignlib ingest`` still shows it.
    """
    from alignlib.crm.summary import check_usable

    result = _load_actuals(params)
    assert params.actuals is not None  # _load_actuals raised otherwise
    return check_usable(result, params.actuals.max_rejected)


def _load_actuals(params: QuarterParams) -> IngestResult:
    a = params.actuals
    if a is None:
        raise InputError(f"{params.source_path}: no actuals section: nothing to load")
    if a.sql is not None:  # a warehouse source wins over export files
        from alignlib.crm.sql import load_sql

        return load_sql(params)
    path = a.crm_export
    opportunities = a.opportunities if a.format == "salesforce" else None
    if a.format == "salesforce" and a.leads is not None:
        path = a.leads
    if path is None and opportunities is not None:  # an opportunities export on its own
        path, opportunities = opportunities, None
    if path is None:
        raise InputError(
            f"{params.source_path}: actuals names no export file (crm_export, or leads "
            "and opportunities for salesforce)"
        )
    return load_export(
        path,
        a.format,
        opportunities=opportunities,
        stage_names=params.stage_names,
        stage_mapping=a.stage_mapping,
        columns=a.columns,
        as_of=a.as_of,
        options=ReadOptions.from_actuals(a),
        outcome_mapping=a.outcome_mapping,
        deals=a.deals,
    )
