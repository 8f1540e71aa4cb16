"""Dates in exports: the formats understood, parsing, unparseable dates, funnel order.

ISO dates (``2025-03-14 09:21``, ``2025-03-14T09:21:00.000Z``) are the fast path.
Any other column has its order (year-month-day, month/day/year, day/month/year),
separators (``-``, ``/``, ``.``), time (24-hour or ``9:21 AM``) and UTC offset
detected from all of its values (each distinct value parsed once): one value
with a first field above 12 settles day/month. ``actuals.date_format`` (``MDY``,
``DMY``, ``YMD`` or a strftime pattern) always wins over detection.

Big files have their date columns parsed two at a time, on two threads.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignlib.crm._docs import SHOWN_CELL
from alignlib.crm.duplicates import repeated
from alignlib.crm.problems import FIELD_DROPPED, REJECTED, Problems
from alignlib.crm.read import ReadOptions, arrow_text
from alignlib.crm.read import text as text_of
from alignlib.errors import DataError

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
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z",
)

#: Day/month orders (``actuals.date_format``) besides a strftime pattern.
ORDERS = ("YMD", "MDY", "DMY")

#: What fixes an ambiguous or unreadable date column.
DATE_FIX = "set actuals.date_format: MDY | DMY | YMD | <strftime pattern, e.g. %d.%m.%Y %H:%M>"

#: A date as exports write it: three numbers with - / or . between them, an optional
#: time (24-hour, or 12-hour with AM/PM) and an optional UTC offset.
DATE_PATTERN = (
    r"^(?P<a>\d{1,4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,4})"
    r"(?:(?:[ T]|, )(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d{1,9})?)?"
    r"(?: ?(?P<ampm>[AaPp])\.?[Mm]\.?)?)?"
    r" ?(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$"
)

#: Share of a column's filled values that may fail before the column (not its rows) is wrong.
MOSTLY_BAD_SHARE = 0.5
#: ... and how many must fail at least (a tiny column's few bad values stay row problems).
MOSTLY_BAD_MIN = 10

#: Dates before this are implausible in a CRM export.
EARLIEST_DATE = np.datetime64("1970-01-01T00:00:00", "s")

#: Values shown in a message although they are not dates (no personal data in them).
PLACEHOLDERS = frozenset(
    {"not set", "n/a", "na", "none", "null", "nan", "unknown", "tbd", "-", "--", "?", "0", "#n/a"}
)
_DATE_LIKE = re.compile(r"^[0-9 :/.,+\-TZAPMapmUTCG]{1,40}$")


@SHOWN_CELL
def shown(value: object) -> str:
    """A value as a message may show it: dates and placeholders as written, else withheld.

    A cell that is not a date may hold anything (a name shifted by a stray
    delimiter): only date-like text and common placeholders are shown.
    """
    t = str(value).strip()
    if _DATE_LIKE.match(t) or t.lower() in PLACEHOLDERS:
        return t
    return "(not shown)"


class DateColumnError(Exception):
    """A whole date column cannot be read (ambiguous order, or mostly unreadable)."""

    def __init__(self, kind: str, examples: Sequence[str], detail: str = ""):
        self.kind = kind
        self.examples = tuple(examples)
        self.detail = detail
        super().__init__(kind)


@dataclass(frozen=True)
class ColumnDates:
    """One column parsed: the dates, the unreadable cells and how the column was read.

    Attributes
    ----------
    dates : pandas.Series
        ``datetime64[s]``, NaT where blank or unreadable (UTC when an offset was given).
    bad : numpy.ndarray
        True where a filled cell could not be read.
    order : str
        ``ISO``, ``YMD``, ``MDY``, ``DMY``, a strftime pattern, ``ambiguous`` (both
        day/month orders read some value differently), ``unreadable`` (most values
        fail) or ``""`` (no filled cell).
    examples : tuple of str
        A few values for a message about the column (dates as written; anything
        else withheld by :func:`shown`).
    """

    dates: pd.Series
    bad: np.ndarray
    order: str
    examples: tuple[str, ...] = ()

    def __getitem__(self, i: int) -> Any:
        """``[0]`` the dates, ``[1]`` the bad mask."""
        return (self.dates, self.bad)[i]

    def __iter__(self) -> Any:
        """Unpack as ``(dates, bad)`` like :func:`parse_dates` always did."""
        return iter((self.dates, self.bad))


#: Rows from which several columns are worked on at once, on two threads.
THREADED_ROWS = 100_000


def parse_dates(values: pd.Series, date_format: str | None = None) -> tuple[pd.Series, np.ndarray]:
    """Parse text dates; return (datetime64[s], unparseable mask) (see :func:`parse_column`).

    Parameters
    ----------
    values : pandas.Series
        Text dates (or already datetimes: time zones are dropped).
    date_format : str, optional
        ``MDY``, ``DMY``, ``YMD`` or a strftime pattern (default: detected).

    Returns
    -------
    tuple
        (dates as ``datetime64[s]``, NaT where blank or unparseable; True where a
        non-blank cell could not be read). An ambiguous column is read month-first.
    """
    col = parse_column(values, date_format)
    return col.dates, col.bad


def parse_column(values: pd.Series, date_format: str | None = None) -> ColumnDates:
    """Parse one column of dates, detecting how it is written.

    ISO first: the first of :data:`DATE_FORMATS` over the whole column in one
    pyarrow call, each further format on the cells still unread. When most filled
    cells are ISO, the rest are read year-first (times with AM/PM, offsets) or are
    bad. Otherwise the column's distinct values are split by :data:`DATE_PATTERN`
    and the day/month order detected (:func:`detect_order`); each distinct value
    is parsed once and mapped back to its rows.

    Parameters
    ----------
    values : pandas.Series
        Text dates (or already datetimes: time zones are dropped).
    date_format : str, optional
        ``MDY``, ``DMY``, ``YMD`` or a strftime pattern: wins over detection.

    Returns
    -------
    ColumnDates
        ``order`` is ``unreadable`` when more than :data:`MOSTLY_BAD_SHARE` of the
        filled cells (and at least :data:`MOSTLY_BAD_MIN`) cannot be read, and
        ``ambiguous`` when both day/month orders read every value (then parsed
        month-first); the caller decides what to do with those.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.dt.tz_localize(None) if values.dt.tz is not None else values
        return ColumnDates(out.astype("datetime64[s]"), np.zeros(len(values), dtype=bool), "ISO")
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(arrow_text(values))
    filled = pc.fill_null(pc.not_equal(text, ""), False).to_numpy(zero_copy_only=False)
    n_filled = int(filled.sum())
    if date_format is not None and "%" in date_format:
        todo = np.flatnonzero(filled)
        out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[s]")
        order = date_format
    else:
        out, todo = _iso(text, filled)
        order = "ISO"
    if len(todo):
        sub = text.take(todo)
        enc = pc.dictionary_encode(sub)
        uniq, idx = enc.dictionary, enc.indices.to_numpy(zero_copy_only=False)
        if order != "ISO":
            vals = _strftime(uniq, order)
        else:
            mostly_iso = date_format is None and n_filled - len(todo) >= len(todo)
            fields = _fields(uniq)
            if date_format in ORDERS:
                order = date_format
            elif mostly_iso:
                order = "YMD"
            else:
                order = detect_order(fields)
            vals = _compose(fields, "MDY" if order == "ambiguous" else order)
        out[todo] = vals[idx]
        todo = todo[np.isnat(vals)[idx]]
    elif n_filled == 0:
        order = ""
    bad = np.zeros(len(values), dtype=bool)
    bad[todo] = True
    examples: tuple[str, ...] = ()
    if len(todo) >= MOSTLY_BAD_MIN and len(todo) > MOSTLY_BAD_SHARE * n_filled:
        order = "unreadable"
        examples = _examples(text.take(todo[:1000]), parsed=False)
    elif order == "ambiguous":
        examples = _examples(
            text.filter(pc.invert(pc.is_null(pc.cast(filled, "bool")))), parsed=True
        )
    return ColumnDates(pd.Series(out, index=values.index, copy=False), bad, order, examples)


