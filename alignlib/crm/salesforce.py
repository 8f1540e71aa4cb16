"""Salesforce Leads and Opportunities exports, joined on the converted opportunity.

Both header styles are read with no mapping: API names (``Id``, ``CreatedDate``,
``IsConverted``, ``StageName``, ``IsWon`` ...) as the data loader and API write them,
and field labels (``Lead ID``, ``Create Date``, ``Converted``, ``Stage``, ``Won`` ...)
as a report's "Export details" writes them. An opportunities report on its own
(no leads file) is an opportunity -> won funnel, one row per opportunity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alignlib.crm.amounts import amount_column
from alignlib.crm.dates import Dates, order_problems
from alignlib.crm.duplicates import duplicates
from alignlib.crm.labels import (
    DEFAULT_OUTCOME_MAPPING,
    UnknownLabels,
    channels,
    check_stages,
    normalise_label,
    outcome_index,
    outcomes,
    reached_stages,
    stage_index,
)
from alignlib.crm.problems import Problems
from alignlib.crm.read import ReadOptions, first_present, read_raw, require, text
from alignlib.crm.rejects import rejected_rows
from alignlib.crm.table import IngestResult, assemble, finish
from alignlib.errors import DataError, InputError
from alignlib.taxonomy import DEFAULT_STAGE_NAMES

#: Salesforce ``LeadSource`` -> canonical channel.
SALESFORCE_SOURCE_CHANNELS: dict[str, str] = {
    "Paid Search": "paid_search",
    "Advertisement": "paid_social",
    "Social Media": "paid_social",
    "Trade Show": "events",
    "Seminar - Internal": "events",
    "Seminar - Partner": "events",
    "Web": "content_seo",
    "Email": "email",
    "Partner Referral": "referral",
    "Partner": "referral",
    "Employee Referral": "referral",
    "External Referral": "referral",
    "Word of mouth": "referral",
}
#: Salesforce Lead ``Status`` and Opportunity ``StageName`` -> canonical stage.
SALESFORCE_STAGE_MAPPING: dict[str, str | None] = {
    "Open - Not Contacted": "lead",
    "Marketing Qualified": "mql",
    "Working - Contacted": "sal",
    "Closed - Converted": "sql",
    # Worked by sales and closed without an opportunity: it was handed off (MQL).
    "Closed - Not Converted": "mql",
    "Prospecting": "opportunity",
    "Qualification": "opportunity",
    "Needs Analysis": "opportunity",
    "Value Proposition": "opportunity",
    "Id. Decision Makers": "opportunity",
    "Perception Analysis": "opportunity",
    "Proposal/Price Quote": "opportunity",
    "Negotiation/Review": "opportunity",
    "Closed Won": "won",
    "Closed Lost": "opportunity",
}

#: Salesforce lead ``Status`` values that mean "returned to nurture".
SALESFORCE_RECYCLE_STATUSES = frozenset({"Closed - Not Converted"})

#: Leads export fields -> their column, API name first, then the report label(s).
SALESFORCE_LEAD_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("Id", "Lead ID"),
    "created": ("CreatedDate", "Create Date", "Created Date"),
    "status": ("Status", "Lead Status"),
    "source": ("LeadSource", "Lead Source"),
    "is_converted": ("IsConverted", "Converted"),
    "converted_date": ("ConvertedDate", "Converted Date"),
    "converted_opp": (
        "ConvertedOpportunityId",
        "Converted Opportunity ID",
        "Opportunity ID",
    ),
    "owner": ("OwnerId", "Lead Owner", "Owner"),
}
#: Opportunities export fields -> their column, API name first, then the report label(s).
SALESFORCE_OPPORTUNITY_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("Id", "Opportunity ID"),
    "stage": ("StageName", "Stage"),
    "amount": ("Amount",),
    "close": ("CloseDate", "Close Date"),
    "created": ("CreatedDate", "Created Date", "Create Date"),
    "is_closed": ("IsClosed", "Closed"),
    "is_won": ("IsWon", "Won"),
    "source": ("LeadSource", "Lead Source"),
    "owner": ("OwnerId", "Opportunity Owner", "Owner"),
    "deal_name": ("Name", "Opportunity Name"),
}
#: Standard opportunity stages that are still open (an outcome when the export has
#: no ``IsWon``/``Won`` and ``IsClosed``/``Closed`` columns).
SALESFORCE_OPEN_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
)

_TRUE = {"true", "1", "yes", "y", "t"}


def _bool(values: pd.Series) -> np.ndarray:
    return values.str.lower().isin(_TRUE).to_numpy()


def is_opportunities_export(columns: Sequence[str]) -> bool:
    """True for an opportunities export (a stage column and no lead status column).

    Parameters
    ----------
    columns : sequence of str
        The file's header.

    Returns
    -------
    bool
        The file holds opportunities, not leads.
    """
    cols = set(columns)
    has_stage = any(c in cols for c in SALESFORCE_OPPORTUNITY_COLUMNS["stage"])
    has_status = any(c in cols for c in SALESFORCE_LEAD_COLUMNS["status"])
    return has_stage and not has_status


def _columns(
    raw: pd.DataFrame, fields: Mapping[str, tuple[str, ...]], overrides: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    """Each field's candidate columns: the override alone, else the aliases."""
    return {k: (overrides[k],) if k in overrides else v for k, v in fields.items()}


