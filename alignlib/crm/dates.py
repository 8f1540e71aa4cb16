"""Dates in exports: the formats understood, parsing, unparseable dates, funnel order.

Big files have their date columns parsed two at a time, on two threads.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from alignlib.crm.duplicates import repeated
from alignlib.crm.problems import Problems
from alignlib.crm.read import ReadOptions, arrow_text

#: Date formats tried in turn (explicit, vectorised). HubSpot exports ``2025-03-14 09:21``;
#: Salesforce API exports ``2025-03-14T09:21:00.000Z`` and ``2025-03-14``.
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S.000Z",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.000+0000",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
)

#: Rows from which several columns are worked on at once, on two threads.
THREADED_ROWS = 100_000


def parse_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse text dates with the explicit formats; return (datetime64[s], unparseable mask).

    The first format is parsed over the whole column in one pyarrow call (blank cells
    come back null); each further format only on the non-blank cells the previous
    ones could not read.

    Parameters
    ----------
    values : pandas.Series
        Text dates (or already datetimes: time zones are dropped).

    Returns
    -------
    tuple
        (dates as ``datetime64[s]``, NaT where blank or unparseable; True where a
        non-blank cell matched no format).
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.dt.tz_localize(None) if values.dt.tz is not None else values
        return out.astype("datetime64[s]"), np.zeros(len(values), dtype=bool)
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(arrow_text(values))
    filled = pc.fill_null(pc.not_equal(text, ""), False).to_numpy(zero_copy_only=False)
    parsed = pc.strptime(text, format=DATE_FORMATS[0], unit="s", error_is_null=True)
    out = parsed.to_numpy(zero_copy_only=False).astype("datetime64[s]", copy=False)
    if not out.flags.writeable:
        out = out.copy()
    todo = np.flatnonzero(filled & np.isnat(out))
    for fmt in DATE_FORMATS[1:]:
        if len(todo) == 0:
            break
        parsed = pc.strptime(text.take(todo), format=fmt, unit="s", error_is_null=True)
        got = parsed.is_valid().to_numpy(zero_copy_only=False)
        if got.any():
            out[todo[got]] = parsed.filter(parsed.is_valid()).to_numpy(zero_copy_only=False)
        todo = todo[~got]
    bad = np.zeros(len(values), dtype=bool)
    bad[todo] = True
    return pd.Series(out, index=values.index, copy=False), bad


def parse_columns(
    df: pd.DataFrame, columns: Sequence[str | None], ids: pd.Series | None = None
) -> tuple[dict[str, tuple[pd.Series, np.ndarray]], np.ndarray | None]:
    """:func:`parse_dates` of each named column and :func:`~alignlib.crm.duplicates.repeated` of ``ids``.

    Big files are done on two threads: pyarrow's ``strptime`` and ``sort_indices``
    release the GIL, so two columns are worked on at once.

    Parameters
    ----------
    df : pandas.DataFrame
        The raw table.
    columns : sequence of str or None
        Date columns (None and columns not in ``df`` are skipped; repeats parsed once).
    ids : pandas.Series, optional
        The id column, whose repeats are found alongside.

    Returns
    -------
    tuple
        (column -> :func:`parse_dates` result, repeated-id mask or None).
    """
    names = list(dict.fromkeys(c for c in columns if c is not None and c in df.columns))
    if len(df) < THREADED_ROWS or len(names) < 2:
        return {c: parse_dates(df[c]) for c in names}, None if ids is None else repeated(ids)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        rep = None if ids is None else pool.submit(repeated, ids)
        parsed = dict(zip(names, pool.map(parse_dates, [df[c] for c in names]), strict=True))
        return parsed, None if rep is None else rep.result()


class Dates:
    """The date columns of one file, parsed up front (:func:`parse_columns`).

    Calling it with a column name returns the parsed column and reports that
    column's unparseable cells to ``probs``; ``bad`` collects every row with an
    unparseable date in a column asked for so far.

    Parameters
    ----------
    raw : pandas.DataFrame
        The raw table.
    probs : Problems
        Where unparseable dates are reported.
    columns : sequence of str or None
        Every date column the loader will ask for.
    ids : pandas.Series, optional
        The id column: its repeats are found alongside (``repeated_ids``).
    options : ReadOptions, optional
        ``date_format`` (default: detected per column).
    """

    def __init__(
        self,
        raw: pd.DataFrame,
        probs: Problems,
        columns: Sequence[str | None],
        ids: pd.Series | None = None,
        options: ReadOptions | None = None,
    ):
        self.raw = raw
        self.probs = probs
        self.options = options or ReadOptions()
        self.parsed, self.repeated_ids = parse_columns(raw, columns, ids)
        self.bad = np.zeros(len(raw), dtype=bool)

    def __call__(self, col: str | None) -> pd.Series:
        """The parsed column (all NaT for None); its unparseable cells become problems."""
        if col is None:
            return pd.Series(pd.NaT, index=self.raw.index, dtype="datetime64[s]")
        parsed, bad = self.parsed[col]
        self.probs.add(np.flatnonzero(bad), col, "unparseable date", self.raw[col][bad])
        self.bad |= bad
        return parsed


def order_problems(
    dates: pd.DataFrame,
    sources: Sequence[str],
    probs: Problems,
    kept: np.ndarray,
    raw: pd.DataFrame | None = None,
) -> np.ndarray:
    """Flag each date earlier than a date of an earlier stage (funnel order).

    Parameters
    ----------
    dates : pandas.DataFrame
        One column per date in funnel order (created, then each stage).
    sources : sequence of str
        The source column name of each, for the problems.
    probs : Problems
        Where the problems go.
    kept : numpy.ndarray
        Rows still in play (rows already dropped are not checked).
    raw : pandas.DataFrame, optional
        The raw table, to quote the values as written.

    Returns
    -------
    numpy.ndarray
        True for rows with a date out of order.
    """
    nat = np.iinfo(np.int64).min  # NaT as int64: below every date, so max() skips it
    cols = [
        dates.iloc[:, j].to_numpy(dtype="datetime64[s]").view("int64")
        for j in range(dates.shape[1])
    ]
    n = dates.shape[0]
    bad_cols: dict[int, np.ndarray] = {}
    any_bad = np.zeros(n, dtype=bool)
    running = cols[0] if cols else np.zeros(0, dtype=np.int64)
    for j in range(1, len(cols)):
        v = cols[j]
        bad = (v < running) & (v != nat) & kept
        if bad.any():
            bad_cols[j] = np.flatnonzero(bad)
            any_bad |= bad
        running = np.maximum(running, v)
    for j, r in bad_cols.items():
        # The earlier stage it contradicts: the latest one holding the running maximum.
        earlier = np.column_stack([c[r] for c in cols[:j]])
        k = j - 1 - np.argmax(earlier[:, ::-1], axis=1)
        if raw is not None and sources[j] in raw.columns:
            this = raw[sources[j]].iloc[r].astype("str").to_numpy()
        else:
            this = dates.iloc[r, j].dt.strftime("%Y-%m-%d %H:%M").to_numpy()
        before = [
            f"date out of order: before {sources[kk]} ({dates.iloc[i, kk]:%Y-%m-%d %H:%M})"
            for i, kk in zip(r, k, strict=True)
        ]
        probs.add(r, sources[j], before, this)
    return any_bad
