"""HubSpot deals exports: one row per deal, stages from ``Date entered "<stage> (<pipeline>)"``.

A deals export gives an opportunity-stage funnel (e.g. discovery -> demo -> proposal
-> won): ``stage_mapping`` maps the deal stages (``Appointment Scheduled`` ->
``discovery``); each stage's date is the earliest of its ``Date entered`` columns
(one per pipeline). Every deal reached the first stage when it was created.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from alignlib.crm.amounts import amount_column
from alignlib.crm.dates import Dates, order_problems
from alignlib.crm.duplicates import duplicates
from alignlib.crm.hubspot import HUBSPOT_SOURCE_CHANNELS
from alignlib.crm.labels import (
    UnknownLabels,
    channels,
    check_stages,
    normalise_label,
    normalised,
    outcome_index,
    outcomes,
    reached_stages,
    stage_index,
)
from alignlib.crm.problems import Problems
from alignlib.crm.read import ReadOptions, first_present, read_raw, require, text
from alignlib.crm.table import IngestResult, assemble, finish, frame_of
from alignlib.errors import DataError

#: Deals export fields -> their column names, in order of preference.
HUBSPOT_DEAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("Record ID", "Deal ID"),
    "created": ("Create Date", "Created Date"),
    "stage": ("Deal Stage",),
    "amount": ("Amount",),
    "close_date": ("Close Date",),
    "owner": ("Deal owner", "Deal Owner", "HubSpot Owner"),
    "deal_name": ("Deal Name",),
    "source": ("Original Source Type", "Original Traffic Source", "Original Source"),
    "pipeline": ("Pipeline",),
}

#: Stages of HubSpot's default sales pipeline that are still open.
HUBSPOT_OPEN_DEAL_STAGES = (
    "Appointment Scheduled",
    "Qualified To Buy",
    "Presentation Scheduled",
    "Decision Maker Bought-In",
    "Contract Sent",
)

_DATE_ENTERED = re.compile(r'^Date entered\s+"?(?P<label>.+?)"?\s*$', re.IGNORECASE)
_PIPELINE = re.compile(r"^(?P<stage>.*\S)\s*\((?P<pipeline>[^()]*)\)$")


def date_entered_columns(columns: Sequence[str]) -> dict[str, tuple[str, str]]:
    """The ``Date entered "<stage> (<pipeline>)"`` columns: column -> (stage, pipeline).

    Parameters
    ----------
    columns : sequence of str
        The export's header.

    Returns
    -------
    dict
        Column -> (deal stage label, pipeline label or "").
    """
    out: dict[str, tuple[str, str]] = {}
    for col in columns:
        m = _DATE_ENTERED.match(str(col))
        if not m:
            continue
        label = m.group("label")
        p = _PIPELINE.match(label)
        out[col] = (p.group("stage"), p.group("pipeline")) if p else (label, "")
    return out


def deal_stage_mapping(
    stage_names: Sequence[str], stage_mapping: Mapping[str, str | None] | None = None
) -> dict[str, str | None]:
    """Deal stage label -> canonical stage: defaults, then the company's own mapping.

    ``Closed Won`` is the last stage; ``Closed Lost`` and HubSpot's default open
    stages are known and place a deal at the first stage only; a stage's own name
    maps to itself.

    Parameters
    ----------
    stage_names : sequence of str
        The company's stages.
    stage_mapping : mapping, optional
        ``actuals.stage_mapping``.

    Returns
    -------
    dict
        Label -> stage (None: no stage beyond the first).
    """
    mapping: dict[str, str | None] = {s: None for s in HUBSPOT_OPEN_DEAL_STAGES}
    mapping.update({"Closed Won": stage_names[-1], "Closed Lost": None})
    mapping.update({s: s for s in stage_names})
    mapping.update(stage_mapping or {})
    return mapping


def _deal_outcomes(
    mapping: Mapping[str, str | None],
    stage_names: Sequence[str],
    outcome_mapping: Mapping[str, str] | None,
) -> dict[str, str]:
    """Outcome of each deal stage label: the outcome mapping, else won at the last stage, else open.

    A label mapped outside the funnel (None) that no outcome mapping names is left
    out, so it is reported (it may be a lost stage).
    """
    out: dict[str, str] = {normalise_label(s): "open" for s in HUBSPOT_OPEN_DEAL_STAGES}
    for label, stage in normalised(mapping).items():
        if stage is not None and stage in stage_names:
            out[label] = "won" if stage == stage_names[-1] else "open"
    out.update({"closed won": "won", "closed lost": "lost"})
    out.update(normalised(outcome_mapping or {}))
    return out


def load_hubspot_deals(
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
    """Load a HubSpot deals export into the normalised table (one row per deal).

    Parameters
    ----------
    path : str or Path
        The CSV (or Parquet) export.
    stage_names : sequence of str
        The company's opportunity stages, top to bottom (default: opportunity -> won).
    stage_mapping : mapping, optional
        Deal stage label -> canonical stage (None: no stage beyond the first), over
        :func:`deal_stage_mapping`'s defaults. Case and spaces are ignored.
    columns : mapping, optional
        Canonical field -> column, overriding :data:`HUBSPOT_DEAL_COLUMNS`; also
        ``entered_<stage>`` for a stage date column of your own.
    channel_mapping : mapping, optional
        Source value -> channel (default :data:`HUBSPOT_SOURCE_CHANNELS`).
    as_of : date, optional
        When the export was taken (default: ``options.as_of``, else the latest date).
    options : ReadOptions, optional
        Encoding, delimiter, decimal mark, date format, largest amount.
    outcome_mapping : mapping, optional
        Deal stage -> won, lost or open; ``Closed Won``/``Closed Lost`` and stages
        mapped into the funnel need none (won at the last stage, else open).
    raw : pandas.DataFrame, optional
        The rows already read as text columns with the export's names (a SQL source,
        :mod:`alignlib.crm.sql`); ``path`` then only names them in messages.

    Returns
    -------
    IngestResult

    Raises
    ------
    DataError
        The file cannot be read, or ``Record ID``, ``Create Date`` or ``Deal Stage``
        is missing.
    """
    path = Path(path)
    options = (options or ReadOptions()).with_as_of(as_of)
    as_of = options.as_of
    check_stages(stage_names)
    raw = read_raw(path, options) if raw is None else raw
    overrides = dict(columns or {})
    fields = {k: (overrides[k],) if k in overrides else v for k, v in HUBSPOT_DEAL_COLUMNS.items()}
    req = require(path, raw, {k: fields[k] for k in ("id", "created", "stage")})
    cols: dict[str, str | None] = {k: first_present(raw, v) for k, v in fields.items()}
    cols.update(req)
    mapping = deal_stage_mapping(stage_names, stage_mapping)
    norm = normalised(mapping)

    # Stage -> its date columns: Date entered "<label> (<pipeline>)" per mapped label.
    sources: dict[str, list[str]] = {s: [] for s in stage_names}
    for col, (label, pipeline) in date_entered_columns(list(raw.columns)).items():
        full = normalise_label(f"{label} ({pipeline})") if pipeline else None
        stage = norm.get(full) if full in norm else norm.get(normalise_label(label))
        if stage in sources:
            sources[stage].append(col)
    for key, col in overrides.items():
        if key.startswith("entered_") and key[8:] in stage_names:
            if col not in raw.columns:
                raise DataError(path, f"column {col!r} (mapped to {key}) is not in the file")
            sources[key[8:]] = [col]

    probs = Problems(path.name, 2)
    ids = text(raw, req["id"])
    all_date_cols = [c for cs in sources.values() for c in cs]
    dates_of = Dates(raw, probs, [req["created"], cols["close_date"], *all_date_cols], ids, options)
    created = dates_of(req["created"])
    close = dates_of(cols["close_date"])
    entered_cols: dict[str, pd.Series] = {}
    for s in stage_names:
        parsed = [dates_of(c) for c in sources[s]]
        col = (
            pd.concat(parsed, axis=1).min(axis=1).astype("datetime64[s]")
            if parsed
            else pd.Series(pd.NaT, index=raw.index, dtype="datetime64[s]")
        )
        entered_cols[s] = col
    first = stage_names[0]
    entered_cols[first] = entered_cols[first].fillna(created)

    labels = text(raw, req["stage"])
    stage, position, unknown = stage_index(labels, mapping, stage_names)
    unknown_labels = UnknownLabels()
    unknown_labels.report(
        probs, unknown, labels, req["stage"], "deal stage", "stage_mapping", stage_names
    )
    said, bad_outcome = outcome_index(labels, _deal_outcomes(mapping, stage_names, outcome_mapping))
    bad_outcome &= ~unknown  # one problem per label: the stage mapping line comes first
    unknown_labels.report(probs, bad_outcome, labels, req["stage"], "outcome", "outcome_mapping")
    said_arr = said.fillna("").to_numpy(dtype=object)
    won = said_arr == "won"
    lost = said_arr == "lost"
    last = stage_names[-1]
    if len(stage_names) > 1:
        entered_cols[last] = entered_cols[last].fillna(close).where(pd.Series(won, index=raw.index))
    entered = frame_of(entered_cols)

    amount, bad_amount = amount_column(raw, cols["amount"], probs, options)
    drop, n_exact = duplicates(raw, ids, probs, req["id"], dates_of.repeated_ids)
    blank_id = (ids == "").to_numpy()
    probs.add(np.flatnonzero(blank_id), req["id"], "missing id", ids[blank_id])
    order_src = [req["created"]] + [
        sources[s][0] if len(sources[s]) == 1 else f"entered_{s}" for s in stage_names
    ]
    day = pd.concat([created.rename("created"), entered], axis=1).apply(lambda c: c.dt.normalize())
    out_of_order = order_problems(day, order_src, probs, ~drop, raw)
    drop |= dates_of.bad | unknown | bad_outcome | bad_amount | blank_id | out_of_order

    position = np.where(won, len(stage_names) - 1, np.maximum(position, 0))
    reached = reached_stages(entered, position, len(stage_names))
    outcome = outcomes(won, lost, ~won & ~lost)
    outcome.index = raw.index
    close_date = close.where(pd.Series(won | lost, index=raw.index))
    source = text(raw, cols["source"])
    table = assemble(
        ids=ids,
        created=created,
        source=source,
        channel=channels(source, channel_mapping or HUBSPOT_SOURCE_CHANNELS),
        owner=text(raw, cols["owner"]),
        lead_status=pd.Series("", index=raw.index, dtype="str"),
        stage=stage,
        entered=entered,
        reached=reached,
        outcome=outcome,
        close_date=close_date,
        amount=amount,
        first_response=pd.Series(pd.NaT, index=raw.index, dtype="datetime64[s]"),
        deal_name=text(raw, cols["deal_name"]),
        offset=2,
        stage_names=stage_names,
    )
    result = finish(
        path=path,
        fmt="hubspot_deals",
        raw=raw,
        table=table,
        probs=probs,
        drop=drop,
        duplicates=n_exact,
        stage_names=stage_names,
        as_of=as_of,
    )
    return unknown_labels.explain(result)