@dataclass
class _Opportunities:
    """What an opportunities file holds, one row per opportunity (rejected ones dropped)."""

    raw: pd.DataFrame
    probs: Problems
    ids: pd.Series
    created: pd.Series
    close: pd.Series
    is_won: np.ndarray
    is_lost: np.ndarray
    amount: pd.Series
    stage: pd.Series
    position: np.ndarray
    custom: dict[str, pd.Series]
    drop: np.ndarray
    n_exact: int
    cols: dict[str, str | None]


def _read_opportunities(
    opath: Path,
    *,
    stage_names: Sequence[str],
    mapping: Mapping[str, str | None],
    outcome_mapping: Mapping[str, str] | None,
    overrides: Mapping[str, str],
    options: ReadOptions,
    unknown_labels: UnknownLabels,
    strict_stage: bool,
    raw: pd.DataFrame | None = None,
) -> _Opportunities:
    """Read an opportunities export (API names or report labels) and check it."""
    oraw = read_raw(opath, options) if raw is None else raw
    fields = _columns(oraw, SALESFORCE_OPPORTUNITY_COLUMNS, overrides)
    oreq = require(opath, oraw, {k: fields[k] for k in ("id", "stage", "close", "created")})
    cols: dict[str, str | None] = {k: first_present(oraw, fields[k]) for k in fields}
    cols.update(oreq)
    custom_cols = {key: col for key, col in overrides.items() if key.startswith("entered_")}
    for key, col in custom_cols.items():
        if col not in oraw.columns:
            raise DataError(opath, f"column {col!r} (mapped to {key}) is not in the file")
    oprobs = Problems(opath.name, 2)
    oids = text(oraw, oreq["id"])
    odates_of = Dates(
        oraw, oprobs, [oreq["created"], oreq["close"], *custom_cols.values()], options=options
    )
    o_created = odates_of(oreq["created"])
    o_close = odates_of(oreq["close"])
    custom = {key: odates_of(col) for key, col in custom_cols.items()}
    o_amount, o_badamt = amount_column(oraw, cols["amount"], oprobs, options)
    ostage_text = text(oraw, oreq["stage"])
    ostage, opos, ounknown = stage_index(ostage_text, mapping, stage_names)
    if strict_stage:
        unknown_labels.report(
            oprobs,
            ounknown,
            ostage_text,
            oreq["stage"],
            "opportunity stage",
            "stage_mapping",
            stage_names,
        )
    odrop, n_exact = duplicates(oraw, oids, oprobs, oreq["id"])
    bad_outcome = np.zeros(len(oraw), dtype=bool)
    if cols["is_won"] is not None and cols["is_closed"] is not None:
        is_closed = _bool(text(oraw, cols["is_closed"]))
        is_won = _bool(text(oraw, cols["is_won"]))
    else:  # no Won/Closed columns: the stage label says the outcome
        said, bad_outcome = outcome_index(ostage_text, stage_outcomes(outcome_mapping))
        unknown_labels.report(
            oprobs, bad_outcome, ostage_text, oreq["stage"], "outcome", "outcome_mapping"
        )
        said_arr = said.fillna("").to_numpy(dtype=object)
        is_won = (
            (said_arr == "won") if cols["is_won"] is None else _bool(text(oraw, cols["is_won"]))
        )
        is_closed = is_won | (said_arr == "lost")
    closed_before = is_closed & (o_close < o_created.dt.normalize()).to_numpy()
    oprobs.add(
        np.flatnonzero(closed_before),
        oreq["close"],
        "date out of order: closed before the opportunity was created",
        text(oraw, oreq["close"])[closed_before],
    )
    odrop |= odates_of.bad | o_badamt | closed_before | bad_outcome
    if strict_stage:
        odrop |= ounknown
    return _Opportunities(
        raw=oraw,
        probs=oprobs,
        ids=oids,
        created=o_created,
        close=o_close,
        is_won=is_won,
        is_lost=is_closed & ~is_won,
        amount=o_amount,
        stage=ostage,
        position=opos,
        custom=custom,
        drop=odrop,
        n_exact=n_exact,
        cols=cols,
    )


