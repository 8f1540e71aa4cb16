"""Salesforce Leads and Opportunities exports, joined on the converted opportunity.

Both header styles are read with no mapping: API names (``Id``, ``CreatedDate``,
``IsConverted``, ``StageName``, ``IsWon`` ...) as the data loader and API write them,
and field labels (``Lead ID``, ``Create Date``, ``Converted``, ``Stage``, ``Won`` ...)
as a report's "Export details" writes them. An opportunities report on its own
(no leads file) is an opportunity -> won funnel, one row per opportunity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Unpack

import numpy as np
import pandas as pd

from alignlib.crm.labels import (
    DEFAULT_OUTCOME_MAPPING,
    check_stages,
    normalise_label,
    outcomes,
    reached_stages,
    stage_index,
)
from alignlib.crm.pipeline import ColumnSpec, LoadArgs, Source, flag, open_source
from alignlib.crm.problems import FIELD_DROPPED
from alignlib.crm.read import ReadOptions, read_raw
from alignlib.crm.table import IngestResult
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


#: A Salesforce Leads export's columns (API names or report labels).
SALESFORCE_LEADS_SPEC = ColumnSpec(
    format="salesforce",
    fields=SALESFORCE_LEAD_COLUMNS,
    required=("id", "created", "status"),
    channels=SALESFORCE_SOURCE_CHANNELS,
    recycle_statuses=SALESFORCE_RECYCLE_STATUSES,
)
#: A Salesforce Opportunities export's columns (API names or report labels).
SALESFORCE_OPPORTUNITIES_SPEC = ColumnSpec(
    format="salesforce",
    fields=SALESFORCE_OPPORTUNITY_COLUMNS,
    required=("id", "stage", "close", "created"),
    channels=SALESFORCE_SOURCE_CHANNELS,
    recycle_statuses=SALESFORCE_RECYCLE_STATUSES,
)


@dataclass
class _Opportunities:
    """What an opportunities file holds, one row per opportunity (rejected ones flagged)."""

    src: Source
    created: pd.Series
    close: pd.Series
    is_won: np.ndarray
    is_lost: np.ndarray
    amount: pd.Series
    stage: pd.Series
    position: np.ndarray
    custom: dict[str, pd.Series]


def _read_opportunities(
    opath: Path,
    *,
    mapping: Mapping[str, str | None],
    strict_stage: bool,
    **kw: Unpack[LoadArgs],
) -> _Opportunities:
    """Read an opportunities export (API names or report labels) and check it."""
    outcome_mapping = kw.get("outcome_mapping")
    stage_names = kw.get("stage_names", ("opportunity", "won"))
    src = open_source(SALESFORCE_OPPORTUNITIES_SPEC, opath, **kw)
    cols = src.cols
    custom_cols = src.mapped()
    odates_of = src.read_dates(
        [cols["created"], cols["close"], *custom_cols.values()], with_ids=False
    )
    o_created = src.created()
    o_close = odates_of(cols["close"])
    custom = {key: odates_of(col) for key, col in custom_cols.items()}
    o_amount = src.amount()
    ostage_text = src.text("stage")
    stage_col = str(cols["stage"])
    if strict_stage:
        ostage, opos, _ = src.stages(
            ostage_text, mapping, stage_names, stage_col, "opportunity stage"
        )
    else:
        ostage, opos, _ = stage_index(ostage_text, mapping, stage_names)
    src.check_ids()
    if cols["is_won"] is not None and cols["is_closed"] is not None:
        is_closed = flag(src.text("is_closed"))
        is_won = flag(src.text("is_won"))
    else:  # no Won/Closed columns: the stage label says the outcome
        said = src.outcomes(ostage_text, stage_outcomes(outcome_mapping), stage_col)
        is_won = (said == "won") if cols["is_won"] is None else flag(src.text("is_won"))
        is_closed = is_won | (said == "lost")
    # A close date before the opportunity was created is dropped (the field, not the row).
    closed_before = is_closed & (o_close < o_created.dt.normalize()).to_numpy()
    src.probs.add(
        np.flatnonzero(closed_before),
        str(cols["close"]),
        "date out of order: closed before the opportunity was created",
        src.text("close")[closed_before],
        action=FIELD_DROPPED,
    )
    o_close = o_close.mask(closed_before)
    return _Opportunities(
        src=src,
        created=o_created,
        close=o_close,
        is_won=is_won,
        is_lost=is_closed & ~is_won,
        amount=o_amount,
        stage=ostage,
        position=opos,
        custom=custom,
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
    opportunities_raw: pd.DataFrame | None = None,
    **kw: Unpack[LoadArgs],
) -> IngestResult:
    """Load Salesforce Leads (and Opportunities) exports into the normalised table.

    Leads are joined to opportunities on ``ConvertedOpportunityId``. Stages: lead =
    ``CreatedDate``; sql = ``ConvertedDate`` (conversion); opportunity = the
    opportunity's ``CreatedDate``; won = its ``CloseDate`` when ``IsWon``. MQL and SAL
    dates are not in a standard export: name custom date fields in ``columns``
    (``{"entered_mql": "MQL_Date__c"}``); otherwise those stages are reached through
    the lead ``Status`` or a later stage. Outcome: ``IsWon`` -> won,
    ``IsClosed`` and not won -> lost, otherwise open; an export without those
    columns takes the outcome from the stage (``outcome_mapping``; standard stages
    are known: :func:`stage_outcomes`). ``stage_mapping`` is merged over
    :data:`SALESFORCE_STAGE_MAPPING` (lead ``Status`` and opportunity ``StageName``).

    Headers may be API names or report labels (:data:`SALESFORCE_LEAD_COLUMNS`,
    :data:`SALESFORCE_OPPORTUNITY_COLUMNS`). With no leads file (``leads_path`` None,
    or a file that is an opportunities export, alone or given as both files), the
    opportunities alone make the table (:func:`load_salesforce_opportunities`), over
    the stages from ``opportunity`` down when the company has that stage.

    Parameters
    ----------
    leads_path, opportunities_path : str or Path
        The two exports (opportunities optional: without it, outcomes are unknown).
    opportunities_raw : pandas.DataFrame, optional
        The opportunities already read (a SQL source), as ``raw`` is the leads.
    **kw : LoadArgs
        As for every loader (:class:`~alignlib.crm.pipeline.LoadArgs`); default stages:
        the taxonomy's six.

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
    stage_names = kw.get("stage_names", DEFAULT_STAGE_NAMES)
    options = (kw.get("options") or ReadOptions()).with_as_of(kw.get("as_of"))
    opp_stages = tuple(stage_names)
    if "opportunity" in opp_stages:  # an opportunity knows nothing of earlier stages
        opp_stages = opp_stages[opp_stages.index("opportunity") :]
    opp_kw: LoadArgs = {**kw, "stage_names": opp_stages, "options": options}
    if leads_path is None:
        if opportunities_path is None:
            raise InputError("give a Salesforce leads export, an opportunities export, or both")
        opp_kw["raw"] = opportunities_raw
        return load_salesforce_opportunities(opportunities_path, **opp_kw)
    path = Path(leads_path)
    raw = kw.get("raw")
    raw = read_raw(path, options) if raw is None else raw
    if is_opportunities_export(list(raw.columns)):
        same = opportunities_path is None or Path(opportunities_path).resolve() == path.resolve()
        if not same:
            raise DataError(
                path,
                "is an opportunities export, not a leads export; give the leads export "
                "(or this file alone, for an opportunity -> won funnel)",
            )
        opp_kw["raw"] = raw
        return load_salesforce_opportunities(path, **opp_kw)
    stage_mapping = kw.get("stage_mapping")
    outcome_mapping = kw.get("outcome_mapping")
    mapping = {**SALESFORCE_STAGE_MAPPING, **(stage_mapping or {})}
    check_stages(stage_names)
    overrides = dict(kw.get("columns") or {})
    if "stage" in overrides:
        overrides["status"] = overrides["stage"]
    src = open_source(
        SALESFORCE_LEADS_SPEC, path, **{**kw, "columns": overrides, "options": options, "raw": raw}
    )
    cols = src.cols
    custom_cols = src.mapped(extra=("first_response",))
    dates_of = src.read_dates(
        [cols["created"], cols["converted_date"], *custom_cols.values()], with_ids=False
    )
    created = src.created()
    # dates_of.bad holds only the created column's unreadable cells at this point.
    blank_created = created.isna().to_numpy() & ~dates_of.bad
    src.probs.add(
        np.flatnonzero(blank_created),
        str(cols["created"]),
        "missing created date",
        src.ids[blank_created],
    )
    src.drop |= blank_created
    converted_date = dates_of(cols["converted_date"])
    custom = {key: dates_of(col) for key, col in custom_cols.items()}

    status = src.text("status")
    stage, position, _ = src.stages(
        status, mapping, stage_names, str(cols["status"]), "lead status"
    )

    # Opportunities.
    opp_cols = ["opp_created", "close", "is_closed", "is_won", "amount", "opp_stage", "deal_name"]
    opp = pd.DataFrame(columns=opp_cols)
    opp_source = "" if opportunities_path is None else f" + {opportunities_path}"
    if opportunities_path is not None:
        o = _read_opportunities(
            Path(opportunities_path),
            mapping=mapping,
            outcome_mapping=outcome_mapping,
            strict_stage=True,
            stage_names=stage_names,
            options=options,
            raw=opportunities_raw,
        )
        o.src.labels = src.labels  # one note per label across both files
        src.beside(o.src)
        keep = ~o.src.drop
        opp = pd.DataFrame(
            {
                "opp_created": o.created.to_numpy(),
                "close": o.close.to_numpy(),
                "is_closed": o.is_won | o.is_lost,
                "is_won": o.is_won,
                "amount": o.amount.to_numpy(),
                "opp_stage": o.stage.to_numpy(),
                "deal_name": o.src.text("deal_name").to_numpy(),
            },
            index=o.src.ids.to_numpy(),
        ).loc[keep]
        opp = opp[~opp.index.duplicated()]

    conv_id = src.text("converted_opp")
    if cols["is_converted"] is not None:
        is_converted = flag(src.text("is_converted"))
    else:  # a report without the flag: converted when it has a conversion date or opportunity
        is_converted = converted_date.notna().to_numpy() | (conv_id != "").to_numpy()
    joined = opp.reindex(conv_id.to_numpy())
    joined.index = src.raw.index
    if opportunities_path is not None:
        missing = (
            is_converted & (conv_id != "").to_numpy() & joined["opp_created"].isna().to_numpy()
        )
        src.probs.add(
            np.flatnonzero(missing),
            cols["converted_opp"] or "ConvertedOpportunityId",
            "converted opportunity not in the opportunities file (or rejected there)",
            conv_id[missing],
            action="kept",
        )

    src.check_ids()
    index = src.raw.index
    entered = pd.DataFrame(index=index)
    has_opp = joined["opp_created"].notna().to_numpy()
    won = has_opp & joined["is_won"].fillna(False).to_numpy(dtype=bool)
    lost = has_opp & joined["is_closed"].fillna(False).to_numpy(dtype=bool) & ~won
    for s in stage_names:
        col = pd.Series(pd.NaT, index=index, dtype="datetime64[s]")
        if s == "lead":
            col = created
        elif s == "sql":
            col = converted_date.where(pd.Series(is_converted, index=index))
        elif s == "opportunity":
            col = joined["opp_created"].astype("datetime64[s]")
        elif s == stage_names[-1]:
            col = joined["close"].astype("datetime64[s]").where(pd.Series(won, index=index))
        if f"entered_{s}" in custom:
            col = custom[f"entered_{s}"]
        entered[s] = col
    order_src = [
        {
            "lead": cols["created"],
            "sql": cols["converted_date"] or "ConvertedDate",
            "opportunity": "Opportunity.CreatedDate",
        }.get(s, overrides.get(f"entered_{s}", f"entered_{s}"))
        for s in stage_names
    ]
    if stage_names[-1] not in ("lead", "sql", "opportunity"):
        order_src[-1] = "Opportunity.CloseDate"
    entered, _ = src.in_order(entered, [str(c) for c in order_src], by_day=True)

    # An opportunity's stage (e.g. Closed Won) also tells how far the lead got.
    opp_pos_of = {s: i for i, s in enumerate(stage_names)}
    opp_position = joined["opp_stage"].map(opp_pos_of).fillna(-1).to_numpy(dtype=int)
    position = np.maximum(position, opp_position)
    converted_pos = opp_pos_of.get("sql", -1)
    position = np.where(is_converted, np.maximum(position, converted_pos), position)
    reached = reached_stages(entered, position, len(stage_names))
    outcome = outcomes(won, lost, has_opp)
    outcome.index = index
    close_date = joined["close"].astype("datetime64[s]").where(pd.Series(won | lost, index=index))
    if stage_names[-1] not in ("lead", "sql", "opportunity") and (
        f"entered_{stage_names[-1]}" not in custom
    ):
        # A close date dropped as the won date is dropped as the close date too.
        close_date = close_date.mask(entered.iloc[:, -1].isna() & pd.Series(won, index=index))
    return src.finish(
        stage_names=stage_names,
        created=created,
        lead_status=status,
        stage=stage,
        entered=entered,
        reached=reached,
        outcome=outcome,
        close_date=close_date,
        amount=joined["amount"].astype(float),
        first_response=custom.get(
            "first_response", pd.Series(pd.NaT, index=index, dtype="datetime64[s]")
        ),
        # the converted opportunity's name (the lead's own name and company never)
        deal_name=joined["deal_name"].fillna("").astype("str"),
        source=f"{path}{opp_source}",
    )


