"""CRM objects as ELT tools (Fivetran, Airbyte) replicate them into a warehouse.

Their snake_case columns are renamed to the export's names and the rows go through
the export's loader, so a replicated table and an export give the same table.

- HubSpot: ``contact`` with ``id`` and one ``property_<name>`` column per contact
  property (``property_createdate``, ``property_lifecyclestage``,
  ``property_hs_lifecyclestage_marketingqualifiedlead_date``, ...); lifecycle stages
  and original sources hold HubSpot's internal values (``marketingqualifiedlead``,
  ``PAID_SEARCH``), read as their labels. A custom property is
  ``property_<its label in snake_case>`` (``property_sales_accepted_date``).
- Salesforce: ``lead`` (``id``, ``created_date``, ``status``, ``lead_source``,
  ``is_converted``, ``converted_date``, ``converted_opportunity_id``, ``owner_id``),
  ``opportunity`` (``id``, ``created_date``, ``stage_name``, ``amount``,
  ``close_date``, ``is_closed``, ``is_won``) and ``opportunity_history``
  (``opportunity_id``, ``created_date``, ``stage_name``) or
  ``opportunity_field_history`` (``opportunity_id``, ``field``, ``new_value``,
  ``created_date``): the dates each opportunity entered the stages between
  ``opportunity`` and the last one (no standard field dates those).

Rows flagged ``is_deleted`` or ``_fivetran_deleted`` are left out and counted.
``actuals.sql.tables`` renames the objects; ``actuals.sql.schema`` names their schema.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alignlib.crm.hubspot import HUBSPOT_EXTRA_COLUMNS, hubspot_date_column
from alignlib.crm.labels import normalise_label
from alignlib.crm.salesforce import SALESFORCE_STAGE_MAPPING
from alignlib.crm.sql import KEY, SOFT_DELETE_COLUMNS, Warehouse, soft_deleted, with_soft_deletes
from alignlib.crm.table import IngestResult
from alignlib.docstrings import PARAMS_DOC
from alignlib.errors import DataError
from alignlib.taxonomy import HUBSPOT_STAGE_MAPPING

if TYPE_CHECKING:
    import sqlalchemy as sa

    from alignlib.params import QuarterParams

#: The objects read, by the name ``actuals.sql.tables`` knows them by.
DEFAULT_TABLES: dict[str, str] = {
    "contact": "contact",
    "deal": "deal",
    "lead": "lead",
    "opportunity": "opportunity",
    "opportunity_history": "opportunity_history",
    "opportunity_field_history": "opportunity_field_history",
}

#: HubSpot export column -> the contact property's replicated column (standard ones).
HUBSPOT_CONTACT_COLUMNS: dict[str, str] = {
    "Record ID": "id",
    "Contact ID": "id",
    "First Name": "property_firstname",
    "Last Name": "property_lastname",
    "Email": "property_email",
    "Create Date": "property_createdate",
    "Lifecycle Stage": "property_lifecyclestage",
    "Lead Status": "property_hs_lead_status",
    "Original Source": "property_hs_analytics_source",
    "Original Source Drill-Down 1": "property_hs_analytics_source_data_1",
    "Original Source Drill-Down 2": "property_hs_analytics_source_data_2",
    "Contact owner": "property_hubspot_owner_id",
    "HubSpot Owner": "property_hubspot_owner_id",
    "Became a Subscriber Date": "property_hs_lifecyclestage_subscriber_date",
    "Became a Lead Date": "property_hs_lifecyclestage_lead_date",
    "Became a Marketing Qualified Lead Date": (
        "property_hs_lifecyclestage_marketingqualifiedlead_date"
    ),
    "Became a Sales Qualified Lead Date": "property_hs_lifecyclestage_salesqualifiedlead_date",
    "Became an Opportunity Date": "property_hs_lifecyclestage_opportunity_date",
    "Became a Customer Date": "property_hs_lifecyclestage_customer_date",
    "Became an Evangelist Date": "property_hs_lifecyclestage_evangelist_date",
    "Became an Other Lifecycle Stage Date": "property_hs_lifecyclestage_other_date",
    "Date of first engagement": "property_hs_sa_first_engagement_date",
    "Close Date": "property_closedate",
    "Recent Deal Amount": "property_recent_deal_amount",
    "Number of Sessions": "property_num_visits",
}

#: HubSpot's internal lifecycle stage values -> their labels.
HUBSPOT_LIFECYCLE_VALUES: dict[str, str] = {
    "subscriber": "Subscriber",
    "lead": "Lead",
    "marketingqualifiedlead": "Marketing Qualified Lead",
    "salesqualifiedlead": "Sales Qualified Lead",
    "opportunity": "Opportunity",
    "customer": "Customer",
    "evangelist": "Evangelist",
    "other": "Other",
}

#: HubSpot's internal original-source values -> their labels.
HUBSPOT_SOURCE_VALUES: dict[str, str] = {
    "ORGANIC_SEARCH": "Organic Search",
    "PAID_SEARCH": "Paid Search",
    "EMAIL_MARKETING": "Email Marketing",
    "SOCIAL_MEDIA": "Social Media",
    "REFERRALS": "Referrals",
    "OTHER_CAMPAIGNS": "Other Campaigns",
    "DIRECT_TRAFFIC": "Direct Traffic",
    "OFFLINE": "Offline Sources",
    "PAID_SOCIAL": "Paid Social",
}


def snake(name: str) -> str:
    """A label or API name as a replicated column name (``Sales Accepted Date`` -> ``sales_accepted_date``).

    Parameters
    ----------
    name : str
        ``ConvertedOpportunityId``, ``MQL_Date__c`` or a property label.

    Returns
    -------
    str
    """
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    s = re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()
    return re.sub(r"_+", "_", s)


def pascal(column: str) -> str:
    """A replicated Salesforce column as its API name (``converted_opportunity_id`` -> ``ConvertedOpportunityId``).

    Parameters
    ----------
    column : str
        Replicated column name.

    Returns
    -------
    str
    """
    return "".join(w[:1].upper() + w[1:] for w in column.split("_") if w)


def hubspot_column(label: str) -> str:
    """The replicated column of a HubSpot export column (standard, else ``property_<snake>``).

    Parameters
    ----------
    label : str
        Export column, e.g. ``Became a Lead Date`` or ``Sales Accepted Date``.

    Returns
    -------
    str
    """
    return HUBSPOT_CONTACT_COLUMNS.get(label) or f"property_{snake(label)}"


def _hubspot_labels(params: QuarterParams) -> list[str]:
    """Every export column the HubSpot loader may look for, given the parameters."""
    a = params.actuals
    assert a is not None
    mapping = {**HUBSPOT_STAGE_MAPPING, **a.stage_mapping}
    labels = list(dict.fromkeys(HUBSPOT_CONTACT_COLUMNS))
    labels += [hubspot_date_column(label) for label in mapping]
    labels += [n for names in HUBSPOT_EXTRA_COLUMNS.values() for n in names]
    return list(dict.fromkeys(labels))


def _select(
    wh: Warehouse, name: str, key: str, rename: Mapping[str, str]
) -> tuple[pd.DataFrame, list[tuple[str, int]], sa.TableClause]:
    """Read a table (soft-deleted rows left out), its columns renamed."""
    import sqlalchemy as sa

    table = wh.table(name, key)
    keep, deleted = soft_deleted(wh, table, key)
    cols = [
        c for c in table.c if c.name not in SOFT_DELETE_COLUMNS and c.name != "_fivetran_synced"
    ]
    stmt: Any = sa.select(*cols).select_from(table)
    if keep is not None:
        stmt = stmt.where(keep)
    raw = wh.read(stmt, key)
    raw = raw.rename(columns={c: rename[c] for c in raw.columns if c in rename})
    return raw, deleted, table


def _has(wh: Warehouse, name: str) -> bool:
    import sqlalchemy as sa

    schema, _, bare = name.rpartition(".")
    schema = schema or wh.schema or ""
    try:
        return bool(sa.inspect(wh._conn).has_table(bare, schema=schema or None))
    except Exception as exc:
        raise wh.fail(f"{KEY}.tables", f"could not look up table {name!r}", exc) from None


def _columns(overrides: Mapping[str, str], rename: Mapping[str, str]) -> dict[str, str]:
    """``actuals.columns`` with replicated column names turned into the names the loader sees."""
    return {k: rename.get(v, v) for k, v in overrides.items()}


def load_replicated(params: QuarterParams, wh: Warehouse) -> IngestResult:
    """Read the replicated objects of ``actuals.format`` and load them like their export.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters (``actuals.sql`` without ``table`` or ``query``).
    wh : Warehouse
        Connected.

    Returns
    -------
    IngestResult
        As the export's loader returns it for the same rows.

    Raises
    ------
    DataError
        The objects are missing, or the format has no replicated shape.
    """
    a = params.actuals
    assert a is not None and a.sql is not None
    tables = {**DEFAULT_TABLES, **a.sql.tables}
    if a.format == "hubspot":
        return _hubspot(params, wh, tables)
    if a.format == "salesforce":
        return _salesforce(params, wh, tables)
    raise wh.fail(
        KEY,
        f"format {a.format} has no replicated shape: give actuals.sql.table or "
        "actuals.sql.query (rows with the export's columns)",
    )


@PARAMS_DOC
def hubspot_contact_raw(
    params: QuarterParams, wh: Warehouse, table: str
) -> tuple[pd.DataFrame, list[tuple[str, int]], dict[str, str]]:
    """The replicated ``contact`` table as the HubSpot export's raw table.

    Parameters
    ----------
    wh : Warehouse
        Connected.
    table : str
        The contact table's name.

    Returns
    -------
    raw : pandas.DataFrame
        Export column names; lifecycle stages and sources as labels.
    deleted : list of (str, int)
        Soft-deleted rows left out.
    rename : dict
        Replicated column -> export column.
    """
    rename: dict[str, str] = {}
    for label in _hubspot_labels(params):
        rename.setdefault(hubspot_column(label), label)
    raw, deleted, _ = _select(wh, table, f"{KEY}.tables.contact", rename)
    for col, values in (
        ("Lifecycle Stage", HUBSPOT_LIFECYCLE_VALUES),
        ("Original Source", HUBSPOT_SOURCE_VALUES),
    ):
        if col in raw.columns:
            raw[col] = raw[col].map(lambda v, m=values: m.get(v, v)).astype("str")
    return raw, deleted, rename


def _hubspot(params: QuarterParams, wh: Warehouse, tables: Mapping[str, str]) -> IngestResult:
    from alignlib.crm.hubspot import load_hubspot
    from alignlib.crm.read import ReadOptions

    a = params.actuals
    assert a is not None
    name = tables["contact"]
    raw, deleted, rename = hubspot_contact_raw(params, wh, name)
    try:
        result = load_hubspot(
            Path(name),
            stage_names=params.stage_names,
            stage_mapping=a.stage_mapping,
            columns=_columns(a.columns, rename),
            as_of=a.as_of,
            options=ReadOptions.from_actuals(a),
            outcome_mapping=a.outcome_mapping,
            raw=raw,
        )
    except DataError as exc:
        raise _said(exc, name, wh, f"{KEY}.tables.contact") from None
    result = dataclasses.replace(
        result, source=f"{name} in {wh.masked}", source_name=f"{name} ({wh.kind})"
    )
    return with_soft_deletes(result, deleted)


def _said(exc: DataError, name: str, wh: Warehouse, key: str) -> DataError:
    if str(exc.path) != name:
        return exc
    return wh.fail(key, f"{name}: {str(exc).removeprefix(f'{exc.path}: ')}")


def _salesforce(params: QuarterParams, wh: Warehouse, tables: Mapping[str, str]) -> IngestResult:
    from alignlib.crm.read import ReadOptions
    from alignlib.crm.salesforce import load_salesforce

    a = params.actuals
    assert a is not None
    lead_name, opp_name = tables["lead"], tables["opportunity"]
    has_lead, has_opp = _has(wh, lead_name), _has(wh, opp_name)
    if not (has_lead or has_opp):
        where = f" in schema {wh.schema!r}" if wh.schema else ""
        raise wh.fail(
            f"{KEY}.tables",
            f"neither a {lead_name!r} nor an {opp_name!r} table found{where}",
        )
    deleted: list[tuple[str, int]] = []
    lead_raw = opp_raw = None
    rename: dict[str, str] = {}
    if has_lead:
        lead_raw, d, table = _select(wh, lead_name, f"{KEY}.tables.lead", {})
        rename.update({c: pascal(c) for c in lead_raw.columns})
        lead_raw = lead_raw.rename(columns=rename)
        deleted += d
    if has_opp:
        opp_raw, d, table = _select(wh, opp_name, f"{KEY}.tables.opportunity", {})
        opp_rename = {c: pascal(c) for c in opp_raw.columns}
        rename.update(opp_rename)
        opp_raw = opp_raw.rename(columns=opp_rename)
        deleted += d
    columns = _columns(a.columns, rename)
    if opp_raw is not None:
        history, d = _stage_history(params, wh, tables)
        deleted += d
        columns = _history_columns(
            history, lead_raw if lead_raw is not None else opp_raw, lead_raw is not None, columns
        )
    try:
        result = load_salesforce(
            Path(lead_name) if lead_raw is not None else None,
            Path(opp_name) if opp_raw is not None else None,
            stage_names=params.stage_names,
            stage_mapping=a.stage_mapping,
            columns=columns,
            as_of=a.as_of,
            options=ReadOptions.from_actuals(a),
            outcome_mapping=a.outcome_mapping,
            raw=lead_raw,
            opportunities_raw=opp_raw,
        )
    except DataError as exc:
        key = f"{KEY}.tables.lead" if str(exc.path) == lead_name else f"{KEY}.tables.opportunity"
        raise _said(exc, str(exc.path), wh, key) from None
    names = " + ".join(n for n, r in ((lead_name, lead_raw), (opp_name, opp_raw)) if r is not None)
    result = dataclasses.replace(
        result, source=f"{names} in {wh.masked}", source_name=f"{names} ({wh.kind})"
    )
    return with_soft_deletes(result, deleted)


def _middle_stages(stage_names: Sequence[str]) -> list[str]:
    """Stages no standard Salesforce field dates: between ``opportunity`` and the last."""
    names = list(stage_names)
    start = names.index("opportunity") + 1 if "opportunity" in names else 1
    return names[start:-1]


def _stage_history(
    params: QuarterParams, wh: Warehouse, tables: Mapping[str, str]
) -> tuple[pd.DataFrame, list[tuple[str, int]]]:
    """Each opportunity's first date at each middle stage (or later): opportunity id x stage."""
    import sqlalchemy as sa

    a = params.actuals
    assert a is not None
    middle = _middle_stages(params.stage_names)
    empty = pd.DataFrame(columns=middle)
    if not middle:
        return empty, []
    if _has(wh, tables["opportunity_history"]):
        key = f"{KEY}.tables.opportunity_history"
        table = wh.table(tables["opportunity_history"], key)
        stage_col = "stage_name"
        where: Any = None
    elif _has(wh, tables["opportunity_field_history"]):
        key = f"{KEY}.tables.opportunity_field_history"
        table = wh.table(tables["opportunity_field_history"], key)
        stage_col = "new_value"
        where = table.c["field"] == "StageName" if "field" in table.c else None
    else:
        return empty, []
    missing = [c for c in ("opportunity_id", "created_date", stage_col) if c not in table.c]
    if missing:
        raise wh.fail(key, f"{table.name}: missing column(s): {', '.join(missing)}")
    keep, deleted = soft_deleted(wh, table, key)
    stmt: Any = sa.select(
        table.c["opportunity_id"], table.c["created_date"], table.c[stage_col].label("stage")
    ).select_from(table)
    for cond in (keep, where):
        if cond is not None:
            stmt = stmt.where(cond)
    rows = wh.read(stmt, key)
    mapping = {
        normalise_label(k): v for k, v in {**SALESFORCE_STAGE_MAPPING, **a.stage_mapping}.items()
    }
    order = {s: i for i, s in enumerate(params.stage_names)}
    pos = rows["stage"].map(lambda v: order.get(mapping.get(normalise_label(v)) or "", -1))
    when = pd.to_datetime(rows["created_date"].where(rows["created_date"] != ""), errors="coerce")
    out = {}
    for s in middle:
        at = pos >= order[s]
        out[s] = when[at].groupby(rows["opportunity_id"][at]).min()
    frame = pd.DataFrame(out)
    return frame, deleted


def _history_columns(
    history: pd.DataFrame, raw: pd.DataFrame, leads: bool, columns: Mapping[str, str]
) -> dict[str, str]:
    """Add each middle stage's history date to ``raw`` (by opportunity) and map it."""
    out = dict(columns)
    if history.empty:
        return out
    id_col = "ConvertedOpportunityId" if leads else "Id"
    if id_col not in raw.columns:
        return out
    key = raw[id_col]
    for s in history.columns:
        if f"entered_{s}" in out:  # the user's own date field wins
            continue
        col = f"Opportunity history: {s}"
        dates = key.map(history[s]).dt.strftime("%Y-%m-%d %H:%M:%S")
        raw[col] = dates.fillna("").astype("str")
        out[f"entered_{s}"] = col
    return out
