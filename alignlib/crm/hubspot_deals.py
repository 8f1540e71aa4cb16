"""HubSpot deals exports: one row per deal, stages from ``Date entered "<stage> (<pipeline>)"``.

A deals export gives an opportunity-stage funnel (e.g. discovery -> demo -> proposal
-> won): ``stage_mapping`` maps the deal stages (``Appointment Scheduled`` ->
``discovery``); each stage's date is the earliest of its ``Date entered`` columns
(one per pipeline). Every deal reached the first stage when it was created.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Unpack

import numpy as np
import pandas as pd

from alignlib.crm._docs import STAGE_NAMES
from alignlib.crm.dates import Dates
from alignlib.crm.hubspot import HUBSPOT_SOURCE_CHANNELS
from alignlib.crm.labels import (
    check_stages,
    normalise_label,
    normalised,
    outcomes,
)
from alignlib.crm.pipeline import ColumnSpec, LoadArgs, open_source
from alignlib.crm.table import IngestResult, frame_of
from alignlib.docstrings import shared_doc

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

#: A HubSpot deals export's columns (stage dates: :func:`stage_date_sources`).
HUBSPOT_DEALS_SPEC = ColumnSpec(
    format="hubspot_deals",
    fields=HUBSPOT_DEAL_COLUMNS,
    required=("id", "created", "stage"),
    channels=HUBSPOT_SOURCE_CHANNELS,
)

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


@shared_doc(parameters=STAGE_NAMES)
def deal_stage_mapping(
    stage_names: Sequence[str], stage_mapping: Mapping[str, str | None] | None = None
) -> dict[str, str | None]:
    """Deal stage label -> canonical stage: defaults, then the company's own mapping.

    ``Closed Won`` is the last stage; ``Closed Lost`` and HubSpot's default open
    stages are known and place a deal at the first stage only; a stage's own name
    maps to itself.

    Parameters
    ----------
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


def load_hubspot_deals(path: str | Path, **kw: Unpack[LoadArgs]) -> IngestResult:
    """Load a HubSpot deals export into the normalised table (one row per deal).

    ``stage_mapping`` (deal stage label -> stage; None: no stage beyond the first) is
    merged over :func:`deal_stage_mapping`'s defaults; ``columns`` overrides
    :data:`HUBSPOT_DEAL_COLUMNS` (and names ``entered_<stage>`` columns of your own);
    ``outcome_mapping`` (deal stage -> outcome) is needed for no stage
    ``Closed Won``/``Closed Lost`` or the funnel's own names (won at the last stage,
    else open). Channels: :data:`HUBSPOT_SOURCE_CHANNELS`.

    Parameters
    ----------
    path : str or Path
        The CSV (or Parquet) export.
    **kw : LoadArgs
        As for every loader (:class:`~alignlib.crm.pipeline.LoadArgs`); default stages:
        opportunity -> won.

    Returns
    -------
    IngestResult
        One row per deal.

    Raises
    ------
    DataError
        The file cannot be read, or ``Record ID``, ``Create Date`` or ``Deal Stage``
        is missing.
    """
    stage_names = kw.get("stage_names", ("opportunity", "won"))
    check_stages(stage_names)
    src = open_source(HUBSPOT_DEALS_SPEC, path, **kw)
    raw, cols = src.raw, src.cols
    mapping = deal_stage_mapping(stage_names, kw.get("stage_mapping"))
    sources = stage_date_sources(list(raw.columns), mapping, stage_names)
    for key, col in src.mapped().items():
        if key[8:] in stage_names:
            sources[key[8:]] = [col]

    all_date_cols = [c for cs in sources.values() for c in cs]
    dates_of = src.read_dates([cols["created"], cols["close_date"], *all_date_cols])
    created = src.created()
    entered = frame_of({s: earliest(dates_of, sources[s], raw.index) for s in stage_names})
    first = stage_names[0]
    entered[first] = entered[first].fillna(created)

    labels = src.text("stage")
    stage_col = str(cols["stage"])
    _, position, unknown = src.stages(labels, mapping, stage_names, stage_col, "deal stage")
    # One problem per label: the stage mapping line comes first.
    said = src.outcomes(
        labels,
        _deal_outcomes(mapping, stage_names, kw.get("outcome_mapping")),
        stage_col,
        skip=unknown,
    )
    won = said == "won"
    lost = said == "lost"
    src.amount()
    src.check_ids()
    close_col = str(cols["close_date"] or "Close Date")
    order_src = [sources[s][0] if len(sources[s]) == 1 else f"entered_{s}" for s in stage_names]
    last = stage_names[-1]
    close = dates_of(cols["close_date"])
    if len(stage_names) > 1:
        # A won deal without its own date for the last stage reached it when it closed.
        from_close = entered[last].isna() & pd.Series(won, index=raw.index)
        entered[last] = entered[last].fillna(close).where(pd.Series(won, index=raw.index))
        if not sources[last]:
            order_src[-1] = close_col
    entered, dropped = src.in_order(entered, order_src, after_created=created, by_day=True)
    if len(stage_names) > 1:
        # A close date dropped as the last stage's date is dropped as the close date too.
        close = close.mask(dropped.iloc[:, -1] & from_close)

    outcome = outcomes(won, lost, ~won & ~lost)
    outcome.index = raw.index
    return src.finish(
        stage_names=stage_names,
        entered=entered,
        position=np.where(won, len(stage_names) - 1, np.maximum(position, 0)),
        outcome=outcome,
        close_date=close.where(pd.Series(won | lost, index=raw.index)),
    )


@shared_doc(parameters=STAGE_NAMES)
def stage_date_sources(
    columns: Sequence[str],
    mapping: Mapping[str, str | None],
    stage_names: Sequence[str],
) -> dict[str, list[str]]:
    """Stage -> its ``Date entered "<label> (<pipeline>)"`` columns, through the stage mapping.

    Parameters
    ----------
    columns : sequence of str
        The file's header.
    mapping : mapping
        Deal stage label -> stage (a label with its pipeline first, then without).

    Returns
    -------
    dict
        Every stage -> its columns (maybe none), in file order.
    """
    norm = normalised(mapping)
    sources: dict[str, list[str]] = {s: [] for s in stage_names}
    for col, (label, pipeline) in date_entered_columns(list(columns)).items():
        full = normalise_label(f"{label} ({pipeline})") if pipeline else None
        stage = norm.get(full) if full in norm else norm.get(normalise_label(label))
        if stage in sources:
            sources[stage].append(col)
    return sources


def earliest(dates_of: Dates, columns: Sequence[str], index: pd.Index) -> pd.Series:
    """The earliest of several date columns per row (one stage's date in several pipelines).

    Parameters
    ----------
    dates_of : Dates
        The file's dates.
    columns : sequence of str
        The stage's columns (none: all NaT).
    index : pandas.Index
        The rows.

    Returns
    -------
    pandas.Series
        ``datetime64[s]``.
    """
    if not columns:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[s]")
    parsed = pd.concat([dates_of(c) for c in columns], axis=1)
    return parsed.min(axis=1).astype("datetime64[s]")
