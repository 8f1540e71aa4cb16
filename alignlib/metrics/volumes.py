"""Entries into each stage by month, quarter or year (of each stage's own date), binned by code."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.metrics._table import (
    checked_stages,
    groups,
    month_codes,
    month_range,
    shared,
    table_and_stages_doc,
)


@table_and_stages_doc
def stage_volumes(
    table: pd.DataFrame,
    *,
    stage_names: Sequence[str] | None = None,
    freq: str = "M",
    by: str | None = None,
) -> pd.DataFrame:
    """Entries into each stage by period (of the stage's own date).

    Parameters
    ----------
    freq : str
        ``M`` (months), ``Q`` (quarters) or ``Y``.
    by : str, optional
        A column to split by (``channel``, ``owner``): the index becomes (period, by).

    Returns
    -------
    DataFrame
        Index: period (Period) [and ``by``], one column per stage; every period
        between the first and the last date present, zeros where nothing entered.
    """
    stages = checked_stages(table, stage_names)
    if freq not in ("M", "Q", "Y"):
        raise InputError(f"freq must be M, Q or Y, got {freq!r}")
    if by is None:
        return shared(
            table, ("volumes", stages, freq), lambda: _stage_volumes(table, stages, freq, None)
        ).copy()
    return _stage_volumes(table, stages, freq, by)


def _stage_volumes(
    table: pd.DataFrame, stages: Sequence[str], freq: str, by: str | None
) -> pd.DataFrame:
    """:func:`stage_volumes` from the month codes of each stage date, by bincount."""
    # Integer period codes per stage date (negative: not counted), counted with bincount.
    div = {"M": 1, "Q": 3, "Y": 12}[freq]
    codes, ranges = {}, []
    for s in stages:
        c = month_codes(table, f"entered_{s}")
        r = _code_range(table, f"entered_{s}")
        if div != 1:
            c = np.where(c >= 0, c // div, -1)
            r = None if r is None else (r[0] // div, r[1] // div)
        codes[s] = c
        if r is not None:
            ranges.append(r)
    if not ranges:
        return pd.DataFrame(columns=list(stages), dtype=int)
    lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
    span = hi - lo + 1
    if freq == "Q":
        first = pd.Period(year=1970 + lo // 4, quarter=lo % 4 + 1, freq="Q")
    elif freq == "Y":
        first = pd.Period(year=1970 + lo, freq="Y")
    else:
        first = pd.Period(year=1970 + lo // 12, month=lo % 12 + 1, freq="M")
    periods = pd.period_range(first, periods=span, freq=freq, name="period")
    if by is None:
        # Bin 0 takes the uncounted codes (< 0 <= lo): no compaction of the codes.
        counts = {
            s: np.bincount(np.clip(c - (lo - 1), 0, None), minlength=span + 1)[1 : span + 1]
            for s, c in codes.items()
        }
        return pd.DataFrame(counts, index=periods)[list(stages)]
    cat = groups(table, by)
    k = len(cat.categories)
    out = {}
    for s, c in codes.items():
        flat = np.where(c >= 0, (c - lo) * k + cat.codes + 1, 0)
        out[s] = np.bincount(flat, minlength=span * k + 1)[1 : span * k + 1]
    index = pd.MultiIndex.from_product([periods, list(cat.categories)], names=["period", by])
    return pd.DataFrame(out, index=index)[list(stages)]


def _code_range(table: pd.DataFrame, col: str) -> tuple[int, int] | None:
    """(lowest, highest) month code >= 0 of a date column, or None if it has none."""
    return month_range(table, col)
