"""Generic CSV or Parquet exports, read through a column mapping (canonical field -> column)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from alignlib.crm.amounts import amount_column
from alignlib.crm.dates import Dates, order_problems
from alignlib.crm.duplicates import duplicates
from alignlib.crm.labels import (
    OTHER_CHANNEL,
    UnknownLabels,
    channels,
    opportunity_index,
    outcome_index,
    outside_funnel,
    reached_stages,
    stage_index,
)
from alignlib.crm.problems import Problems
from alignlib.crm.read import PARQUET_SUFFIXES, ReadOptions, read_raw, require, text
from alignlib.crm.table import IngestResult, assemble, finish
from alignlib.errors import DataError, InputError
from alignlib.taxonomy import DEFAULT_STAGE_NAMES, DEFAULT_STAGES

#: Fields a generic CSV/Parquet mapping may name (besides ``entered_<stage>``).
GENERIC_FIELDS = (
    "id",
    "created",
    "stage",
    "source",
    "channel",
    "owner",
    "deal_name",
    "lead_status",
    "outcome",
    "close_date",
    "amount",
    "first_response",
)


def load_csv(
    path: str | Path,
    columns: Mapping[str, str],
    *,
    stage_names: Sequence[str] = DEFAULT_STAGE_NAMES,
    stage_mapping: Mapping[str, str | None] | None = None,
    channel_mapping: Mapping[str, str] | None = None,
    as_of: dt.date | pd.Timestamp | None = None,
    options: ReadOptions | None = None,
    outcome_mapping: Mapping[str, str] | None = None,
    raw: pd.DataFrame | None = None,
) -> IngestResult:
    """Load a generic CSV or Parquet file with a column mapping.

    Parameters
    ----------
    path : str or Path
        ``.csv`` or ``.parquet``.
    columns : mapping
        Canonical field -> source column. Required: ``id`` and ``created``; optional:
        ``entered_<stage>`` for any stage, ``stage`` (current stage label), ``source``,
        ``channel``, ``owner``, ``lead_status``, ``outcome`` (won/lost/open, or a
        label ``outcome_mapping`` maps), ``close_date``, ``amount``, ``first_response``.
    stage_mapping : mapping, optional
        Current-stage label -> canonical stage; the canonical names and the labels
        of the default taxonomy are always understood. Case and spaces are ignored.
    stage_names : sequence of str
        The company's stages, top to bottom.
    channel_mapping : mapping, optional
        ``source`` value -> channel, used when no ``channel`` column is mapped.
    as_of : date, optional
        When the export was taken (default: ``options.as_of``, else the latest date in it).
    options : ReadOptions, optional
        Encoding, delimiter, decimal mark, date format, largest amount (default: detected).
    outcome_mapping : mapping, optional
        Outcome label -> ``won``, ``lost`` or ``open`` (``actuals.outcome_mapping``);
        ``won``, ``lost``, ``open``, ``Closed Won`` and ``Closed Lost`` are always
        understood. An unknown label is one problem, with its row count and the line
        to add; its rows are rejected.
    raw : pandas.DataFrame, optional
        The rows already read as text columns with the export's names (a SQL source,
        :mod:`alignlib.crm.sql`); ``path`` then only names them in messages.

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError
        The mapping names a field that does not exist.
    DataError
        The file cannot be read, or a mapped column is missing.
    """
    path = Path(path)
    options = options or ReadOptions()
    options = options.with_as_of(as_of)
    as_of = options.as_of
    raw = read_raw(path, options) if raw is None else raw
    cols = dict(columns)
    unknown_keys = [
        k
        for k in cols
        if k not in GENERIC_FIELDS and not (k.startswith("entered_") and k[8:] in stage_names)
    ]
    if unknown_keys:
        raise InputError(
            f"unknown field(s) in the column mapping: {', '.join(unknown_keys)}; "
            f"known: {', '.join(GENERIC_FIELDS)}, entered_<stage>"
        )
    req = require(
        path, raw, {"id": (cols.get("id", "id"),), "created": (cols.get("created", "created"),)}
    )
    missing = [f"{c!r} (for {k})" for k, c in cols.items() if c not in raw.columns]
    if missing:
        raise DataError(path, f"missing mapped column(s): {', '.join(missing)}")
    offset = 1 if path.suffix.lower() in PARQUET_SUFFIXES else 2
    probs = Problems(path.name, offset)
    ids = text(raw, req["id"])
    entered_cols = [cols.get(f"entered_{s}") for s in stage_names]
    dates_of = Dates(
        raw,
        probs,
        [req["created"], *entered_cols, cols.get("close_date"), cols.get("first_response")],
        options=options,
    )
    created = dates_of(req["created"])
    entered = pd.DataFrame(
        {s: dates_of(col) for s, col in zip(stage_names, entered_cols, strict=True)},
        index=raw.index,
    )
    mapping: dict[str, str | None] = {s: s for s in stage_names}
    mapping.update({st.label: st.name for st in DEFAULT_STAGES})
    mapping.update(stage_mapping or {})
    labels = text(raw, cols.get("stage"))
    stage, position, unknown = stage_index(labels, mapping, stage_names)
    unknown_labels = UnknownLabels()
    if "stage" in cols:
        unknown_labels.report(
            probs, unknown, labels, cols["stage"], "stage label", "stage_mapping", stage_names
        )
    amount, bad_amount = amount_column(raw, cols.get("amount"), probs, options)
    outcome_labels = text(raw, cols.get("outcome"))
    mapped_outcome, bad_outcome = outcome_index(outcome_labels, outcome_mapping)
    if "outcome" in cols:
        unknown_labels.report(
            probs, bad_outcome, outcome_labels, cols["outcome"], "outcome", "outcome_mapping"
        )
    drop, n_exact = duplicates(raw, ids, probs, req["id"])
    blank_id = (ids == "").to_numpy()
    probs.add(np.flatnonzero(blank_id), req["id"], "missing id", ids[blank_id])
    order_src = [req["created"], *[cols.get(f"entered_{s}", f"entered_{s}") for s in stage_names]]
    out_of_order = order_problems(
        pd.concat([created.rename("created"), entered], axis=1), order_src, probs, ~drop, raw
    )
    # Every date column is read before the drop mask is settled, so an unparseable
    # close date or first response rejects its row, as in the other loaders.
    close_date = dates_of(cols.get("close_date"))
    first_response = dates_of(cols.get("first_response"))
    drop |= dates_of.bad | unknown | bad_amount | bad_outcome | blank_id | out_of_order

    reached = reached_stages(entered, position, len(stage_names))
    won = reached[:, -1] | (mapped_outcome.fillna("") == "won").to_numpy()
    outcome = mapped_outcome.where(~pd.Series(won, index=raw.index), "won")
    if "outcome" not in cols:
        is_open = reached[:, opportunity_index(stage_names)]
        no_outcome = np.array(None, dtype=object)
        outcome = pd.Series(
            np.where(won, "won", np.where(is_open, "open", no_outcome)), index=raw.index
        )
    close_date = close_date.fillna(entered.iloc[:, -1].where(pd.Series(won, index=raw.index)))
    if "channel" in cols:
        channel = text(raw, cols["channel"]).replace("", OTHER_CHANNEL)
    elif channel_mapping:
        channel = channels(text(raw, cols.get("source")), channel_mapping)
    else:  # no mapping: the source values are the channels
        channel = text(raw, cols.get("source")).replace("", OTHER_CHANNEL)
    status = text(raw, cols.get("lead_status"))
    table = assemble(
        ids=ids,
        created=created,
        source=text(raw, cols.get("source")),
        channel=channel,
        owner=text(raw, cols.get("owner")),
        lead_status=status,
        stage=stage,
        entered=entered,
        reached=reached,
        outcome=outcome,
        close_date=close_date,
        amount=amount,
        first_response=first_response,
        deal_name=text(raw, cols.get("deal_name")),
        offset=offset,
        stage_names=stage_names,
        outside=outside_funnel(labels, position, unknown),
    )
    result = finish(
        path=path,
        fmt="csv",
        raw=raw,
        table=table,
        probs=probs,
        drop=drop,
        duplicates=n_exact,
        stage_names=stage_names,
        as_of=as_of,
    )
    return unknown_labels.explain(result)
