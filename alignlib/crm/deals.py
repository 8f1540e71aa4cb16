"""A deals or opportunities table joined onto the leads table, for any source format.

``actuals.deals: {file, key, columns}`` names the deals file, the column in it that
holds the lead's ``id``, and its columns by canonical field (``entered_<stage>``,
``created``, ``stage``, ``outcome``, ``close_date``, ``amount``, ``owner``; the
usual HubSpot and Salesforce headers are found without a mapping). A lead with
several deals takes its first won deal, else its latest; deals that match no
accepted lead are counted in one problem and go to the rejects file, never dropped
without a word.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from alignlib.crm.duplicates import duplicates
from alignlib.crm.hubspot_deals import (
    HUBSPOT_OPEN_DEAL_STAGES,
    earliest,
    stage_date_sources,
)
from alignlib.crm.labels import (
    DEFAULT_OUTCOME_MAPPING,
    LabelNote,
    normalise_label,
    normalised,
    opportunity_index,
    reached_stages,
    stage_index,
)
from alignlib.crm.pipeline import ColumnSpec, check_fields, flag, open_source
from alignlib.crm.problems import PROBLEM_COLUMNS
from alignlib.crm.read import ReadOptions
from alignlib.crm.salesforce import SALESFORCE_OPEN_STAGES
from alignlib.crm.table import IngestResult, settle_frame
from alignlib.format import count

#: Fields a deals mapping may name (besides ``entered_<stage>``), with the headers
#: HubSpot deals and Salesforce opportunity exports use for them.
DEAL_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("Record ID", "Deal ID", "Opportunity ID", "Id"),
    "created": ("Create Date", "Created Date", "CreatedDate"),
    "stage": ("Deal Stage", "Stage", "StageName"),
    "outcome": (),
    "close_date": ("Close Date", "CloseDate"),
    "amount": ("Amount",),
    "owner": ("Deal owner", "Deal Owner", "Opportunity Owner", "OwnerId"),
    "deal_name": ("Deal Name", "Opportunity Name", "Name"),
    "won": ("Won", "IsWon"),
    "closed": ("Closed", "IsClosed"),
}


def stage_label_outcomes(
    stage_names: Sequence[str],
    stage_mapping: Mapping[str, str | None] | None = None,
    outcome_mapping: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Deal stage label -> outcome, when a deals file says the outcome only by its stage.

    Closed won / closed lost, the standard open stages of HubSpot and Salesforce,
    labels mapped into the funnel (won at the last stage, else open), then
    ``outcome_mapping``.

    Parameters
    ----------
    stage_names : sequence of str
        The company's stages.
    stage_mapping, outcome_mapping : mapping, optional
        ``actuals.stage_mapping`` and ``actuals.outcome_mapping``.

    Returns
    -------
    dict
        Normalised label -> ``won``, ``lost`` or ``open``.
    """
    out = dict(DEFAULT_OUTCOME_MAPPING)
    for label in (*HUBSPOT_OPEN_DEAL_STAGES, *SALESFORCE_OPEN_STAGES):
        out[normalise_label(label)] = "open"
    for label, stage in normalised(stage_mapping or {}).items():
        if stage in stage_names:
            out[label] = "won" if stage == stage_names[-1] else "open"
    out.update(normalised(outcome_mapping or {}))
    return out


