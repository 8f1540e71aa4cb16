"""Generic CSV or Parquet exports, read through a column mapping (canonical field -> column)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Unpack

import numpy as np
import pandas as pd

from alignlib.crm.labels import (
    OTHER_CHANNEL,
    channels,
    opportunity_index,
    reached_stages,
)
from alignlib.crm.pipeline import ColumnSpec, LoadArgs, check_fields, open_source
from alignlib.crm.read import PARQUET_SUFFIXES
from alignlib.crm.table import IngestResult
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


#: A generic file's columns: only ``id`` and ``created`` have default names; the
#: parameters' ``actuals.columns`` maps every other field.
GENERIC_SPEC = ColumnSpec(format="csv", fields={"id": ("id",), "created": ("created",)})


def load_csv(
    path: str | Path, columns: Mapping[str, str], /, **kw: Unpack[LoadArgs]
) -> IngestResult:
    """Load a generic CSV or Parquet file with a column mapping.

    The canonical stage names and the default taxonomy's labels are understood
    without a ``stage_mapping``; ``won``, ``lost``, ``open``, ``Closed Won`` and
    ``Closed Lost`` without an ``outcome_mapping`` (an unknown label is one problem,
    with its row count and the line to add; its rows are rejected). Without a
    ``channel`` column, ``channel_mapping`` maps the ``source`` values (else they
    are the channels).

    Parameters
    ----------
    path : str or Path
        ``.csv`` or ``.parquet``.
    columns : mapping
        Canonical field -> source column. Required: ``id`` and ``created``; optional:
        ``entered_<stage>`` for any stage, ``stage`` (current stage label), ``source``,
        ``channel``, ``owner``, ``lead_status``, ``outcome`` (won/lost/open, or a
        label ``outcome_mapping`` maps), ``close_date``, ``amount``, ``first_response``.
    **kw : LoadArgs
        As for every loader (:class:`~alignlib.crm.pipeline.LoadArgs`) but ``columns``;
        default stages: the taxonomy's six.

    Returns
    -------
    IngestResult
        One row per record of the file.

    Raises
    ------
    InputError
        The mapping names a field that does not exist.
    DataError
        The file cannot be read, or a mapped column is missing.
    """
    path = Path(path)
    stage_names = kw.get("stage_names", DEFAULT_STAGE_NAMES)
    cols = dict(columns)
    check_fields(cols, GENERIC_FIELDS, stage_names, "the column mapping")
    offset = 1 if path.suffix.lower() in PARQUET_SUFFIXES else 2
    args: LoadArgs = {**kw, "columns": cols}
    src = open_source(GENERIC_SPEC, path, offset, **args)
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
    mapping.update(kw.get("stage_mapping") or {})
    labels = src.text("stage")
    if "stage" in cols:
        _, position, _ = src.stages(labels, mapping, stage_names, cols["stage"], "stage label")
    else:
        _, position, _ = src.place(labels, mapping, stage_names)
    src.amount()
    mapped_outcome = pd.Series(
        src.outcomes(
            src.text("outcome"), kw.get("outcome_mapping"), cols.get("outcome", "outcome")
        ),
        index=raw.index,
    ).replace("", None)
    src.check_ids()
    entered, _ = src.in_order(
        entered,
        [cols.get(f"entered_{s}", f"entered_{s}") for s in stage_names],
        after_created=created,
    )
    close_date = dates_of(cols.get("close_date"))

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
    elif kw.get("channel_mapping"):
        channel = channels(src.text("source"), kw.get("channel_mapping") or {})
    else:  # no mapping: the source values are the channels
        channel = src.text("source").replace("", OTHER_CHANNEL)
    return src.finish(
        stage_names=stage_names,
        channel=channel,
        entered=entered,
        reached=reached,
        outcome=outcome,
        close_date=close_date,
    )