def stage_outcomes(outcome_mapping: Mapping[str, str] | None = None) -> dict[str, str]:
    """Opportunity stage label -> outcome: Salesforce's standard stages, then the user's.

    Parameters
    ----------
    outcome_mapping : mapping, optional
        ``actuals.outcome_mapping`` (e.g. ``{"Engaging": "open"}``).

    Returns
    -------
    dict
        Label -> ``won``, ``lost`` or ``open``.
    """
    out = dict(DEFAULT_OUTCOME_MAPPING)
    out.update({normalise_label(s): "open" for s in SALESFORCE_OPEN_STAGES})
    out.update(outcome_mapping or {})
    return out


def load_salesforce(
    leads_path: str | Path | None,
    opportunities_path: str | Path | None = None,
    *,
    stage_names: Sequence[str] = DEFAULT_STAGE_NAMES,
    stage_mapping: Mapping[str, str | None] | None = None,
    columns: Mapping[str, str] | None = None,
    channel_mapping: Mapping[str, str] | None = None,
    as_of: dt.date | pd.Timestamp | None = None,
    options: ReadOptions | None = None,
    outcome_mapping: Mapping[str, str] | None = None,
    raw: pd.DataFrame | None = None,
    opportunities_raw: pd.DataFrame | None = None,
) -> IngestResult:
    """Load Salesforce Leads (and Opportunities) exports into the normalised table.

    Leads are joined to opportunities on ``ConvertedOpportunityId``. Stages: lead =
    ``CreatedDate``; sql = ``ConvertedDate`` (conversion); opportunity = the
    opportunity's ``CreatedDate``; won = its ``CloseDate`` when ``IsWon``. MQL and SAL
    dates are not in a standard export: name custom date fields in ``columns``
    (``{"entered_mql": "MQL_Date__c"}``); otherwise those stages are reached through
    the lead ``Status`` or a later stage. Outcome: ``IsWon`` -> won,
    ``IsClosed`` and not won -> lost, otherwise open; an export without those
    columns takes the outcome from the stage (``outcome_mapping``).

    Headers may be API names or report labels (:data:`SALESFORCE_LEAD_COLUMNS`,
    :data:`SALESFORCE_OPPORTUNITY_COLUMNS`). With no leads file (``leads_path`` None,
    or a file that is an opportunities export, alone or given as both files), the
    opportunities alone make the
    table (:func:`load_salesforce_opportunities`), over the stages from
    ``opportunity`` down when the company has that stage.

    Parameters
    ----------
    leads_path, opportunities_path : str or Path
        The two exports (opportunities optional: without it, outcomes are unknown).
    stage_names, stage_mapping, columns, channel_mapping, as_of, options
        As for :func:`load_hubspot`; ``stage_mapping`` is merged over
        :data:`SALESFORCE_STAGE_MAPPING` (lead ``Status`` and opportunity ``StageName``).
    outcome_mapping : mapping, optional
        Opportunity stage -> won, lost or open, used when the export has no won/closed
        columns (standard stages are known: :func:`stage_outcomes`).
    raw, opportunities_raw : pandas.DataFrame, optional
        The rows already read as text columns with the exports' names (a SQL source,
        :mod:`alignlib.crm.sql`); the paths then only name them in messages.

    Returns
    -------
    IngestResult
        ``rows_read`` counts lead rows; problems in the opportunities file are listed
        with that file's name and rows, and its rejected rows are in ``rejects`` too.

    Raises
    ------
    InputError
        Neither file given.
    """
    options = options or ReadOptions()
    opp_stages = tuple(stage_names)
    if "opportunity" in opp_stages:  # an opportunity knows nothing of earlier stages
        opp_stages = opp_stages[opp_stages.index("opportunity") :]
    kw: dict[str, Any] = {
        "stage_names": opp_stages,
        "stage_mapping": stage_mapping,
        "columns": columns,
        "channel_mapping": channel_mapping,
        "as_of": as_of,
        "options": options,
        "outcome_mapping": outcome_mapping,
    }
    if leads_path is None:
        if opportunities_path is None:
            raise InputError("give a Salesforce leads export, an opportunities export, or both")
        return load_salesforce_opportunities(opportunities_path, raw=opportunities_raw, **kw)
    path = Path(leads_path)
    options = options.with_as_of(as_of)
    as_of = options.as_of
    raw = read_raw(path, options) if raw is None else raw
    if is_opportunities_export(list(raw.columns)):
        same = opportunities_path is None or Path(opportunities_path).resolve() == path.resolve()
        if not same:
            raise DataError(
                path,
                "is an opportunities export, not a leads export; give the leads export "
                "(or this file alone, for an opportunity -> won funnel)",
            )
        return load_salesforce_opportunities(path, raw=raw, **kw)
    mapping = {**SALESFORCE_STAGE_MAPPING, **(stage_mapping or {})}
    check_stages(stage_names)
    overrides = dict(columns or {})
    fields = _columns(
        raw,
        SALESFORCE_LEAD_COLUMNS,
        {**overrides, **({"status": overrides["stage"]} if "stage" in overrides else {})},
    )
    req = require(
        path,
        raw,
        {k: fields[k] for k in ("id", "created", "status")},
    )
    cols: dict[str, str | None] = {k: first_present(raw, fields[k]) for k in fields}
    cols.update(req)
    probs = Problems(path.name, 2)
    ids = text(raw, req["id"])
    custom_cols = {
        key: col
        for key, col in overrides.items()
        if key.startswith("entered_") or key == "first_response"
    }
    for key, col in custom_cols.items():
        if col not in raw.columns:
            raise DataError(path, f"column {col!r} (mapped to {key}) is not in the file")
    dates_of = Dates(
        raw,
        probs,
        [req["created"], cols["converted_date"], *custom_cols.values()],
        options=options,
    )
    created = dates_of(req["created"])
    # dates_of.bad holds only the created column's unparseable cells at this point.
    blank_created = created.isna().to_numpy() & ~dates_of.bad
    probs.add(
        np.flatnonzero(blank_created), req["created"], "missing created date", ids[blank_created]
    )
    converted_date = dates_of(cols["converted_date"])
    custom = {key: dates_of(col) for key, col in custom_cols.items()}

    status = text(raw, req["status"])
    stage, position, unknown = stage_index(status, mapping, stage_names)
    unknown_labels = UnknownLabels()
    unknown_labels.report(
        probs, unknown, status, req["status"], "lead status", "stage_mapping", stage_names
    )

    # Opportunities.
    extra_problems: list[pd.DataFrame] = []
    extra_rejects: list[pd.DataFrame] = []
    opp_cols = ["opp_created", "close", "is_closed", "is_won", "amount", "opp_stage", "deal_name"]
    opp = pd.DataFrame(columns=opp_cols)
    opp_source = "" if opportunities_path is None else f" + {opportunities_path}"
    if opportunities_path is not None:
        o = _read_opportunities(
            Path(opportunities_path),
            stage_names=stage_names,
            mapping=mapping,
            outcome_mapping=outcome_mapping,
            overrides={},
            options=options,
            unknown_labels=unknown_labels,
            strict_stage=True,
            raw=opportunities_raw,
        )
        ofr = o.probs.frame()
        extra_problems.append(ofr)
        extra_rejects.append(rejected_rows(o.raw, o.drop, ofr, o.probs))
        keep = ~o.drop
        opp = pd.DataFrame(
            {
                "opp_created": o.created.to_numpy(),
                "close": o.close.to_numpy(),
                "is_closed": o.is_won | o.is_lost,
                "is_won": o.is_won,
                "amount": o.amount.to_numpy(),
                "opp_stage": o.stage.to_numpy(),
                "deal_name": text(o.raw, o.cols.get("deal_name")).to_numpy(),
            },
            index=o.ids.to_numpy(),
        ).loc[keep]
        opp = opp[~opp.index.duplicated()]

    conv_id = text(raw, cols["converted_opp"])
    if cols["is_converted"] is not None:
        is_converted = _bool(text(raw, cols["is_converted"]))
    else:  # a report without the flag: converted when it has a conversion date or opportunity
        is_converted = converted_date.notna().to_numpy() | (conv_id != "").to_numpy()
    joined = opp.reindex(conv_id.to_numpy())
    joined.index = raw.index
    if opportunities_path is not None:
        missing = (
            is_converted & (conv_id != "").to_numpy() & joined["opp_created"].isna().to_numpy()
        )
        probs.add(
            np.flatnonzero(missing),
            cols["converted_opp"] or "ConvertedOpportunityId",
            "converted opportunity not in the opportunities file (or rejected there)",
            conv_id[missing],
            action="kept",
        )

    drop, n_exact = duplicates(raw, ids, probs, req["id"])

    entered = pd.DataFrame(index=raw.index)
    has_opp = joined["opp_created"].notna().to_numpy()
    won = has_opp & joined["is_won"].fillna(False).to_numpy(dtype=bool)
    lost = has_opp & joined["is_closed"].fillna(False).to_numpy(dtype=bool) & ~won
    for s in stage_names:
        col = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[s]")
        if s == "lead":
            col = created
        elif s == "sql":
            col = converted_date.where(pd.Series(is_converted, index=raw.index))
        elif s == "opportunity":
            col = joined["opp_created"].astype("datetime64[s]")
        elif s == stage_names[-1]:
            col = joined["close"].astype("datetime64[s]").where(pd.Series(won, index=raw.index))
        if f"entered_{s}" in custom:
            col = custom[f"entered_{s}"]
        entered[s] = col
    order_src = [
        {
            "lead": req["created"],
            "sql": cols["converted_date"] or "ConvertedDate",
            "opportunity": "Opportunity.CreatedDate",
        }.get(s, overrides.get(f"entered_{s}", f"entered_{s}"))
        for s in stage_names
    ]
    if stage_names[-1] not in ("lead", "sql", "opportunity"):
        order_src[-1] = "Opportunity.CloseDate"
    # Conversion recorded on a date (no time) may precede a same-day creation time.
    day_entered = entered.apply(lambda c: c.dt.normalize())
    out_of_order = order_problems(day_entered, order_src, probs, ~drop, raw)
    drop |= dates_of.bad | blank_created | unknown | out_of_order

    # An opportunity's stage (e.g. Closed Won) also tells how far the lead got.
    opp_pos_of = {s: i for i, s in enumerate(stage_names)}
    opp_position = joined["opp_stage"].map(opp_pos_of).fillna(-1).to_numpy(dtype=int)
    position = np.maximum(position, opp_position)
    converted_pos = opp_pos_of.get("sql", -1)
    position = np.where(is_converted, np.maximum(position, converted_pos), position)
    reached = reached_stages(entered, position, len(stage_names))
    outcome = outcomes(won, lost, has_opp)
    outcome.index = raw.index
    close_date = (
        joined["close"].astype("datetime64[s]").where(pd.Series(won | lost, index=raw.index))
    )
    source = text(raw, cols["source"])
    table = assemble(
        ids=ids,
        created=created,
        source=source,
        channel=channels(source, channel_mapping or SALESFORCE_SOURCE_CHANNELS),
        owner=text(raw, overrides.get("owner", cols["owner"])),
        lead_status=status,
        stage=stage,
        entered=entered,
        reached=reached,
        outcome=outcome,
        close_date=close_date,
        amount=joined["amount"].astype(float),
        first_response=custom.get(
            "first_response", pd.Series(pd.NaT, index=raw.index, dtype="datetime64[s]")
        ),
        # the converted opportunity's name (the lead's own name and company never)
        deal_name=joined["deal_name"].fillna("").astype("str"),
        offset=2,
        stage_names=stage_names,
        recycle_statuses=SALESFORCE_RECYCLE_STATUSES,
    )
    result = finish(
        path=path,
        fmt="salesforce",
        raw=raw,
        table=table,
        probs=probs,
        drop=drop,
        duplicates=n_exact,
        stage_names=stage_names,
        as_of=as_of,
        extra_problems=extra_problems,
        extra_rejects=extra_rejects,
        source=f"{path}{opp_source}",
    )
    return unknown_labels.explain(result)