def join_deals(
    result: IngestResult,
    file: str | Path,
    key: str,
    columns: Mapping[str, str] | None = None,
    *,
    stage_mapping: Mapping[str, str | None] | None = None,
    outcome_mapping: Mapping[str, str] | None = None,
    options: ReadOptions | None = None,
) -> IngestResult:
    """Join a deals table onto a loaded leads table: one deal per lead.

    A lead with several deals takes its first won deal (earliest close), else its
    latest (latest created). The chosen deal sets the lead's outcome, close date,
    amount and owner, its mapped stage dates, and reaching the opportunity stage
    (a deal's created date is that stage's date when the leads file has none); a
    won deal reaches the last stage on its close date.

    Parameters
    ----------
    result : IngestResult
        The leads, as a loader returned them.
    file : str or Path
        The deals export.
    key : str
        Column of the deals file holding the lead's ``id``.
    columns : mapping, optional
        Canonical field -> deals column (:data:`DEAL_FIELDS`, ``entered_<stage>``);
        unmapped fields are looked for under their usual headers.
    stage_mapping : mapping, optional
        Deal stage label -> canonical stage (also maps ``Date entered "<stage>"``
        columns).
    outcome_mapping : mapping, optional
        Outcome (or deal stage) label -> won, lost or open.
    options : ReadOptions, optional
        How to read the file.

    Returns
    -------
    IngestResult
        The leads with their deals; the deals file's problems and rejected rows
        (unreadable values, deals matching no accepted lead) added. Counts
        (``rows_read``, ``accepted``, ``rejected``) stay those of the leads.

    Raises
    ------
    InputError
        The mapping names a field that does not exist.
    DataError
        The file cannot be read, or ``key`` or a mapped column is not in it.
    """
    path = Path(file)
    options = options or ReadOptions()
    stage_names = result.stage_names
    cols_in = dict(columns or {})
    check_fields(cols_in, list(DEAL_FIELDS), stage_names, "actuals.deals.columns")
    spec = ColumnSpec(format="deals", fields={**DEAL_FIELDS, "key": (key,)}, required=("key",))
    src = open_source(spec, path, columns=cols_in, options=options)
    raw, cols = src.raw, src.cols
    if cols["id"] == key:
        cols["id"] = None
    src.ids = src.text("id")

    # Stage dates: mapped columns, else Date entered "<stage> (<pipeline>)" columns.
    norm = normalised({**{s: s for s in stage_names}, **(stage_mapping or {})})
    sources = stage_date_sources(list(raw.columns), norm, stage_names)
    for k, col in src.mapped().items():
        sources[k[8:]] = [col]

    date_cols = [c for cs in sources.values() for c in cs]
    dates_of = src.read_dates([cols["created"], cols["close_date"], *date_cols], with_ids=False)
    created = dates_of(cols["created"])
    close = dates_of(cols["close_date"])
    entered = {s: earliest(dates_of, sources[s], raw.index) for s in stage_names if sources[s]}
    amount = src.amount()

    # Outcome: an outcome column, else won/closed flags, else the stage label.
    if cols["outcome"] is not None:
        said = src.outcomes(src.text("outcome"), outcome_mapping, cols["outcome"])
        won, lost = said == "won", said == "lost"
    elif cols["won"] is not None:
        won = flag(src.text("won"))
        closed = flag(src.text("closed")) if cols["closed"] else np.zeros_like(won)
        lost = closed & ~won
    elif cols["stage"] is not None:
        said = src.outcomes(
            src.text("stage"),
            stage_label_outcomes(stage_names, stage_mapping, outcome_mapping),
            cols["stage"],
        )
        won, lost = said == "won", said == "lost"
    else:  # nothing says how the deal ended: open unless it reached the last stage
        last_date = entered.get(stage_names[-1])
        won = np.zeros(len(raw), dtype=bool) if last_date is None else last_date.notna().to_numpy()
        lost = np.zeros(len(raw), dtype=bool)
    position = np.full(len(raw), -1)
    if cols["stage"] is not None:
        _, position, _ = stage_index(src.text("stage"), norm, stage_names)

    if cols["id"] is not None:
        dup, _ = duplicates(raw, src.ids, src.probs, cols["id"])
        src.drop |= dup
    probs, labels_note, drop = src.probs, src.labels, src.drop

    # Deals whose key is no accepted lead's id: one problem, every row to the rejects.
    keys = src.text("key")
    table = result.table
    lead_ids = pd.Index(table["id"].astype("str"))
    repeated = lead_ids.duplicated()
    if repeated.any():  # the loaders reject repeated ids; should one slip by, the first wins
        stand_ins = pd.Index([f"\x00{i}" for i in range(len(lead_ids))])
        lead_ids = pd.Index(np.where(repeated, stand_ins, lead_ids))
    lead_pos = lead_ids.get_indexer(keys.to_numpy())
    orphan = (lead_pos < 0) & ~drop
    if orphan.any():
        at = np.flatnonzero(orphan)
        blank = int((keys.to_numpy()[at] == "").sum())
        blank_note = f", {count(blank)} with a blank {key}" if blank else ""
        probs.add(
            at[:1],
            key,
            f"{count(len(at))} deals match no accepted lead (no lead with that id, or the "
            f"lead was rejected{blank_note}): not joined",
            keys.iloc[at[:1]],
        )
        labels_note.notes.append(
            LabelNote(probs.file, at + probs.offset, f"{key}: no accepted lead with this id")
        )
    drop |= orphan

    # One deal per lead: its first won deal (earliest close), else its latest.
    keep = np.flatnonzero(~drop)
    seconds = {
        "close": close.to_numpy(dtype="datetime64[s]").astype("float64"),
        "created": created.to_numpy(dtype="datetime64[s]").astype("float64"),
    }
    won_time = np.where(np.isnan(seconds["close"]), seconds["created"], seconds["close"])
    latest = np.where(np.isnan(seconds["created"]), seconds["close"], seconds["created"])
    rank = np.where(won, np.nan_to_num(won_time, nan=np.inf), -np.nan_to_num(latest, nan=-np.inf))
    pick = pd.DataFrame(
        {"lead": lead_pos[keep], "not_won": ~won[keep], "rank": rank[keep], "row": keep}
    ).sort_values(["lead", "not_won", "rank", "row"], kind="stable")
    chosen = pick.drop_duplicates("lead")
    deal_of = np.full(len(table), -1)
    deal_of[chosen["lead"].to_numpy()] = chosen["row"].to_numpy()

    src.drop = drop
    frame, rejects = src.settled()
    joined = _overlay(
        table,
        deal_of,
        stage_names,
        entered=entered,
        created=created,
        close=close,
        won=won,
        lost=lost,
        amount=amount,
        owner=src.text("owner") if cols["owner"] else None,
        deal_name=src.text("deal_name") if cols["deal_name"] else None,
        position=position,
    )
    parts = [p for p in (result.problems_frame, frame[PROBLEM_COLUMNS]) if len(p)]
    problems = (
        pd.concat(parts, ignore_index=True) if len(parts) > 1 else (parts[0] if parts else frame)
    )
    all_rejects = (
        pd.concat([result.rejects, rejects], ignore_index=True) if len(rejects) else result.rejects
    )
    joined = settle_frame(joined, stage_names)
    as_of = result.as_of
    if result.as_of_source == "latest date":
        # The export's date is the latest date in either file: deals won after the
        # last lead came in are not "after the data date".
        dates = ["created", *[f"entered_{s}" for s in stage_names], "close_date"]
        latest = max((joined[c].max() for c in dates if joined[c].notna().any()), default=pd.NaT)
        if pd.notna(latest) and latest.normalize() > as_of:
            as_of = latest.normalize()
    out = dataclasses.replace(
        result,
        table=joined,
        problems_frame=problems[PROBLEM_COLUMNS].reset_index(drop=True),
        rejects=all_rejects.reset_index(drop=True),
        source=f"{result.source} + {path}",
        as_of=as_of,
        source_name=f"{result.source_name} + {Path(path).name}" if result.source_name else "",
    )
    return labels_note.explain(out)


