"""Salesforce Leads and Opportunities report exports, joined on the converted opportunity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from alignlib.crm.amounts import amount_column
from alignlib.crm.dates import Dates, order_problems
from alignlib.crm.duplicates import duplicates
from alignlib.crm.labels import channels, check_stages, outcomes, reached_stages, stage_index
from alignlib.crm.problems import Problems
from alignlib.crm.read import ReadOptions, read_raw, require, text
from alignlib.crm.rejects import rejected_rows
from alignlib.crm.table import IngestResult, assemble, finish
from alignlib.errors import DataError
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

_TRUE = {"true", "1", "yes", "y", "t"}


def _bool(values: pd.Series) -> np.ndarray:
    return values.str.lower().isin(_TRUE).to_numpy()


def load_salesforce(
    leads_path: str | Path,
    opportunities_path: str | Path | None = None,
    *,
    stage_names: Sequence[str] = DEFAULT_STAGE_NAMES,
    stage_mapping: Mapping[str, str | None] | None = None,
    columns: Mapping[str, str] | None = None,
    channel_mapping: Mapping[str, str] | None = None,
    as_of: dt.date | pd.Timestamp | None = None,
    options: ReadOptions | None = None,
) -> IngestResult:
    """Load Salesforce Leads (and Opportunities) report exports into the normalised table.

    Leads are joined to opportunities on ``ConvertedOpportunityId``. Stages: lead =
    ``CreatedDate``; sql = ``ConvertedDate`` (conversion); opportunity = the
    opportunity's ``CreatedDate``; won = its ``CloseDate`` when ``IsWon``. MQL and SAL
    dates are not in a standard export: name custom date fields in ``columns``
    (``{"entered_mql": "MQL_Date__c"}``); otherwise those stages are reached through
    the lead ``Status`` or a later stage. Outcome: ``IsWon`` -> won,
    ``IsClosed`` and not won -> lost, otherwise open.

    Parameters
    ----------
    leads_path, opportunities_path : str or Path
        The two exports (opportunities optional: without it, outcomes are unknown).
    stage_names, stage_mapping, columns, channel_mapping, as_of, options
        As for :func:`load_hubspot`; ``stage_mapping`` is merged over
        :data:`SALESFORCE_STAGE_MAPPING` (lead ``Status`` and opportunity ``StageName``).

    Returns
    -------
    IngestResult
        ``rows_read`` counts lead rows; problems in the opportunities file are listed
        with that file's name and rows, and its rejected rows are in ``rejects`` too.
    """
    path = Path(leads_path)
    options = options or ReadOptions()
    as_of = as_of if as_of is not None else options.as_of
    raw = read_raw(path, options)
    mapping = {**SALESFORCE_STAGE_MAPPING, **(stage_mapping or {})}
    check_stages(stage_names)
    overrides = dict(columns or {})
    req = require(
        path,
        raw,
        {
            "id": (overrides.get("id", "Id"),),
            "created": (overrides.get("created", "CreatedDate"),),
            "status": (overrides.get("stage", "Status"),),
            "source": (overrides.get("source", "LeadSource"),),
            "is_converted": ("IsConverted",),
            "converted_date": ("ConvertedDate",),
            "converted_opp": ("ConvertedOpportunityId",),
        },
    )
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
        [req["created"], req["converted_date"], *custom_cols.values()],
        options=options,
    )
    created = dates_of(req["created"])
    # dates_of.bad holds only the created column's unparseable cells at this point.
    blank_created = created.isna().to_numpy() & ~dates_of.bad
    probs.add(
        np.flatnonzero(blank_created), req["created"], "missing created date", ids[blank_created]
    )
    converted_date = dates_of(req["converted_date"])
    custom = {key: dates_of(col) for key, col in custom_cols.items()}

    status = text(raw, req["status"])
    stage, position, unknown = stage_index(status, mapping, stage_names)
    probs.add(np.flatnonzero(unknown), req["status"], "unknown lead status", status[unknown])

    # Opportunities.
    extra_problems: list[pd.DataFrame] = []
    extra_rejects: list[pd.DataFrame] = []
    opp_cols = ["opp_created", "close", "is_closed", "is_won", "amount", "opp_stage"]
    opp = pd.DataFrame(columns=opp_cols)
    opp_source = "" if opportunities_path is None else f" + {opportunities_path}"
    if opportunities_path is not None:
        opath = Path(opportunities_path)
        oraw = read_raw(opath, options)
        oreq = require(
            opath,
            oraw,
            {
                "id": ("Id",),
                "stage": ("StageName",),
                "amount": ("Amount",),
                "close": ("CloseDate",),
                "created": ("CreatedDate",),
                "is_closed": ("IsClosed",),
                "is_won": ("IsWon",),
            },
        )
        oprobs = Problems(opath.name, 2)
        oids = text(oraw, oreq["id"])
        odates_of = Dates(oraw, oprobs, [oreq["created"], oreq["close"]], options=options)
        o_created = odates_of(oreq["created"])
        o_close = odates_of(oreq["close"])
        o_amount, o_badamt = amount_column(oraw, oreq["amount"], oprobs, options)
        ostage_text = text(oraw, oreq["stage"])
        ostage, _opos, ounknown = stage_index(ostage_text, mapping, stage_names)
        oprobs.add(
            np.flatnonzero(ounknown),
            oreq["stage"],
            "unknown opportunity stage",
            ostage_text[ounknown],
        )
        odrop, _ = duplicates(oraw, oids, oprobs, oreq["id"])
        is_closed = _bool(text(oraw, oreq["is_closed"]))
        is_won = _bool(text(oraw, oreq["is_won"]))
        closed_before = is_closed & (o_close < o_created.dt.normalize()).to_numpy()
        oprobs.add(
            np.flatnonzero(closed_before),
            oreq["close"],
            "date out of order: closed before the opportunity was created",
            text(oraw, oreq["close"])[closed_before],
        )
        odrop |= odates_of.bad | o_badamt | ounknown | closed_before
        ofr = oprobs.frame()
        extra_problems.append(ofr)
        extra_rejects.append(rejected_rows(oraw, odrop, ofr, oprobs))
        keep = ~odrop
        opp = pd.DataFrame(
            {
                "opp_created": o_created.to_numpy(),
                "close": o_close.to_numpy(),
                "is_closed": is_closed,
                "is_won": is_won,
                "amount": o_amount.to_numpy(),
                "opp_stage": ostage.to_numpy(),
            },
            index=oids.to_numpy(),
        ).loc[keep]
        opp = opp[~opp.index.duplicated()]

    conv_id = text(raw, req["converted_opp"])
    is_converted = _bool(text(raw, req["is_converted"]))
    joined = opp.reindex(conv_id.to_numpy())
    joined.index = raw.index
    if opportunities_path is not None:
        missing = (
            is_converted & (conv_id != "").to_numpy() & joined["opp_created"].isna().to_numpy()
        )
        probs.add(
            np.flatnonzero(missing),
            req["converted_opp"],
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
            "sql": req["converted_date"],
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
    source = text(raw, req["source"])
    table = assemble(
        ids=ids,
        created=created,
        source=source,
        channel=channels(source, channel_mapping or SALESFORCE_SOURCE_CHANNELS),
        owner=text(raw, overrides.get("owner", "OwnerId")),
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
        offset=2,
        stage_names=stage_names,
        recycle_statuses=SALESFORCE_RECYCLE_STATUSES,
    )
    return finish(
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