def load_salesforce_opportunities(
    path: str | Path,
    *,
    stage_names: Sequence[str] = ("opportunity", "won"),
    stage_mapping: Mapping[str, str | None] | None = None,
    columns: Mapping[str, str] | None = None,
    channel_mapping: Mapping[str, str] | None = None,
    as_of: dt.date | pd.Timestamp | None = None,
    options: ReadOptions | None = None,
    outcome_mapping: Mapping[str, str] | None = None,
    raw: pd.DataFrame | None = None,
) -> IngestResult:
    """Load an opportunities export on its own: one row per opportunity.

    Every opportunity reached the first stage on its created date; it reached the
    last stage on its close date when won. Stages in between are reached through
    the opportunity's stage (``stage_mapping``) or their own date columns
    (``columns``: ``{"entered_proposal": "Proposal Date"}``). Outcome from
    ``IsWon``/``Won`` and ``IsClosed``/``Closed``, or from the stage label when the
    export has neither (``outcome_mapping``; unknown labels are one problem each).

    Parameters
    ----------
    path : str or Path
        The opportunities export (API names or report labels).
    stage_names : sequence of str
        The company's stages (default: opportunity -> won).
    stage_mapping, columns, channel_mapping, as_of, options, outcome_mapping
        As for :func:`load_salesforce`.
    raw : pandas.DataFrame, optional
        The rows already read (a SQL source); ``path`` then only names them.

    Returns
    -------
    IngestResult
        ``rows_read`` counts opportunities.
    """
    path = Path(path)
    options = options or ReadOptions()
    options = options.with_as_of(as_of)
    as_of = options.as_of
    check_stages(stage_names)
    mapping: dict[str, str | None] = {
        k: v for k, v in SALESFORCE_STAGE_MAPPING.items() if v in stage_names
    }
    mapping.update({s: s for s in stage_names})
    mapping.update(stage_mapping or {})
    overrides = dict(columns or {})
    unknown_labels = UnknownLabels()
    o = _read_opportunities(
        path,
        stage_names=stage_names,
        mapping=mapping,
        outcome_mapping=outcome_mapping,
        overrides=overrides,
        options=options,
        unknown_labels=unknown_labels,
        # In an opportunity -> won funnel the stage label places nothing.
        strict_stage=len(stage_names) > 2,
        raw=raw,
    )
    index = o.raw.index
    won = o.is_won
    lost = o.is_lost
    entered = pd.DataFrame(index=index)
    last = len(stage_names) - 1
    for j, s in enumerate(stage_names):
        col = pd.Series(pd.NaT, index=index, dtype="datetime64[s]")
        if j == 0:
            col = o.created
        elif j == last:
            col = o.close.where(pd.Series(won, index=index))
        if f"entered_{s}" in o.custom:
            col = o.custom[f"entered_{s}"]
        entered[s] = col
    order_src = [o.cols["created"] or "CreatedDate"] + [
        overrides.get(f"entered_{s}", f"entered_{s}") for s in stage_names[1:]
    ]
    if last > 0 and f"entered_{stage_names[last]}" not in overrides:
        order_src[-1] = o.cols["close"] or "CloseDate"
    day_entered = entered.apply(lambda c: c.dt.normalize())
    out_of_order = order_problems(day_entered, order_src, o.probs, ~o.drop, o.raw)
    drop = o.drop | out_of_order
    position = np.maximum(o.position, 0)
    position = np.where(won, last, np.minimum(position, max(last - 1, 0)))
    reached = reached_stages(entered, position, len(stage_names))
    outcome = outcomes(won, lost, ~won & ~lost)
    outcome.index = index
    close_date = o.close.where(pd.Series(won | lost, index=index))
    source = text(o.raw, o.cols["source"])
    table = assemble(
        ids=o.ids,
        created=o.created,
        source=source,
        channel=channels(source, channel_mapping or SALESFORCE_SOURCE_CHANNELS),
        owner=text(o.raw, o.cols["owner"]),
        lead_status=pd.Series("", index=index, dtype="str"),
        stage=o.stage,
        entered=entered,
        reached=reached,
        outcome=outcome,
        close_date=close_date,
        amount=o.amount,
        first_response=pd.Series(pd.NaT, index=index, dtype="datetime64[s]"),
        deal_name=text(o.raw, o.cols.get("deal_name")),
        offset=2,
        stage_names=stage_names,
        recycle_statuses=SALESFORCE_RECYCLE_STATUSES,
    )
    result = finish(
        path=path,
        fmt="salesforce",
        raw=o.raw,
        table=table,
        probs=o.probs,
        drop=drop,
        duplicates=o.n_exact,
        stage_names=stage_names,
        as_of=as_of,
    )
    return unknown_labels.explain(result)
