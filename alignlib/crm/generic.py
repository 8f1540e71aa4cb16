"""Generic CSV or Parquet exports, read through a column mapping (canonical field -> column)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from alignlib.crm.labels import (
    OTHER_CHANNEL,
    channels,
    opportunity_index,
    outside_funnel,
    reached_stages,
    stage_index,
)
from alignlib.crm.pipeline import ColumnSpec, open_source
from alignlib.crm.read import PARQUET_SUFFIXES, ReadOptions
from alignlib.crm.table import IngestResult
from alignlib.errors import InputError
from alignlib.taxonomy import DEFAULT_STAGE_NAMES, DEFAULT_STAGES

#: Fields a generic CSV/Parquet mapping may name (besides ``entered_<stage>``).
GENERIC_FIELDS = (
    "id",
    "created",
    "stage",
    "source",
    "channel",
    "owner",
    "lead_status",
    "outcome",
    "close_date",
    "amount",
    "first_response",
)


#: A generic file's columns: only ``id`` and ``created`` have default names; the
#: parameters' ``actuals.columns`` maps every other field.
GENERIC_SPEC = ColumnSpec(format="csv", fields={"id": ("id",), "created": ("created",)})


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
    offset = 1 if path.suffix.lower() in PARQUET_SUFFIXES else 2
    src = open_source(
        GENERIC_SPEC, path, columns=cols, options=options, as_of=as_of, raw=raw, offset=offset
    )
    raw = src.raw
    entered_cols = [src.cols.get(f"entered_{s}") for s in stage_names]
    dates_of = src.read_dates(
        [src.cols["created"], *entered_cols, cols.get("close_date"), cols.get("first_response")],
        with_ids=False,
    )
    created = src.created()
    entered = pd.DataFrame(
        {s: dates_of(col) for s, col in zip(stage_names, entered_cols, strict=True)},
        index=raw.index,
    )
    mapping: dict[str, str | None] = {s: s for s in stage_names}
    mapping.update({st.label: st.name for st in DEFAULT_STAGES})
    mapping.update(stage_mapping or {})
    labels = src.text("stage")
    if "stage" in cols:
        stage, position, unknown = src.stages(
            labels, mapping, stage_names, cols["stage"], "stage label"
        )
    else:
        stage, position, unknown = stage_index(labels, mapping, stage_names)
    amount = src.amount()
    mapped_outcome = pd.Series(
        src.outcomes(src.text("outcome"), outcome_mapping, cols.get("outcome", "outcome")),
        index=raw.index,
    ).replace("", None)
    src.check_ids()
    order_src = [
        str(src.cols["created"]),
        *[cols.get(f"entered_{s}", f"entered_{s}") for s in stage_names],
    ]
    checked = src.in_order(pd.concat([created.rename("created"), entered], axis=1), order_src)
    entered = checked.iloc[:, 1:]
    close_date = dates_of(cols.get("close_date"))
    first_response = dates_of(cols.get("first_response"))

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
        channel = src.text("channel").replace("", OTHER_CHANNEL)
    elif channel_mapping:
        channel = channels(src.text("source"), channel_mapping)
    else:  # no mapping: the source values are the channels
        channel = src.text("source").replace("", OTHER_CHANNEL)
    return src.finish(
        stage_names=stage_names,
        created=created,
        channel=channel,
        stage=stage,
        entered=entered,
        reached=reached,
        outcome=outcome,
        close_date=close_date,
        amount=amount,
        first_response=first_response,
        outside=outside_funnel(labels, position, unknown),
    )
