"""Loading by format name, and loading what a parameters file's ``actuals`` section points at."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alignlib.crm.generic import load_csv
from alignlib.crm.hubspot import load_hubspot
from alignlib.crm.read import ReadOptions
from alignlib.crm.salesforce import load_salesforce
from alignlib.crm.table import IngestResult
from alignlib.errors import InputError
from alignlib.taxonomy import DEFAULT_STAGE_NAMES

if TYPE_CHECKING:
    from alignlib.params import QuarterParams

#: Format names :func:`load_export` understands, one loader module each.
FORMATS = ("hubspot", "salesforce", "csv")


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
) -> IngestResult:
    """Load an export by format name (``hubspot``, ``salesforce`` or ``csv``).

    For ``hubspot`` an ``opportunities`` file is not used (HubSpot contacts carry
    their own outcome); for ``salesforce`` ``path`` is the Leads export.

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

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError
        An unknown format, or ``csv`` without a column mapping.
    """
    kw: dict[str, Any] = {
        "stage_names": stage_names,
        "stage_mapping": stage_mapping,
        "as_of": as_of,
        "options": options,
    }
    if format == "hubspot":
        return load_hubspot(path, columns=columns, **kw)
    if format == "salesforce":
        return load_salesforce(path, opportunities, columns=columns, **kw)
    if format == "csv":
        if not columns:
            raise InputError("format csv needs a column mapping (actuals.columns: field -> column)")
        return load_csv(path, columns, **kw)
    raise InputError(f"unknown export format {format!r}; use hubspot, salesforce or csv")


def load_actuals(params: QuarterParams) -> IngestResult:
    """Load the CRM export a parameters file points at (``actuals``), with its mapping.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters with an ``actuals`` section.

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError
        The parameters have no ``actuals`` section.
    """
    a = params.actuals
    if a is None:
        raise InputError(f"{params.source_path}: no actuals section: nothing to load")
    path = a.crm_export
    if a.format == "salesforce" and a.leads is not None:
        path = a.leads
    return load_export(
        path,
        a.format,
        opportunities=a.opportunities if a.format == "salesforce" else None,
        stage_names=params.stage_names,
        stage_mapping=a.stage_mapping,
        columns=a.columns,
        as_of=a.as_of,
        options=ReadOptions.from_actuals(a),
    )
