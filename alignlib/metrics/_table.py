"""The normalised table as the metrics read it: stages, month and group codes, shared work.

While :func:`~alignlib.metrics.summarise` runs, per-column work on its table is done
once and shared by every metric (:func:`sharing`, :func:`shared`).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from alignlib.docstrings import shared_doc
from alignlib.errors import InputError
from alignlib.format import jsonable

#: How a function documents the normalised table it reads (a :func:`shared_doc` entry).
TABLE_PARAMETER = {"table : pandas.DataFrame": "Normalised CRM table."}

#: How a metric documents the stages it uses.
STAGES_PARAMETER = {
    "stage_names : sequence of str, optional": (
        "Stages to use, top to bottom (default: all of the table's)."
    )
}

#: How a metric documents the date of the export.
AS_OF_PARAMETER = {"as_of : date": "When the export was taken."}

#: How a function documents a funnel it is given (required, unlike a metric's stages).
FUNNEL_PARAMETER = {"stage_names : sequence of str": "The funnel, top to bottom."}

#: The shared Parameters of a function of the table alone.
table_doc = shared_doc(parameters=TABLE_PARAMETER)

#: The shared Parameters of a function of the table and its funnel.
table_and_funnel_doc = shared_doc(parameters={**TABLE_PARAMETER, **FUNNEL_PARAMETER})

#: The shared Parameters of a metric over the table and the stages it uses.
table_and_stages_doc = shared_doc(parameters={**TABLE_PARAMETER, **STAGES_PARAMETER})

#: The shared Parameters of a metric over the table as of the export's date.
dated_table_doc = shared_doc(parameters={**TABLE_PARAMETER, **AS_OF_PARAMETER})

#: The shared Parameters of a metric over the table as of the export's date, and its stages.
dated_table_and_stages_doc = shared_doc(
    parameters={**TABLE_PARAMETER, **AS_OF_PARAMETER, **STAGES_PARAMETER}
)


@table_doc
def stages_of(table: pd.DataFrame) -> tuple[str, ...]:
    """The stage names of a normalised table, top to bottom (from its ``entered_`` columns).

    Returns
    -------
    tuple of str
        Its stages.

    Raises
    ------
    InputError
        The table has no ``entered_<stage>`` column.
    """
    names = tuple(c[8:] for c in table.columns if c.startswith("entered_"))
    if not names:
        raise InputError("not a normalised CRM table: no entered_<stage> columns")
    return names


def checked_stages(table: pd.DataFrame, stage_names: Sequence[str] | None) -> tuple[str, ...]:
    """``stage_names`` once each is known to be in the table; the table's stages when None."""
    have = stages_of(table)
    if stage_names is None:
        return have
    missing = [s for s in stage_names if s not in have]
    if missing:
        raise InputError(
            f"stage(s) {', '.join(missing)} not in the table (it has {', '.join(have)})"
        )
    return tuple(stage_names)


# While :func:`summarise` runs, per-column work on its table (month codes, group
# codes) is done once and shared by every metric; outside it nothing is kept.
SHARED_WORK: contextvars.ContextVar[tuple[pd.DataFrame, dict[Any, Any]] | None] = (
    contextvars.ContextVar("alignlib_metrics_shared", default=None)
)


@contextlib.contextmanager
def sharing(table: pd.DataFrame) -> Iterator[None]:
    """Within the block, :func:`shared` remembers what it computes for ``table``."""
    token = SHARED_WORK.set((table, {}))
    try:
        yield
    finally:
        SHARED_WORK.reset(token)