def _overlay(
    table: pd.DataFrame,
    deal_of: np.ndarray,
    stage_names: Sequence[str],
    *,
    entered: Mapping[str, pd.Series],
    created: pd.Series,
    close: pd.Series,
    won: np.ndarray,
    lost: np.ndarray,
    amount: pd.Series,
    owner: pd.Series | None,
    position: np.ndarray,
    deal_name: pd.Series | None = None,
) -> pd.DataFrame:
    """The leads table with each lead's chosen deal (``deal_of``: deal row or -1) laid over it."""
    has = deal_of >= 0
    rows = deal_of[has]
    out = table.copy()
    if not has.any():
        return out

    def at(values: np.ndarray | pd.Series) -> np.ndarray:
        return np.asarray(values)[rows]

    d_won, d_lost = at(won), at(lost)
    opp = opportunity_index(stage_names)
    last = len(stage_names) - 1
    for j, s in enumerate(stage_names):
        col = out[f"entered_{s}"].to_numpy(dtype="datetime64[s]").copy()
        if s in entered:  # the deals file's own date for the stage wins
            v = at(entered[s].to_numpy(dtype="datetime64[s]"))
            sub = col[has]
            sub[~np.isnat(v)] = v[~np.isnat(v)]
            col[has] = sub
        elif j == opp:  # the deal's creation opens the opportunity stage
            sub = col[has]
            v = at(created.to_numpy(dtype="datetime64[s]"))
            fill = np.isnat(sub)
            sub[fill] = v[fill]
            col[has] = sub
        if j == last and last > 0:  # a won deal reaches the last stage when it closes
            sub = col[has]
            v = at(close.to_numpy(dtype="datetime64[s]"))
            fill = np.isnat(sub) & d_won
            sub[fill] = v[fill]
            col[has] = sub
        out[f"entered_{s}"] = col
    deal_pos = np.where(d_won, last, np.maximum(at(position), opp))
    position_all = np.full(len(out), -1)
    position_all[has] = deal_pos
    ent = pd.DataFrame({s: out[f"entered_{s}"] for s in stage_names})
    reached = reached_stages(ent, position_all, len(stage_names))
    for j, s in enumerate(stage_names):
        out[f"reached_{s}"] = out[f"reached_{s}"].to_numpy() | reached[:, j]

    outcome = out["outcome"].astype(object).to_numpy().copy()
    outcome[has] = np.where(d_won, "won", np.where(d_lost, "lost", "open"))
    out["outcome"] = pd.Series(outcome, index=out.index).astype("str").where(pd.notna(outcome))
    close_col = out["close_date"].to_numpy(dtype="datetime64[s]").copy()
    v = at(close.to_numpy(dtype="datetime64[s]"))
    close_col[has] = np.where(d_won | d_lost, v, np.datetime64("NaT"))
    out["close_date"] = close_col
    amt = out["amount"].to_numpy(dtype=float).copy()
    dv = at(amount.to_numpy(dtype=float))
    sub = amt[has]
    sub[~np.isnan(dv)] = dv[~np.isnan(dv)]
    amt[has] = sub
    out["amount"] = amt
    for name, given in (("owner", owner), ("deal_name", deal_name)):
        if given is None:
            continue
        own = out[name].astype(object).to_numpy().copy()
        ov = at(given.to_numpy(dtype=object))
        sub_o = own[has]
        sub_o[ov != ""] = ov[ov != ""]
        own[has] = sub_o
        out[name] = pd.Series(own, index=out.index).astype("str").where(pd.notna(own))
    stage = out["stage"].astype(object).to_numpy().copy()
    stage[has] = np.where(
        deal_pos >= 0, np.asarray(stage_names, dtype=object)[deal_pos], np.array(None, dtype=object)
    )
    out["stage"] = pd.Series(stage, index=out.index).astype("str").where(pd.notna(stage))
    return out