def load_salesforce_opportunities(path: str | Path, **kw: Unpack[LoadArgs]) -> IngestResult:
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
    **kw : LoadArgs
        As for every loader (:class:`~alignlib.crm.pipeline.LoadArgs`); default stages:
        opportunity -> won.

    Returns
    -------
    IngestResult
        ``rows_read`` counts opportunities.
    """
    stage_names = kw.get("stage_names", ("opportunity", "won"))
    check_stages(stage_names)
    mapping: dict[str, str | None] = {
        k: v for k, v in SALESFORCE_STAGE_MAPPING.items() if v in stage_names
    }
    mapping.update({s: s for s in stage_names})
    mapping.update(kw.get("stage_mapping") or {})
    overrides = dict(kw.get("columns") or {})
    args: LoadArgs = {**kw, "stage_names": stage_names}
    o = _read_opportunities(
        Path(path),
        mapping=mapping,
        # In an opportunity -> won funnel the stage label places nothing.
        strict_stage=len(stage_names) > 2,
        **args,
    )
    src = o.src
    index = src.raw.index
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
    close_col = str(src.cols["close"] or "CloseDate")
    order_src = [str(src.cols["created"] or "CreatedDate")] + [
        overrides.get(f"entered_{s}", f"entered_{s}") for s in stage_names[1:]
    ]
    from_close = last > 0 and f"entered_{stage_names[last]}" not in overrides
    if from_close:
        order_src[-1] = close_col
    entered, dropped = src.in_order(entered, order_src, by_day=True)
    close = o.close.mask(dropped.iloc[:, -1]) if from_close else o.close
    position = np.maximum(o.position, 0)
    position = np.where(won, last, np.minimum(position, max(last - 1, 0)))
    reached = reached_stages(entered, position, len(stage_names))
    outcome = outcomes(won, lost, ~won & ~lost)
    outcome.index = index
    return src.finish(
        stage_names=stage_names,
        created=o.created,
        stage=o.stage,
        entered=entered,
        reached=reached,
        outcome=outcome,
        close_date=close.where(pd.Series(won | lost, index=index)),
        amount=o.amount,
    )