def shared(table: pd.DataFrame, key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, remembered for ``table`` while :func:`summarise` runs (never mutate it)."""
    current = SHARED_WORK.get()
    if current is None or current[0] is not table:
        return compute()
    memo = current[1]
    if key not in memo:
        memo[key] = compute()
    return memo[key]


#: NaT as int64 seconds: below every date.
NAT = np.iinfo(np.int64).min


def month_codes_of(values: np.ndarray) -> np.ndarray:
    """Months since 1970-01 for datetime64[s] values (-1 for NaT), via a per-day lookup."""
    return _month_codes_and_range(values)[0]


def _month_codes_and_range(values: np.ndarray) -> tuple[np.ndarray, tuple[int, int] | None]:
    """(:func:`month_codes_of`, their lowest and highest code >= 0 or None if there is none)."""
    secs = values.view("int64")
    ok = secs != NAT
    if not ok.any():
        return np.full(len(secs), -1, dtype=np.int64), None
    days = secs // 86400  # NaT: far below every day
    hi = int(days.max())
    lo = int(np.min(days, where=ok, initial=hi))
    if hi - lo > 2_000_000:  # absurd date range: convert directly
        out = np.full(len(secs), -1, dtype=np.int64)
        out[ok] = values[ok].astype("datetime64[M]").astype(np.int64)
        return out, _range_of(out)
    lut = np.arange(lo, hi + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    # Slot 0 of the table is NaT's -1: every value is one lookup, no masked gather/scatter.
    padded = np.concatenate(([-1], lut))
    out = padded[np.clip(days - (lo - 1), 0, None)]
    if lut[0] >= 0:  # the lookup is sorted: its ends are the codes' range
        return out, (int(lut[0]), int(lut[-1]))
    return out, _range_of(out)  # dates before 1970 (negative codes) are not counted


def _range_of(codes: np.ndarray) -> tuple[int, int] | None:
    """(lowest, highest) code >= 0, or None if there is none."""
    hi = int(codes.max()) if len(codes) else -1
    if hi < 0:
        return None
    return int(np.where(codes >= 0, codes, hi).min()), hi


def month_codes(table: pd.DataFrame, col: str) -> np.ndarray:
    """Month codes (months since 1970-01, -1 for a missing date) of a date column."""
    return _month_codes_with_range(table, col)[0]


def month_range(table: pd.DataFrame, col: str) -> tuple[int, int] | None:
    """(lowest, highest) month code >= 0 of a date column, or None if it has none."""
    return _month_codes_with_range(table, col)[1]


def _month_codes_with_range(
    table: pd.DataFrame, col: str
) -> tuple[np.ndarray, tuple[int, int] | None]:
    return shared(
        table,
        ("month_codes", col),
        lambda: _month_codes_and_range(table[col].to_numpy(dtype="datetime64[s]")),
    )


def groups(table: pd.DataFrame, by: str) -> pd.Categorical:
    """``pd.Categorical(table[by].astype("str").fillna("(none)"))``, built faster for str columns."""

    def compute() -> pd.Categorical:
        col = table[by]
        if not isinstance(col.array, pd.arrays.ArrowStringArray):
            return pd.Categorical(col.astype("str").fillna("(none)"))
        import pyarrow as pa
        import pyarrow.compute as pc

        enc = pc.dictionary_encode(col.array.__arrow_array__())
        if isinstance(enc, pa.ChunkedArray):
            enc = enc.unify_dictionaries()
            dictionary = enc.chunk(0).dictionary if enc.num_chunks else pa.array([], pa.string())
            indices = pa.chunked_array([c.indices for c in enc.chunks], type=pa.int32())
        else:
            dictionary, indices = enc.dictionary, enc.indices
        names = [str(v) for v in dictionary.to_pylist()]
        codes = pc.fill_null(indices, len(names)).to_numpy()
        if indices.null_count and "(none)" not in names:
            names.append("(none)")
        elif indices.null_count:
            codes = np.where(codes == len(names), names.index("(none)"), codes)
        # pandas orders categories by value: sort the few names, remap the codes.
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.empty(len(names) + 1, dtype=np.int64)
        rank[order] = np.arange(len(names))
        rank[len(names)] = -1
        return pd.Categorical.from_codes(rank[codes], [names[i] for i in order])

    return shared(table, ("groups", by), compute)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame, index included, as JSON-ready records."""
    return jsonable(frame.reset_index().to_dict("records"))


def plain(value: Any) -> Any:
    """A metric's value as JSON-ready data: tables as records, dates as ``YYYY-MM-DD``.

    Parameters
    ----------
    value : Any
        A DataFrame (records, index included), a Series or mapping (key -> value), a
        Timestamp (its date), a Period (``2026-11``, ``2026Q4``) or a plain value.

    Returns
    -------
    Any
        Built of dicts, lists, strings, numbers and None (NaN as None).
    """
    if isinstance(value, pd.DataFrame):
        return records(value)
    if isinstance(value, pd.Series):
        value = value.to_dict()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    if isinstance(value, pd.Period):
        return str(value)
    return jsonable(value)


def result_dict(result: Any, *names: str, **renamed: str) -> dict[str, Any]:
    """The JSON form of a metric's result: the named fields, each as :func:`plain` data.

    Parameters
    ----------
    result : Any
        The result object.
    *names : str
        Its fields, in the order of the JSON.
    **renamed : str
        ``key=field``: a field written under another key (``cohorts="frame"``), after them.

    Returns
    -------
    dict
    """
    keys = {**{n: n for n in names}, **renamed}
    return {key: plain(getattr(result, field)) for key, field in keys.items()}


def transition_names(stage_names: Sequence[str]) -> list[str]:
    """``lead_to_mql``-style names of each transition.

    Parameters
    ----------
    stage_names : sequence of str
        Stages, top to bottom.

    Returns
    -------
    list of str
        One name per consecutive pair.
    """
    return [f"{a}_to_{b}" for a, b in zip(stage_names[:-1], stage_names[1:], strict=True)]