def _iso(text: Any, filled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ISO chain: (dates, positions of filled cells still unread)."""
    import pyarrow.compute as pc

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
    # pyarrow's %Y takes 1 to 4 digits: "20-10-17" is not the year 20.
    early = np.flatnonzero(out < np.datetime64("1000-01-01", "s"))
    if len(early):
        out[early] = np.datetime64("NaT")
        todo = np.union1d(todo, early)
    return out, todo


def _strftime(uniq: Any, pattern: str) -> np.ndarray:
    """Distinct values parsed with a strftime pattern (UTC when it has ``%z``)."""
    got = pd.to_datetime(
        pd.Series(uniq.to_pylist(), dtype=object), format=pattern, errors="coerce", utc=True
    )
    return got.dt.tz_convert(None).to_numpy(dtype="datetime64[s]")


def _fields(uniq: Any) -> dict[str, np.ndarray]:
    """Split distinct values by :data:`DATE_PATTERN` into numeric arrays (``ok``: matched)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    st = pc.extract_regex(uniq, DATE_PATTERN)
    out: dict[str, np.ndarray] = {"ok": st.is_valid().to_numpy(zero_copy_only=False)}
    for name in ("a", "b", "c", "H", "M", "S"):
        f = st.field(name)
        digits = pc.if_else(pc.equal(f, ""), "0", f)
        out[name] = pc.fill_null(pc.cast(digits, pa.int64()), 0).to_numpy(zero_copy_only=False)
        if name in ("a", "c", "H"):
            out[f"{name}_len"] = pc.fill_null(pc.utf8_length(f), 0).to_numpy(zero_copy_only=False)
    ampm = pc.utf8_lower(pc.fill_null(st.field("ampm"), ""))
    out["pm"] = pc.equal(ampm, "p").to_numpy(zero_copy_only=False)
    out["ampm"] = pc.not_equal(ampm, "").to_numpy(zero_copy_only=False)
    tz = pc.dictionary_encode(pc.fill_null(st.field("tz"), ""))
    offsets = np.array([_offset_seconds(z) for z in tz.dictionary.to_pylist()], dtype=np.int64)
    out["tz"] = offsets[tz.indices.to_numpy(zero_copy_only=False)] if len(offsets) else offsets
    out["ok"] &= out["tz"] != _NO_OFFSET
    return out


_NO_OFFSET = np.iinfo(np.int64).min


def _offset_seconds(tz: str) -> int:
    """Seconds east of UTC for ``Z``, ``UTC``, ``+02:00``, ``-0530``, ``+02``."""
    if tz in ("", "Z", "UTC", "GMT"):
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        return int(_NO_OFFSET)
    return sign * (hours * 3600 + minutes * 60)


def detect_order(fields: dict[str, np.ndarray]) -> str:
    """The day/month order of a column's values (from :func:`_fields`).

    Year-first values (four digits first) are ``YMD``. Among year-last values, one
    with a first field above 12 means day-first, one with a second field above 12
    month-first; when both occur, the order that reads more values wins (the
    others are bad). When neither occurs and the two orders read some value
    differently, the column is ``ambiguous``.

    Parameters
    ----------
    fields : dict
        From :func:`_fields`.

    Returns
    -------
    str
        ``YMD``, ``MDY``, ``DMY`` or ``ambiguous``.
    """
    ok, a, b = fields["ok"], fields["a"], fields["b"]
    year_last = ok & (fields["a_len"] <= 2) & np.isin(fields["c_len"], (2, 4))
    if not year_last.any():
        return "YMD"
    day_first = bool((year_last & (a > 12) & (a <= 31) & (b >= 1) & (b <= 12)).any())
    month_first = bool((year_last & (b > 12) & (b <= 31) & (a >= 1) & (a <= 12)).any())
    if day_first != month_first:
        return "DMY" if day_first else "MDY"
    mdy, dmy = _compose(fields, "MDY"), _compose(fields, "DMY")
    if day_first:  # both: the order that reads more values
        return "DMY" if (~np.isnat(dmy)).sum() > (~np.isnat(mdy)).sum() else "MDY"
    same = (mdy == dmy) | (np.isnat(mdy) & np.isnat(dmy))
    return "MDY" if same[year_last].all() else "ambiguous"


def _compose(f: dict[str, np.ndarray], order: str) -> np.ndarray:
    """Dates (UTC, ``datetime64[s]``) from split fields in a day/month order; NaT if invalid."""
    ok = f["ok"]
    year_first = ok & (f["a_len"] == 4) & (f["c_len"] <= 2)
    year_last = ok & (f["a_len"] <= 2) & np.isin(f["c_len"], (2, 4)) & (order != "YMD")
    a, b, c = f["a"], f["b"], f["c"]
    year = np.where(year_first, a, c)
    two_digit = year_last & (f["c_len"] == 2)
    year = np.where(two_digit, np.where(year < 70, 2000 + year, 1900 + year), year)
    month = np.where(year_first, b, a if order != "DMY" else b)
    day = np.where(year_first, c, b if order != "DMY" else a)
    hour, minute, second = f["H"], f["M"], f["S"]
    ampm, pm = f["ampm"], f["pm"]
    valid = (year_first | year_last) & (month >= 1) & (month <= 12) & (day >= 1)
    valid &= np.where(ampm, (hour >= 1) & (hour <= 12), hour <= 23) & (minute <= 59)
    valid &= second <= 59
    hour = np.where(ampm, hour % 12 + np.where(pm, 12, 0), hour)
    months = np.where(valid, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    in_month = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    valid &= day <= in_month
    secs = (first + np.where(valid, day - 1, 0)).astype("datetime64[s]")
    secs = secs + (hour * 3600 + minute * 60 + second - np.where(valid, f["tz"], 0)).astype(
        "timedelta64[s]"
    )
    return np.where(valid, secs, np.datetime64("NaT", "s"))


def _examples(text: Any, parsed: bool, n: int = 3) -> tuple[str, ...]:
    """A few distinct values for a message (dates as written; other text withheld)."""
    import pyarrow.compute as pc

    seen: list[str] = []
    for v in pc.unique(text).to_pylist()[:200]:
        v = shown(v) if not parsed else str(v)
        if v and v not in seen:
            seen.append(v)
        if len(seen) >= n:
            break
    return tuple(seen)


def parse_columns(
    df: pd.DataFrame,
    columns: Sequence[str | None],
    ids: pd.Series | None = None,
    date_format: str | None = None,
) -> tuple[dict[str, ColumnDates], np.ndarray | None]:
    """:func:`parse_column` of each named column and :func:`~alignlib.crm.duplicates.repeated` of ``ids``.

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
    date_format : str, optional
        ``actuals.date_format`` (default: detected per column).

    Returns
    -------
    tuple
        (column -> :class:`ColumnDates`, repeated-id mask or None).
    """
    names = list(dict.fromkeys(c for c in columns if c is not None and c in df.columns))

    def one(c: str) -> ColumnDates:
        return parse_column(df[c], date_format)

    if len(df) < THREADED_ROWS or len(names) < 2:
        return {c: one(c) for c in names}, None if ids is None else repeated(ids)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        rep = None if ids is None else pool.submit(repeated, ids)
        parsed = dict(zip(names, pool.map(one, names), strict=True))
        return parsed, None if rep is None else rep.result()


class Dates:
    """The date columns of one file, parsed up front (:func:`parse_columns`).

    Calling it with a column name returns the parsed column and reports that
    column's unreadable and implausible cells to ``probs``: in a required column
    (the created date) they reject their rows, which ``bad`` collects; in any other
    they cost only the cell, which is missing in the column returned.

    A column whose day/month order stays ambiguous takes the order the file's
    other date columns settled (one export, one locale); with none settled it is
    a :class:`~alignlib.errors.DataError`, as is a column most of whose values
    cannot be read. Plausible dates are from 1970 to the as-of date
    (``options.as_of``) or, without one, to the day after the file's modification
    date; columns named like close dates may lie in the future (expected close
    dates of open deals).

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
        ``date_format`` (default: detected per column) and ``as_of``.
    future_ok : sequence of str, optional
        Columns whose dates may be after the as-of date (default: names with "close").

    Raises
    ------
    DataError
        A column is ambiguous or mostly unreadable: the message names it, shows a
        few of its values and gives the fix (``actuals.date_format``).
    """

    def __init__(
        self,
        raw: pd.DataFrame,
        probs: Problems,
        columns: Sequence[str | None],
        ids: pd.Series | None = None,
        options: ReadOptions | None = None,
        future_ok: Sequence[str] | None = None,
    ):
        self.raw = raw
        self.probs = probs
        self.options = options or ReadOptions()
        fmt = self.options.date_format
        self.parsed, self.repeated_ids = parse_columns(raw, columns, ids, fmt)
        self.bad = np.zeros(len(raw), dtype=bool)
        self.reported: set[str] = set()
        self.future_ok = (
            set(future_ok)
            if future_ok is not None
            else {c for c in self.parsed if "close" in str(c).lower()}
        )
        self.latest, self.latest_label = _ceiling(raw, self.options.as_of)
        self._resolve()

    def _resolve(self) -> None:
        """Ambiguous columns take the file's settled order; unreadable ones stop the load."""
        for col, got in self.parsed.items():
            if got.order == "unreadable":
                n_bad, n = int(got.bad.sum()), int((text_of(self.raw, col) != "").sum())
                raise DataError(
                    self.probs.file,
                    f"column {col!r}: {n_bad:,} of {n:,} dates could not be read "
                    f"(e.g. {', '.join(got.examples) or 'values not shown'}); "
                    f"if they are dates, {DATE_FIX}",
                )
        settled = {g.order for g in self.parsed.values() if g.order in ("MDY", "DMY")}
        for col, got in list(self.parsed.items()):
            if got.order != "ambiguous":
                continue
            if len(settled) != 1:
                raise DataError(
                    self.probs.file,
                    f"column {col!r}: dates such as {', '.join(got.examples)} read both as "
                    f"month/day and as day/month; {DATE_FIX}",
                )
            self.parsed[col] = parse_column(self.raw[col], next(iter(settled)))

    def order(self, col: str) -> str:
        """How a column's dates were read (``ISO``, ``YMD``, ``MDY``, ``DMY``, a pattern, "")."""
        return self.parsed[col].order if col in self.parsed else ""

    def __call__(self, col: str | None, *, required: bool = False) -> pd.Series:
        """The parsed column (all NaT for None); its unreadable or implausible cells are problems.

        Parameters
        ----------
        col : str or None
            The date column.
        required : bool
            A required field (the created date): a bad cell rejects its row (``bad``).
            Otherwise a bad cell costs only itself: it is missing (NaT) in the column
            returned and its problem says the field was dropped.

        Returns
        -------
        pandas.Series
            ``datetime64[s]``.
        """
        if col is None:
            return pd.Series(pd.NaT, index=self.raw.index, dtype="datetime64[s]")
        got = self.parsed[col]
        parsed, bad = got.dates, got.bad
        action = REJECTED if required else FIELD_DROPPED
        # A column asked for twice (created and the first stage's date) is reported once.
        report = self.probs.add if col not in self.reported else _ignore
        self.reported.add(col)
        if bad.any():
            report(
                np.flatnonzero(bad),
                col,
                "unparseable date",
                self.raw[col][bad].map(shown),
                action=action,
            )
        values = parsed.to_numpy(dtype="datetime64[s]")
        early = values < EARLIEST_DATE
        if early.any():
            report(
                np.flatnonzero(early), col, "date before 1970", self.raw[col][early], action=action
            )
            bad = bad | early
        if self.latest is not None and col not in self.future_ok:
            late = values > self.latest
            if late.any():
                report(
                    np.flatnonzero(late), col, self.latest_label, self.raw[col][late], action=action
                )
                bad = bad | late
        if required:
            self.bad |= bad
            return parsed
        return parsed.mask(bad) if bad.any() else parsed


def _ignore(*args: Any, **kwargs: Any) -> None:
    """Report nothing (a column's problems already reported)."""


def _ceiling(raw: pd.DataFrame, as_of: dt.date | None) -> tuple[np.datetime64 | None, str]:
    """The latest plausible date and how a later one is described."""
    if as_of is not None:
        day = pd.Timestamp(as_of).normalize()
        last = (day + pd.Timedelta(days=1)).to_datetime64().astype(
            "datetime64[s]"
        ) - np.timedelta64(1, "s")
        return last, f"date after the as-of date ({day:%Y-%m-%d})"
    mtime = raw.attrs.get("mtime")
    if mtime is None:
        return None, ""
    day = pd.Timestamp(mtime, unit="s").normalize()
    # A day's slack: the file's clock and the CRM's time zone may differ.
    last = (day + pd.Timedelta(days=2)).to_datetime64().astype("datetime64[s]") - np.timedelta64(
        1, "s"
    )
    return last, f"date after the file was written ({day:%Y-%m-%d})"


def order_problems(
    dates: pd.DataFrame,
    sources: Sequence[str],
    probs: Problems,
    kept: np.ndarray,
    raw: pd.DataFrame | None = None,
) -> np.ndarray:
    """Flag each date earlier than a date of an earlier stage (funnel order).

    The later date of an out-of-order pair is the one flagged: it costs only
    itself (the problem says the field was dropped;
    :meth:`alignlib.crm.pipeline.Source.in_order` drops it).

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
        Boolean (rows, columns of ``dates``): True for each date out of order (never
        in the first column).
    """
    nat = np.iinfo(np.int64).min  # NaT as int64: below every date, so max() skips it
    cols = [
        dates.iloc[:, j].to_numpy(dtype="datetime64[s]").view("int64")
        for j in range(dates.shape[1])
    ]
    n = dates.shape[0]
    out = np.zeros((n, len(cols)), dtype=bool)
    running = cols[0] if cols else np.zeros(0, dtype=np.int64)
    for j in range(1, len(cols)):
        v = cols[j]
        out[:, j] = (v < running) & (v != nat) & kept
        # A date found out of order is dropped: it does not hold up the later ones.
        running = np.maximum(running, np.where(out[:, j], nat, v))
    for j in range(1, len(cols)):
        r = np.flatnonzero(out[:, j])
        if not len(r):
            continue
        # The earlier stage it contradicts: the latest one holding the running maximum.
        earlier = np.column_stack(
            [np.where(out[r, kk], nat, c[r]) for kk, c in enumerate(cols[:j])]
        )
        k = j - 1 - np.argmax(earlier[:, ::-1], axis=1)
        if raw is not None and sources[j] in raw.columns:
            this = raw[sources[j]].iloc[r].astype("str").to_numpy()
        else:
            this = dates.iloc[r, j].dt.strftime("%Y-%m-%d %H:%M").to_numpy()
        before = [
            f"date out of order: before {sources[kk]} ({dates.iloc[i, kk]:%Y-%m-%d %H:%M})"
            for i, kk in zip(r, k, strict=True)
        ]
        probs.add(r, sources[j], before, this, action=FIELD_DROPPED)
    return out
