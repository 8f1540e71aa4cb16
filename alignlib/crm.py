"""CRM exports in, one validated normalised table out (HubSpot, Salesforce, generic CSV/Parquet).

Every loader returns an :class:`IngestResult`: the normalised table (one row per
lead or contact, no names or emails), one :class:`RowProblem` per problem found,
the rejected raw rows (these hold personal data: only :func:`write_rejects` ever
writes them, to a file whose name says so), and the read/accepted/rejected counts.

Normalised table columns (see :func:`table_columns`): ``id``, ``row`` (line in the
file), ``created``, ``source``, ``channel``, ``owner``, ``lead_status``, ``stage``
(current canonical stage, NA outside the funnel), ``entered_<stage>`` and
``reached_<stage>`` for each of the company's stages, ``outcome`` (won, lost, open
or NA), ``close_date``, ``amount``, ``first_response``, ``recycled``,
``disqualified``.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib.errors import DataError, InputError
from alignlib.taxonomy import DEFAULT_STAGE_NAMES, HUBSPOT_STAGE_MAPPING

if TYPE_CHECKING:
    from alignlib.params import QuarterParams

#: HubSpot ``Original Source`` -> canonical channel.
HUBSPOT_SOURCE_CHANNELS: dict[str, str] = {
    "Paid Search": "paid_search",
    "Paid Social": "paid_social",
    "Social Media": "paid_social",
    "Offline Sources": "events",
    "Other Campaigns": "events",
    "Organic Search": "content_seo",
    "Direct Traffic": "content_seo",
    "Email Marketing": "email",
    "Referrals": "referral",
}
#: Salesforce ``LeadSource`` -> canonical channel.
SALESFORCE_SOURCE_CHANNELS: dict[str, str] = {
    "Paid Search": "paid_search",
    "Advertisement": "paid_social",
    "Social Media": "paid_social",
    "Trade Show": "events",
    "Seminar - Internal": "events",
    "Seminar - Partner": "events",
    "Web": "content_seo",
    "Email": "email",
    "Partner Referral": "referral",
    "Partner": "referral",
    "Employee Referral": "referral",
    "External Referral": "referral",
    "Word of mouth": "referral",
}
#: Channel given to sources no mapping knows.
OTHER_CHANNEL = "other"

#: Salesforce Lead ``Status`` and Opportunity ``StageName`` -> canonical stage.
SALESFORCE_STAGE_MAPPING: dict[str, str | None] = {
    "Open - Not Contacted": "lead",
    "Marketing Qualified": "mql",
    "Working - Contacted": "sal",
    "Closed - Converted": "sql",
    # Worked by sales and closed without an opportunity: it was handed off (MQL).
    "Closed - Not Converted": "mql",
    "Prospecting": "opportunity",
    "Qualification": "opportunity",
    "Needs Analysis": "opportunity",
    "Value Proposition": "opportunity",
    "Id. Decision Makers": "opportunity",
    "Perception Analysis": "opportunity",
    "Proposal/Price Quote": "opportunity",
    "Negotiation/Review": "opportunity",
    "Closed Won": "won",
    "Closed Lost": "opportunity",
}

#: HubSpot ``Lead Status`` values that mean "returned to nurture" / "disqualified".
RECYCLE_STATUSES = frozenset({"Bad Timing", "Recycled", "Nurture"})
DISQUALIFIED_STATUSES = frozenset({"Unqualified", "Disqualified"})
SALESFORCE_RECYCLE_STATUSES = frozenset({"Closed - Not Converted"})

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

#: Default HubSpot columns for fields without a "Became a ... Date" property.
HUBSPOT_EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "entered_sal": ("Sales Accepted Date",),
    "first_response": (
        "First Outreach Date",
        "First Sales Activity Date",
        "Date of first engagement",
    ),
    "lost_date": ("Closed Lost Date",),
    "lost_reason": ("Closed Lost Reason",),
    "close_date": ("Close Date",),
    "amount": ("Recent Deal Amount",),
    "owner": ("Contact owner", "HubSpot Owner"),
    "source": ("Original Source",),
    "lead_status": ("Lead Status",),
}

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


def table_columns(stage_names: Sequence[str] = DEFAULT_STAGE_NAMES) -> list[str]:
    """Column names of the normalised table for a company's stages, in order."""
    return [
        "id",
        "row",
        "created",
        "source",
        "channel",
        "owner",
        "lead_status",
        "stage",
        *[f"entered_{s}" for s in stage_names],
        *[f"reached_{s}" for s in stage_names],
        "outcome",
        "close_date",
        "amount",
        "first_response",
        "recycled",
        "disqualified",
    ]


@dataclass(frozen=True)
class RowProblem:
    """One problem in one row of an export.

    Attributes
    ----------
    file : str
        File name (not the path) the row is in.
    row : int
        Line number in the file (the header is line 1); for Parquet, the row number (1-based).
    field : str
        Source column the problem is in.
    reason : str
        What is wrong, in words.
    value : str
        The offending value (never a name or email).
    action : str
        ``rejected`` (the row went to the rejects file) or ``kept``.
    """

    file: str
    row: int
    field: str
    reason: str
    value: str
    action: str = "rejected"

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON-ready dict."""
        return {
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "reason": self.reason,
            "value": self.value,
            "action": self.action,
        }


_PROBLEM_COLUMNS = ["file", "row", "field", "reason", "value", "action"]


@dataclass(frozen=True)
class IngestResult:
    """What a loader read: the normalised table, the problems and the counts.

    Attributes
    ----------
    table : pandas.DataFrame
        The normalised table (accepted rows only; columns from :func:`table_columns`).
    problems_frame : pandas.DataFrame
        One row per problem: ``file, row, field, reason, value, action``.
    rows_read : int
        Data rows in the file(s) the table is built from (leads for Salesforce).
    accepted, rejected : int
        ``rows_read == accepted + rejected``; exact duplicate copies count as rejected.
    duplicates : int
        Exact duplicate copies (the record itself is counted once).
    stage_names : tuple of str
        The company's stages, top to bottom.
    as_of : pandas.Timestamp
        The date the export was taken (given, or the latest date in it).
    source : str
        The file(s) read.
    format : str
        ``hubspot``, ``salesforce`` or ``csv``.
    rejects : pandas.DataFrame
        The rejected raw rows with ``_file``, ``_row`` and ``_problems`` columns first.
        Holds personal data: write it only with :func:`write_rejects`.
    """

    table: pd.DataFrame
    problems_frame: pd.DataFrame
    rows_read: int
    accepted: int
    rejected: int
    duplicates: int
    stage_names: tuple[str, ...]
    as_of: pd.Timestamp
    source: str
    format: str
    rejects: pd.DataFrame = field(repr=False)

    @property
    def problems(self) -> list[RowProblem]:
        """The problems as :class:`RowProblem` objects, in file and row order."""
        return [RowProblem(**r) for r in self.problems_frame.to_dict("records")]

    def reached(self) -> dict[str, int]:
        """Canonical stage -> number of accepted contacts that reached it."""
        return {s: int(self.table[f"reached_{s}"].sum()) for s in self.stage_names}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: counts, stages reached and every problem (no personal data)."""
        return {
            "source": self.source,
            "format": self.format,
            "as_of": self.as_of.strftime("%Y-%m-%d"),
            "rows": self.rows_read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "reached": self.reached(),
            "problems": [
                {**r, "row": int(r["row"])} for r in self.problems_frame.to_dict("records")
            ],
        }


# --------------------------------------------------------------------------- reading


def _read_raw(path: str | Path) -> pd.DataFrame:
    """Read a CSV (all columns as text, blanks as "") or a Parquet file."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, "file not found")
    if path.is_dir():
        raise DataError(path, "is a folder, not a file")
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            df = pd.read_parquet(path)
            for c in df.columns:
                if not pd.api.types.is_datetime64_any_dtype(df[c]):
                    df[c] = df[c].astype("str").where(df[c].notna(), "")
            return df
        import pyarrow as pa
        import pyarrow.csv as pacsv

        with open(path, newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), None)
        if not header:
            raise DataError(path, "the file is empty (no header row)")
        if len(set(header)) != len(header):
            dupes = sorted({h for h in header if header.count(h) > 1})
            raise DataError(path, f"repeated column names: {', '.join(dupes)}")
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding="utf-8"),
            convert_options=pacsv.ConvertOptions(
                # large_string is what pandas' "str" dtype stores: to_pandas() is then
                # zero-copy instead of a cast of every column.
                column_types={h: pa.large_string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        # One contiguous array per column: later takes (duplicates, rejects) and
        # pyarrow compute calls would otherwise stitch the ~1 MB read blocks each time.
        df = table.combine_chunks().to_pandas()
        first = df.columns[0]
        if first.startswith("\ufeff"):
            df = df.rename(columns={first: first.removeprefix("\ufeff")})
        return df
    except DataError:
        raise
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(path, f"could not be read as {path.suffix or 'CSV'}: {exc}") from None
    except Exception as exc:  # pyarrow.ArrowInvalid and friends
        raise DataError(path, f"could not be read: {exc}") from None


def _arrow_text(values: pd.Series) -> Any:
    """The column as one contiguous pyarrow string array (zero-copy for pyarrow-backed str)."""
    import pyarrow as pa

    arr = values.array
    if isinstance(arr, pd.arrays.ArrowStringArray):
        chunked = arr.__arrow_array__()
    else:
        chunked = pa.chunked_array([pa.array(values.astype("str"), type=pa.large_string())])
    return chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)


def _parse_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse text dates with the explicit formats; return (datetime64[s], unparseable mask).

    The first format is parsed over the whole column in one pyarrow call (blank cells
    come back null); each further format only on the non-blank cells the previous
    ones could not read.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.dt.tz_localize(None) if values.dt.tz is not None else values
        return out.astype("datetime64[s]"), np.zeros(len(values), dtype=bool)
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(_arrow_text(values))
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


def _parse_columns(
    df: pd.DataFrame, columns: Sequence[str | None], ids: pd.Series | None = None
) -> tuple[dict[str, tuple[pd.Series, np.ndarray]], np.ndarray | None]:
    """:func:`_parse_dates` of each named column and :func:`_repeated` of ``ids``.

    Big files are done on two threads: pyarrow's ``strptime`` and ``sort_indices``
    release the GIL, so two columns are worked on at once.
    """
    names = list(dict.fromkeys(c for c in columns if c is not None and c in df.columns))
    if len(df) < 100_000 or len(names) < 2:
        return {c: _parse_dates(df[c]) for c in names}, None if ids is None else _repeated(ids)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        repeated = None if ids is None else pool.submit(_repeated, ids)
        parsed = dict(zip(names, pool.map(_parse_dates, [df[c] for c in names]), strict=True))
        return parsed, None if repeated is None else repeated.result()


class _Dates:
    """The date columns of one file, parsed up front (:func:`_parse_columns`).

    Calling it with a column name returns the parsed column and reports that
    column's unparseable cells to ``probs``; ``bad`` collects every row with an
    unparseable date in a column asked for so far.
    """

    def __init__(
        self,
        raw: pd.DataFrame,
        probs: _Problems,
        columns: Sequence[str | None],
        ids: pd.Series | None = None,
    ):
        self.raw = raw
        self.probs = probs
        self.parsed, self.repeated_ids = _parse_columns(raw, columns, ids)
        self.bad = np.zeros(len(raw), dtype=bool)

    def __call__(self, col: str | None) -> pd.Series:
        if col is None:
            return pd.Series(pd.NaT, index=self.raw.index, dtype="datetime64[s]")
        parsed, bad = self.parsed[col]
        self.probs.add(np.flatnonzero(bad), col, "unparseable date", self.raw[col][bad])
        self.bad |= bad
        return parsed


def _frame_of(columns: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Columns side by side without copying them into one block (``pd.concat``)."""
    return pd.concat(list(columns.values()), axis=1, keys=list(columns))


def _text(df: pd.DataFrame, col: str | None) -> pd.Series:
    if col is None or col not in df.columns:
        return pd.Series("", index=df.index, dtype="str")
    return df[col].astype("str").str.strip()


def _first_present(df: pd.DataFrame, names: Sequence[str]) -> str | None:
    return next((n for n in names if n in df.columns), None)


def _require(path: Path, df: pd.DataFrame, required: Mapping[str, Sequence[str]]) -> dict[str, str]:
    found, missing = {}, []
    for name, options in required.items():
        col = _first_present(df, options)
        if col is None:
            missing.append(" or ".join(repr(o) for o in options))
        else:
            found[name] = col
    if missing:
        raise DataError(
            path,
            f"missing required column(s): {', '.join(missing)} "
            f"(columns found: {', '.join(map(str, df.columns[:30]))})",
        )
    return found


# --------------------------------------------------------------------------- validation


class _Problems:
    """Collects problems as arrays (one vectorised check at a time)."""

    def __init__(self, file: str, line_offset: int):
        self.file = file
        self.offset = line_offset
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        positions: np.ndarray,
        field: str,
        reason: str | pd.Series | np.ndarray,
        values: pd.Series | np.ndarray,
        action: str = "rejected",
    ) -> None:
        positions = np.asarray(positions, dtype=np.int64)
        if len(positions) == 0:
            return
        vals = np.asarray(values, dtype=object)
        reasons = reason if isinstance(reason, str) else np.asarray(reason, dtype=object)
        self.parts.append(
            pd.DataFrame(
                {
                    "file": self.file,
                    "row": positions + self.offset,
                    "field": field,
                    "reason": reasons,
                    "value": pd.Series(vals).astype("str").to_numpy(),
                    "action": action,
                    "_pos": positions,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in [*_PROBLEM_COLUMNS, "_pos"]})
        out = pd.concat(self.parts, ignore_index=True)
        return out.sort_values(["row", "field"], kind="stable").reset_index(drop=True)


def _repeated(values: pd.Series) -> np.ndarray:
    """``values.duplicated(keep=False)`` for a text column, by sorting instead of hashing.

    A sort of a million short ids in pyarrow is several times faster than pandas'
    hash-based ``duplicated``; equal neighbours in sorted order are the repeats.
    """
    import pyarrow.compute as pc

    n = len(values)
    if n < 2 or values.isna().any():
        return values.duplicated(keep=False).to_numpy()
    arr = _arrow_text(values)
    order = pc.sort_indices(arr).to_numpy()
    ordered = arr.take(order)
    same = pc.equal(ordered.slice(1), ordered.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    rep = np.zeros(n, dtype=bool)
    rep[1:] = same
    rep[:-1] |= same
    out = np.zeros(n, dtype=bool)
    out[order] = rep
    return out


def _duplicates(
    df: pd.DataFrame,
    ids: pd.Series,
    probs: _Problems,
    id_col: str,
    repeated: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Mark exact duplicate copies and conflicting ids; return (drop mask, exact copies).

    Of rows sharing an id with different content, the one with the most filled-in
    fields is kept (the earliest on a tie) and the others are rejected.
    ``repeated`` is ``_repeated(ids)`` when already worked out.
    """
    n = len(df)
    drop = np.zeros(n, dtype=bool)
    dup_id = (_repeated(ids) if repeated is None else repeated) & (ids != "").to_numpy()
    if not dup_id.any():
        return drop, 0
    pos = np.flatnonzero(dup_id)
    sub = df.iloc[pos]
    exact = sub.duplicated(keep="first").to_numpy()
    first_of = sub.groupby(list(sub.columns), sort=False, dropna=False).ngroup().to_numpy()
    first_pos = pd.Series(pos).groupby(first_of).transform("min").to_numpy()
    probs.add(
        pos[exact],
        id_col,
        pd.Series(first_pos[exact] + probs.offset).map(lambda r: f"exact duplicate of row {r}"),
        ids.iloc[pos[exact]],
    )
    drop[pos[exact]] = True
    # Conflicting copies among the remaining rows.
    rest = pos[~exact]
    rid = ids.iloc[rest].to_numpy()
    filled = sub.iloc[np.flatnonzero(~exact)]
    score = (filled.notna() & filled.astype("str").ne("")).sum(axis=1).to_numpy()
    order = np.lexsort((rest, -score, rid))
    rest_sorted, rid_sorted = rest[order], rid[order]
    is_first = np.r_[True, rid_sorted[1:] != rid_sorted[:-1]]
    keeper = pd.Series(rest_sorted[is_first], index=rid_sorted[is_first])
    losers = rest_sorted[~is_first]
    if len(losers):
        kept_rows = keeper.loc[rid_sorted[~is_first]].to_numpy() + probs.offset
        probs.add(
            losers,
            id_col,
            [f"same id as row {k} with different content; kept row {k}" for k in kept_rows],
            ids.iloc[losers],
        )
        drop[losers] = True
    return drop, int(exact.sum())


def _order_problems(
    dates: pd.DataFrame,
    sources: Sequence[str],
    probs: _Problems,
    kept: np.ndarray,
    raw: pd.DataFrame | None = None,
) -> np.ndarray:
    """Flag each date earlier than a date of an earlier stage (funnel order)."""
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


def _codes(values: pd.Series) -> tuple[list[str], np.ndarray]:
    """Distinct values of a text column and each row's code into them (missing -> len)."""
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(_arrow_text(values))
    cats = [str(c) for c in enc.dictionary.to_pylist()]
    codes = pc.fill_null(enc.indices, len(cats)).to_numpy(zero_copy_only=False)
    return cats, codes.astype(np.intp, copy=False)


def _pick(choices: Sequence[str | None], codes: np.ndarray) -> pd.Series:
    """A str column holding ``choices[code]`` per row (None -> missing), built in pyarrow."""
    import pyarrow as pa

    table = pa.array(list(choices), type=pa.large_string())
    return pd.Series(table.take(pa.array(codes)), dtype="str")


def _stage_index(
    labels: pd.Series, mapping: Mapping[str, str | None], stage_names: Sequence[str]
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Map labels to (canonical stage or NA, stage position or -1, unknown-label mask)."""
    cats, codes = _codes(labels)
    pos_of = {s: i for i, s in enumerate(stage_names)}
    # Per distinct label: known? canonical stage (in this company's stages)? position?
    known = np.array([c in mapping for c in cats] + [False], dtype=bool)
    blank = np.array([c == "" for c in cats] + [True], dtype=bool)
    canon = [mapping.get(c) if mapping.get(c) in pos_of else None for c in cats] + [None]
    pos = np.array([pos_of.get(c, -1) if c else -1 for c in canon], dtype=int)
    unknown = (~known & ~blank)[codes]
    canonical = _pick(canon, codes)
    canonical.index = labels.index
    return canonical, pos[codes], unknown


def _reached(entered: pd.DataFrame, position: np.ndarray, n_stages: int) -> np.ndarray:
    """Reached = has the stage's date, a later stage's date, or a current stage at/past it."""
    # Column by column from the bottom stage up, into column-major memory so each
    # stage's column is contiguous for the table.
    out = np.empty((len(entered), n_stages), dtype=bool, order="F")
    later = np.zeros(len(entered), dtype=bool)
    for j in range(n_stages - 1, -1, -1):
        later |= entered.iloc[:, j].notna().to_numpy()
        np.logical_or(later, position >= j, out=out[:, j])
    return out


def _channels(source: pd.Series, mapping: Mapping[str, str]) -> pd.Series:
    """Source -> channel; a source that already is a channel name keeps it; else "other"."""
    cats, codes = _codes(source)
    own = set(mapping.values())
    names = [mapping.get(c, c if c in own else OTHER_CHANNEL) for c in cats]
    out = _pick([*names, OTHER_CHANNEL], codes)
    out.index = source.index
    return out


def _outcomes(won: np.ndarray, lost: np.ndarray, is_open: np.ndarray) -> pd.Series:
    """won / lost / open / missing per row (won over lost over open)."""
    codes = np.where(won, 0, np.where(lost, 1, np.where(is_open, 2, 3)))
    return _pick(["won", "lost", "open", None], codes)


def _amounts(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse amounts ("$1,200" ok); only the non-blank cells (most are blank) are parsed."""
    filled = (text != "").to_numpy(dtype=bool, na_value=True)
    num = np.full(len(text), np.nan)
    pos = np.flatnonzero(filled)
    if len(pos):
        sub = text.iloc[pos]
        cleaned = sub.str.replace(",", "", regex=False).str.replace("$", "", regex=False)
        num[pos] = pd.to_numeric(cleaned, errors="coerce").astype(float).to_numpy()
    bad = np.isnan(num) & filled
    return pd.Series(num, index=text.index), bad


def _amount_column(
    raw: pd.DataFrame, col: str | None, probs: _Problems
) -> tuple[pd.Series, np.ndarray]:
    """:func:`_amounts` of a column with its problems reported; return (amounts, bad mask).

    Bad: not a number, or negative. No column: every amount missing, none bad.
    """
    text = _text(raw, col)
    amount, not_number = _amounts(text)
    negative = (amount < 0).to_numpy()
    if col:
        probs.add(np.flatnonzero(not_number), col, "amount is not a number", text[not_number])
        probs.add(np.flatnonzero(negative), col, "negative amount", text[negative])
    return amount, not_number | negative


def _opportunity_index(stage_names: Sequence[str]) -> int:
    """Position of the stage whose reached-but-not-closed rows are open deals."""
    if "opportunity" in stage_names:
        return stage_names.index("opportunity")
    return max(len(stage_names) - 2, 0)


def _check_mapping(stage_mapping: Mapping[str, str | None], stage_names: Sequence[str]) -> None:
    if not stage_names:
        raise InputError("stage_names is empty: a funnel needs at least one stage")


def _finish(
    *,
    path: Path,
    fmt: str,
    raw: pd.DataFrame,
    table: Mapping[str, Any],
    probs: _Problems,
    drop: np.ndarray,
    duplicates: int,
    stage_names: Sequence[str],
    as_of: dt.date | pd.Timestamp | None,
    extra_problems: Sequence[pd.DataFrame] = (),
    extra_rejects: Sequence[pd.DataFrame] = (),
    source: str | None = None,
) -> IngestResult:
    frame = probs.frame()
    parts = [frame, *extra_problems]
    all_problems = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else frame
    )
    rejects = _rejected_rows(raw, drop, frame, probs)
    if extra_rejects:
        rejects = pd.concat([rejects, *extra_rejects], ignore_index=True)
    # Rejected rows leave every column once, as the table is put together.
    accepted_table, filtered = _accepted_frame(table, ~drop, table_columns(stage_names))
    if as_of is None:
        date_cols = ["created", *[f"entered_{s}" for s in stage_names], "close_date"]
        # NaT is int64's minimum as an integer: the max of the integers skips it.
        latest_int = max(
            (int(filtered[c].view("int64").max()) for c in date_cols if len(filtered[c])),
            default=np.iinfo(np.int64).min,
        )
        latest = (
            pd.Timestamp(np.datetime64(latest_int, "s"))
            if latest_int != np.iinfo(np.int64).min
            else pd.NaT
        )
        as_of_ts = pd.Timestamp(latest).normalize() if pd.notna(latest) else pd.Timestamp.today()
    else:
        as_of_ts = pd.Timestamp(as_of)
    return IngestResult(
        table=accepted_table,
        problems_frame=all_problems[_PROBLEM_COLUMNS].reset_index(drop=True),
        rows_read=len(raw),
        accepted=int((~drop).sum()),
        rejected=int(drop.sum()),
        duplicates=duplicates,
        stage_names=tuple(stage_names),
        as_of=as_of_ts,
        source=source or str(path),
        format=fmt,
        rejects=rejects.reset_index(drop=True),
    )


def _rejected_rows(
    raw: pd.DataFrame, drop: np.ndarray, frame: pd.DataFrame, probs: _Problems
) -> pd.DataFrame:
    """The dropped raw rows, led by ``_file``, ``_row`` and ``_problems`` (their reasons).

    ``frame`` is ``probs.frame()``: each row's rejecting problems, joined with "; ".
    """
    rejected = frame.loc[frame["action"] == "rejected"]
    reasons = (
        rejected.assign(msg=rejected["field"] + ": " + rejected["reason"])
        .groupby("_pos")["msg"]
        .agg("; ".join)
    )
    reject_pos = np.flatnonzero(drop)
    rejects = raw.take(reject_pos)
    rejects.insert(0, "_problems", reasons.reindex(reject_pos).fillna("").to_numpy())
    rejects.insert(0, "_row", reject_pos + probs.offset)
    rejects.insert(0, "_file", probs.file)
    return rejects


def _accepted_frame(
    columns: Mapping[str, Any], keep: np.ndarray, order: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The accepted rows of the assembled columns as a DataFrame (columns in ``order``).

    Each numpy column is filtered straight into its own block, which pandas takes
    as it is (``pandas.api.internals``), so the million-row table is copied once,
    not filtered and then copied again into consolidated blocks. Falls back to the
    ordinary constructor if that API is missing. Also returns the filtered columns.
    """
    m = int(keep.sum())
    index = pd.RangeIndex(m)
    try:
        from pandas.api.internals import create_dataframe_from_blocks
    except ImportError:  # pragma: no cover - older pandas
        filtered = {c: _keep_rows(columns[c], keep) for c in order}
        return pd.DataFrame(filtered, index=index), filtered
    keep_all = bool(keep.all())
    rows = np.flatnonzero(keep)

    def one(i: int) -> tuple[Any, Any]:
        """(block, filtered column) for column ``order[i]``."""
        v = columns[order[i]]
        if not isinstance(v, np.ndarray):
            text = _keep_rows(v, keep)
            return text.array, text
        # One block per column: a 2-D block of several million-row columns is an
        # allocation large enough to be a fresh mmap (page faults on every run).
        block = np.empty((1, m), dtype=v.dtype)
        if keep_all:
            block[0] = v
        else:
            np.take(v, rows, out=block[0], mode="clip")  # "raise" would buffer
        return block, block[0]

    # numpy's take and pyarrow's filter release the GIL: big tables on two threads.
    if m >= 100_000:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            done = list(pool.map(one, range(len(order))))
    else:
        done = [one(i) for i in range(len(order))]
    blocks = [(block, np.array([i])) for i, (block, _) in enumerate(done)]
    filtered = {c: col for c, (_, col) in zip(order, done, strict=True)}
    frame = create_dataframe_from_blocks(blocks, index=index, columns=pd.Index(list(order)))
    return frame, filtered


def _keep_rows(values: Any, keep: np.ndarray) -> Any:
    """Rows of one assembled column where ``keep`` (pyarrow filter for text, numpy else)."""
    if isinstance(values, np.ndarray):
        return values if keep.all() else values[keep]
    import pyarrow as pa

    return pd.Series(values if keep.all() else values.filter(pa.array(keep)), dtype="str")


def _text_column(values: pd.Series) -> Any:
    """A text column as a pyarrow array with blanks and missing values as nulls."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if values.dtype == object:
        arr = pa.array(values.to_numpy(), type=pa.large_string(), from_pandas=True)
    else:
        arr = _arrow_text(values)
    keep = pc.fill_null(pc.not_equal(arr, ""), False)
    if arr.type == pa.large_string() and arr.offset == 0 and keep.offset == 0:
        # Same offsets and characters; only the validity bitmap changes.
        return pa.LargeStringArray.from_buffers(
            len(arr), arr.buffers()[1], arr.buffers()[2], keep.buffers()[1]
        )
    return pc.if_else(keep, arr, pa.scalar(None, pa.large_string()))


def _datetimes(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[s]")


def _assemble(
    *,
    ids: pd.Series,
    created: pd.Series,
    source: pd.Series,
    channel: pd.Series,
    owner: pd.Series,
    lead_status: pd.Series,
    stage: pd.Series,
    entered: pd.DataFrame,
    reached: np.ndarray,
    outcome: pd.Series,
    close_date: pd.Series,
    amount: pd.Series,
    first_response: pd.Series,
    offset: int,
    stage_names: Sequence[str],
    recycle_statuses: frozenset[str] = RECYCLE_STATUSES,
) -> dict[str, Any]:
    """The normalised table's columns over every row read (numpy, or pyarrow for text);
    :func:`_finish` drops the rejected rows and builds the DataFrame.

    ``recycled`` and ``disqualified`` come from ``lead_status``: one of
    ``recycle_statuses`` / :data:`DISQUALIFIED_STATUSES`.
    """
    data: dict[str, Any] = {
        "id": _text_column(ids),
        "row": np.arange(len(ids)) + offset,
        "created": _datetimes(created),
        "source": _text_column(source),
        "channel": _text_column(channel),
        "owner": _text_column(owner),
        "lead_status": _text_column(lead_status),
        "stage": _text_column(stage),
    }
    for j, s in enumerate(stage_names):
        data[f"entered_{s}"] = _datetimes(entered.iloc[:, j])
    for j, s in enumerate(stage_names):
        data[f"reached_{s}"] = np.ascontiguousarray(reached[:, j])  # a view if F-ordered
    data.update(
        outcome=_text_column(outcome),
        close_date=_datetimes(close_date),
        amount=np.asarray(amount, dtype=float),
        first_response=_datetimes(first_response),
        recycled=lead_status.isin(recycle_statuses).to_numpy(),
        disqualified=lead_status.isin(DISQUALIFIED_STATUSES).to_numpy(),
    )
    return data


# --------------------------------------------------------------------------- HubSpot


def hubspot_date_column(label: str) -> str:
    """HubSpot's "Became a ... Date" column for a lifecycle label ("an" before vowels)."""
    article = "an" if label[:1].lower() in "aeiou" else "a"
    return f"Became {article} {label} Date"


def load_hubspot(
    path: str | Path,
    *,
    stage_names: Sequence[str] = DEFAULT_STAGE_NAMES,
    stage_mapping: Mapping[str, str | None] | None = None,
    columns: Mapping[str, str] | None = None,
    channel_mapping: Mapping[str, str] | None = None,
    as_of: dt.date | pd.Timestamp | None = None,
) -> IngestResult:
    """Load a HubSpot contacts export into the normalised table.

    Parameters
    ----------
    path : str or Path
        The CSV (or Parquet) export.
    stage_names : sequence of str
        The company's stages, top to bottom (``p.stage_names``).
    stage_mapping : mapping, optional
        Lifecycle label -> canonical stage (None: outside the funnel), merged over
        :data:`alignlib.taxonomy.HUBSPOT_STAGE_MAPPING`. Each label's date comes from
        HubSpot's ``Became a <label> Date`` column when it exists.
    columns : mapping, optional
        Canonical field -> source column, overriding the defaults (e.g.
        ``{"entered_sal": "Sales Accepted Date", "first_response": "First Outreach Date"}``).
    channel_mapping : mapping, optional
        ``Original Source`` value -> channel (default :data:`HUBSPOT_SOURCE_CHANNELS`).
    as_of : date, optional
        When the export was taken (default: the latest date in it).

    Returns
    -------
    IngestResult

    Raises
    ------
    DataError
        The file cannot be read, or required columns (``Record ID`` or ``Contact ID``,
        ``Create Date``, ``Lifecycle Stage``) are missing.
    """
    path = Path(path)
    raw = _read_raw(path)
    mapping = {**HUBSPOT_STAGE_MAPPING, **(stage_mapping or {})}
    _check_mapping(mapping, stage_names)
    overrides = dict(columns or {})
    req = _require(
        path,
        raw,
        {
            "id": (overrides.get("id", "Record ID"), "Contact ID"),
            "created": (overrides.get("created", "Create Date"),),
            "stage": (overrides.get("stage", "Lifecycle Stage"),),
        },
    )
    probs = _Problems(path.name, 2)
    ids = _text(raw, req["id"])

    # Stage date columns: "Became a <label> Date" per mapped label, plus overrides.
    date_sources: dict[str, str] = {}
    for label, stage in mapping.items():
        col = hubspot_date_column(label)
        if stage in stage_names and col in raw.columns and stage not in date_sources:
            date_sources[stage] = col
    for key, options in HUBSPOT_EXTRA_COLUMNS.items():
        if key.startswith("entered_") and key[8:] in stage_names and key[8:] not in date_sources:
            col = _first_present(raw, options)
            if col:
                date_sources[key[8:]] = col
    for key, col in overrides.items():
        if key.startswith("entered_") and key[8:] in stage_names:
            if col not in raw.columns:
                raise DataError(path, f"column {col!r} (mapped to {key}) is not in the file")
            date_sources[key[8:]] = col
    if not date_sources:
        raise DataError(
            path,
            "no stage date columns found (expected e.g. 'Became a Lead Date', "
            "'Became a Marketing Qualified Lead Date')",
        )

    def col_for(key: str) -> str | None:
        if key in overrides:
            if overrides[key] not in raw.columns:
                raise DataError(
                    path, f"column {overrides[key]!r} (mapped to {key}) is not in the file"
                )
            return overrides[key]
        return _first_present(raw, HUBSPOT_EXTRA_COLUMNS.get(key, ()))

    first_response_col = col_for("first_response")
    lost_date_col = col_for("lost_date")
    close_col = col_for("close_date")
    dates_of = _Dates(
        raw,
        probs,
        [
            req["created"],
            *[date_sources.get(s) for s in stage_names],
            first_response_col,
            lost_date_col,
            close_col,
        ],
        ids,
    )
    created = dates_of(req["created"])
    entered = _frame_of({s: dates_of(date_sources.get(s)) for s in stage_names})
    first_response = dates_of(first_response_col)
    lost_date = dates_of(lost_date_col)
    close_won = dates_of(close_col)

    labels = _text(raw, req["stage"])
    stage, position, unknown = _stage_index(labels, mapping, stage_names)
    probs.add(
        np.flatnonzero(unknown), req["stage"], "unknown lifecycle stage label", labels[unknown]
    )
    amount, bad_amount = _amount_column(raw, col_for("amount"), probs)

    drop, n_exact = _duplicates(raw, ids, probs, req["id"], dates_of.repeated_ids)
    blank_id = (ids == "").to_numpy()
    probs.add(np.flatnonzero(blank_id), req["id"], "missing id", ids[blank_id])

    order_cols = pd.concat([created.rename("created"), entered], axis=1)
    order_src = [req["created"], *[date_sources.get(s, f"entered_{s}") for s in stage_names]]
    out_of_order = _order_problems(order_cols, order_src, probs, ~drop, raw)
    drop |= dates_of.bad | unknown | bad_amount | blank_id | out_of_order

    reached = _reached(entered, position, len(stage_names))
    last = len(stage_names) - 1
    won = reached[:, last]
    lost_reason = _text(raw, col_for("lost_reason"))
    lost = ~won & (lost_date.notna().to_numpy() | (lost_reason != "").to_numpy())
    is_open = ~won & ~lost & reached[:, _opportunity_index(stage_names)]
    outcome = _outcomes(won, lost, is_open)
    outcome.index = raw.index
    close_date = close_won.where(won, lost_date.where(lost))
    close_date = close_date.fillna(entered.iloc[:, last].where(won))
    status = _text(raw, col_for("lead_status"))
    source = _text(raw, col_for("source"))
    table = _assemble(
        ids=ids,
        created=created,
        source=source,
        channel=_channels(source, channel_mapping or HUBSPOT_SOURCE_CHANNELS),
        owner=_text(raw, col_for("owner")),
        lead_status=status,
        stage=stage,
        entered=entered,
        reached=reached,
        outcome=outcome,
        close_date=close_date,
        amount=amount,
        first_response=first_response,
        offset=2,
        stage_names=stage_names,
    )
    return _finish(
        path=path,
        fmt="hubspot",
        raw=raw,
        table=table,
        probs=probs,
        drop=drop,
        duplicates=n_exact,
        stage_names=stage_names,
        as_of=as_of,
    )


# --------------------------------------------------------------------------- Salesforce

_TRUE = {"true", "1", "yes", "y", "t"}


def _bool(text: pd.Series) -> np.ndarray:
    return text.str.lower().isin(_TRUE).to_numpy()


def load_salesforce(
    leads_path: str | Path,
    opportunities_path: str | Path | None = None,
    *,
    stage_names: Sequence[str] = DEFAULT_STAGE_NAMES,
    stage_mapping: Mapping[str, str | None] | None = None,
    columns: Mapping[str, str] | None = None,
    channel_mapping: Mapping[str, str] | None = None,
    as_of: dt.date | pd.Timestamp | None = None,
) -> IngestResult:
    """Load Salesforce Leads (and Opportunities) report exports into the normalised table.

    Leads are joined to opportunities on ``ConvertedOpportunityId``. Stages: lead =
    ``CreatedDate``; sql = ``ConvertedDate`` (conversion); opportunity = the
    opportunity's ``CreatedDate``; won = its ``CloseDate`` when ``IsWon``. MQL and SAL
    dates are not in a standard export: name custom date fields in ``columns``
    (``{"entered_mql": "MQL_Date__c"}``); otherwise those stages are reached through
    the lead ``Status`` or a later stage. Outcome: ``IsWon`` -> won,
    ``IsClosed`` and not won -> lost, otherwise open.

    Parameters
    ----------
    leads_path, opportunities_path : str or Path
        The two exports (opportunities optional: without it, outcomes are unknown).
    stage_names, stage_mapping, columns, channel_mapping, as_of
        As for :func:`load_hubspot`; ``stage_mapping`` is merged over
        :data:`SALESFORCE_STAGE_MAPPING` (lead ``Status`` and opportunity ``StageName``).

    Returns
    -------
    IngestResult
        ``rows_read`` counts lead rows; problems in the opportunities file are listed
        with that file's name and rows, and its rejected rows are in ``rejects`` too.
    """
    path = Path(leads_path)
    raw = _read_raw(path)
    mapping = {**SALESFORCE_STAGE_MAPPING, **(stage_mapping or {})}
    _check_mapping(mapping, stage_names)
    overrides = dict(columns or {})
    req = _require(
        path,
        raw,
        {
            "id": (overrides.get("id", "Id"),),
            "created": (overrides.get("created", "CreatedDate"),),
            "status": (overrides.get("stage", "Status"),),
            "source": (overrides.get("source", "LeadSource"),),
            "is_converted": ("IsConverted",),
            "converted_date": ("ConvertedDate",),
            "converted_opp": ("ConvertedOpportunityId",),
        },
    )
    probs = _Problems(path.name, 2)
    ids = _text(raw, req["id"])
    custom_cols = {
        key: col
        for key, col in overrides.items()
        if key.startswith("entered_") or key == "first_response"
    }
    for key, col in custom_cols.items():
        if col not in raw.columns:
            raise DataError(path, f"column {col!r} (mapped to {key}) is not in the file")
    dates_of = _Dates(raw, probs, [req["created"], req["converted_date"], *custom_cols.values()])
    created = dates_of(req["created"])
    # dates_of.bad holds only the created column's unparseable cells at this point.
    blank_created = created.isna().to_numpy() & ~dates_of.bad
    probs.add(
        np.flatnonzero(blank_created), req["created"], "missing created date", ids[blank_created]
    )
    converted_date = dates_of(req["converted_date"])
    custom = {key: dates_of(col) for key, col in custom_cols.items()}

    status = _text(raw, req["status"])
    stage, position, unknown = _stage_index(status, mapping, stage_names)
    probs.add(np.flatnonzero(unknown), req["status"], "unknown lead status", status[unknown])

    # Opportunities.
    extra_problems: list[pd.DataFrame] = []
    extra_rejects: list[pd.DataFrame] = []
    opp_cols = ["opp_created", "close", "is_closed", "is_won", "amount", "opp_stage"]
    opp = pd.DataFrame(columns=opp_cols)
    opp_source = "" if opportunities_path is None else f" + {opportunities_path}"
    if opportunities_path is not None:
        opath = Path(opportunities_path)
        oraw = _read_raw(opath)
        oreq = _require(
            opath,
            oraw,
            {
                "id": ("Id",),
                "stage": ("StageName",),
                "amount": ("Amount",),
                "close": ("CloseDate",),
                "created": ("CreatedDate",),
                "is_closed": ("IsClosed",),
                "is_won": ("IsWon",),
            },
        )
        oprobs = _Problems(opath.name, 2)
        oids = _text(oraw, oreq["id"])
        odates_of = _Dates(oraw, oprobs, [oreq["created"], oreq["close"]])
        o_created = odates_of(oreq["created"])
        o_close = odates_of(oreq["close"])
        o_amount, o_badamt = _amount_column(oraw, oreq["amount"], oprobs)
        ostage_text = _text(oraw, oreq["stage"])
        ostage, _opos, ounknown = _stage_index(ostage_text, mapping, stage_names)
        oprobs.add(
            np.flatnonzero(ounknown),
            oreq["stage"],
            "unknown opportunity stage",
            ostage_text[ounknown],
        )
        odrop, _ = _duplicates(oraw, oids, oprobs, oreq["id"])
        is_closed = _bool(_text(oraw, oreq["is_closed"]))
        is_won = _bool(_text(oraw, oreq["is_won"]))
        closed_before = is_closed & (o_close < o_created.dt.normalize()).to_numpy()
        oprobs.add(
            np.flatnonzero(closed_before),
            oreq["close"],
            "date out of order: closed before the opportunity was created",
            _text(oraw, oreq["close"])[closed_before],
        )
        odrop |= odates_of.bad | o_badamt | ounknown | closed_before
        ofr = oprobs.frame()
        extra_problems.append(ofr)
        extra_rejects.append(_rejected_rows(oraw, odrop, ofr, oprobs))
        keep = ~odrop
        opp = pd.DataFrame(
            {
                "opp_created": o_created.to_numpy(),
                "close": o_close.to_numpy(),
                "is_closed": is_closed,
                "is_won": is_won,
                "amount": o_amount.to_numpy(),
                "opp_stage": ostage.to_numpy(),
            },
            index=oids.to_numpy(),
        ).loc[keep]
        opp = opp[~opp.index.duplicated()]

    conv_id = _text(raw, req["converted_opp"])
    is_converted = _bool(_text(raw, req["is_converted"]))
    joined = opp.reindex(conv_id.to_numpy())
    joined.index = raw.index
    if opportunities_path is not None:
        missing = (
            is_converted & (conv_id != "").to_numpy() & joined["opp_created"].isna().to_numpy()
        )
        probs.add(
            np.flatnonzero(missing),
            req["converted_opp"],
            "converted opportunity not in the opportunities file (or rejected there)",
            conv_id[missing],
            action="kept",
        )

    drop, n_exact = _duplicates(raw, ids, probs, req["id"])

    entered = pd.DataFrame(index=raw.index)
    has_opp = joined["opp_created"].notna().to_numpy()
    won = has_opp & joined["is_won"].fillna(False).to_numpy(dtype=bool)
    lost = has_opp & joined["is_closed"].fillna(False).to_numpy(dtype=bool) & ~won
    for s in stage_names:
        col = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[s]")
        if s == "lead":
            col = created
        elif s == "sql":
            col = converted_date.where(pd.Series(is_converted, index=raw.index))
        elif s == "opportunity":
            col = joined["opp_created"].astype("datetime64[s]")
        elif s == stage_names[-1]:
            col = joined["close"].astype("datetime64[s]").where(pd.Series(won, index=raw.index))
        if f"entered_{s}" in custom:
            col = custom[f"entered_{s}"]
        entered[s] = col
    order_src = [
        {
            "lead": req["created"],
            "sql": req["converted_date"],
            "opportunity": "Opportunity.CreatedDate",
        }.get(s, overrides.get(f"entered_{s}", f"entered_{s}"))
        for s in stage_names
    ]
    if stage_names[-1] not in ("lead", "sql", "opportunity"):
        order_src[-1] = "Opportunity.CloseDate"
    # Conversion recorded on a date (no time) may precede a same-day creation time.
    day_entered = entered.apply(lambda c: c.dt.normalize())
    out_of_order = _order_problems(day_entered, order_src, probs, ~drop, raw)
    drop |= dates_of.bad | blank_created | unknown | out_of_order

    # An opportunity's stage (e.g. Closed Won) also tells how far the lead got.
    opp_pos_of = {s: i for i, s in enumerate(stage_names)}
    opp_position = joined["opp_stage"].map(opp_pos_of).fillna(-1).to_numpy(dtype=int)
    position = np.maximum(position, opp_position)
    converted_pos = opp_pos_of.get("sql", -1)
    position = np.where(is_converted, np.maximum(position, converted_pos), position)
    reached = _reached(entered, position, len(stage_names))
    outcome = _outcomes(won, lost, has_opp)
    outcome.index = raw.index
    close_date = (
        joined["close"].astype("datetime64[s]").where(pd.Series(won | lost, index=raw.index))
    )
    source = _text(raw, req["source"])
    table = _assemble(
        ids=ids,
        created=created,
        source=source,
        channel=_channels(source, channel_mapping or SALESFORCE_SOURCE_CHANNELS),
        owner=_text(raw, overrides.get("owner", "OwnerId")),
        lead_status=status,
        stage=stage,
        entered=entered,
        reached=reached,
        outcome=outcome,
        close_date=close_date,
        amount=joined["amount"].astype(float),
        first_response=custom.get(
            "first_response", pd.Series(pd.NaT, index=raw.index, dtype="datetime64[s]")
        ),
        offset=2,
        stage_names=stage_names,
        recycle_statuses=SALESFORCE_RECYCLE_STATUSES,
    )
    return _finish(
        path=path,
        fmt="salesforce",
        raw=raw,
        table=table,
        probs=probs,
        drop=drop,
        duplicates=n_exact,
        stage_names=stage_names,
        as_of=as_of,
        extra_problems=extra_problems,
        extra_rejects=extra_rejects,
        source=f"{path}{opp_source}",
    )


# --------------------------------------------------------------------------- generic


def load_csv(
    path: str | Path,
    columns: Mapping[str, str],
    *,
    stage_names: Sequence[str] = DEFAULT_STAGE_NAMES,
    stage_mapping: Mapping[str, str | None] | None = None,
    channel_mapping: Mapping[str, str] | None = None,
    as_of: dt.date | pd.Timestamp | None = None,
) -> IngestResult:
    """Load a generic CSV or Parquet file with a column mapping.

    Parameters
    ----------
    path : str or Path
        ``.csv`` or ``.parquet``.
    columns : mapping
        Canonical field -> source column. Required: ``id`` and ``created``; optional:
        ``entered_<stage>`` for any stage, ``stage`` (current stage label), ``source``,
        ``channel``, ``owner``, ``lead_status``, ``outcome`` (won/lost/open),
        ``close_date``, ``amount``, ``first_response``.
    stage_mapping : mapping, optional
        Current-stage label -> canonical stage; the canonical names and the labels
        of the default taxonomy are always understood.
    channel_mapping : mapping, optional
        ``source`` value -> channel, used when no ``channel`` column is mapped.
    """
    path = Path(path)
    raw = _read_raw(path)
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
    req = _require(
        path, raw, {"id": (cols.get("id", "id"),), "created": (cols.get("created", "created"),)}
    )
    missing = [f"{c!r} (for {k})" for k, c in cols.items() if c not in raw.columns]
    if missing:
        raise DataError(path, f"missing mapped column(s): {', '.join(missing)}")
    offset = 1 if path.suffix.lower() in {".parquet", ".pq"} else 2
    probs = _Problems(path.name, offset)
    ids = _text(raw, req["id"])
    entered_cols = [cols.get(f"entered_{s}") for s in stage_names]
    dates_of = _Dates(
        raw,
        probs,
        [req["created"], *entered_cols, cols.get("close_date"), cols.get("first_response")],
    )
    created = dates_of(req["created"])
    entered = pd.DataFrame(
        {s: dates_of(col) for s, col in zip(stage_names, entered_cols, strict=True)},
        index=raw.index,
    )
    from alignlib.taxonomy import DEFAULT_STAGES

    mapping: dict[str, str | None] = {s: s for s in stage_names}
    mapping.update({st.label: st.name for st in DEFAULT_STAGES})
    mapping.update(stage_mapping or {})
    labels = _text(raw, cols.get("stage"))
    stage, position, unknown = _stage_index(labels, mapping, stage_names)
    if "stage" in cols:
        probs.add(np.flatnonzero(unknown), cols["stage"], "unknown stage label", labels[unknown])
    amount, bad_amount = _amount_column(raw, cols.get("amount"), probs)
    outcome_text = _text(raw, cols.get("outcome")).str.lower()
    bad_outcome = ~outcome_text.isin(["", "won", "lost", "open"]).to_numpy()
    if "outcome" in cols:
        probs.add(
            np.flatnonzero(bad_outcome),
            cols["outcome"],
            "unknown outcome (expected won, lost or open)",
            outcome_text[bad_outcome],
        )
    drop, n_exact = _duplicates(raw, ids, probs, req["id"])
    blank_id = (ids == "").to_numpy()
    probs.add(np.flatnonzero(blank_id), req["id"], "missing id", ids[blank_id])
    order_src = [req["created"], *[cols.get(f"entered_{s}", f"entered_{s}") for s in stage_names]]
    out_of_order = _order_problems(
        pd.concat([created.rename("created"), entered], axis=1), order_src, probs, ~drop, raw
    )
    # Every date column is read before the drop mask is settled, so an unparseable
    # close date or first response rejects its row, as in the other loaders.
    close_date = dates_of(cols.get("close_date"))
    first_response = dates_of(cols.get("first_response"))
    drop |= dates_of.bad | unknown | bad_amount | bad_outcome | blank_id | out_of_order

    reached = _reached(entered, position, len(stage_names))
    won = reached[:, -1] | (outcome_text == "won").to_numpy()
    outcome = outcome_text.replace("", None).where(~pd.Series(won, index=raw.index), "won")
    if "outcome" not in cols:
        is_open = reached[:, _opportunity_index(stage_names)]
        outcome = pd.Series(np.where(won, "won", np.where(is_open, "open", None)), index=raw.index)
    close_date = close_date.fillna(entered.iloc[:, -1].where(pd.Series(won, index=raw.index)))
    if "channel" in cols:
        channel = _text(raw, cols["channel"]).replace("", OTHER_CHANNEL)
    elif channel_mapping:
        channel = _channels(_text(raw, cols.get("source")), channel_mapping)
    else:  # no mapping: the source values are the channels
        channel = _text(raw, cols.get("source")).replace("", OTHER_CHANNEL)
    status = _text(raw, cols.get("lead_status"))
    table = _assemble(
        ids=ids,
        created=created,
        source=_text(raw, cols.get("source")),
        channel=channel,
        owner=_text(raw, cols.get("owner")),
        lead_status=status,
        stage=stage,
        entered=entered,
        reached=reached,
        outcome=outcome,
        close_date=close_date,
        amount=amount,
        first_response=first_response,
        offset=offset,
        stage_names=stage_names,
    )
    return _finish(
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


# --------------------------------------------------------------------------- entry points


def load_export(
    path: str | Path,
    format: str = "hubspot",
    *,
    opportunities: str | Path | None = None,
    stage_names: Sequence[str] = DEFAULT_STAGE_NAMES,
    stage_mapping: Mapping[str, str | None] | None = None,
    columns: Mapping[str, str] | None = None,
    as_of: dt.date | pd.Timestamp | None = None,
) -> IngestResult:
    """Load an export by format name (``hubspot``, ``salesforce`` or ``csv``).

    For ``hubspot`` an ``opportunities`` file is not used (HubSpot contacts carry
    their own outcome); for ``salesforce`` ``path`` is the Leads export.
    """
    kw: dict[str, Any] = {
        "stage_names": stage_names,
        "stage_mapping": stage_mapping,
        "as_of": as_of,
    }
    if format == "hubspot":
        return load_hubspot(path, columns=columns, **kw)
    if format == "salesforce":
        return load_salesforce(path, opportunities, columns=columns, **kw)
    if format == "csv":
        if not columns:
            raise InputError("format csv needs a column mapping (actuals.columns: field -> column)")
        return load_csv(path, columns, **kw)
    raise InputError(f"unknown export format {format!r}; use hubspot, salesforce or csv")


def load_actuals(params: QuarterParams) -> IngestResult:
    """Load the CRM export a parameters file points at (``actuals``), with its mapping."""
    a = params.actuals
    if a is None:
        raise InputError(f"{params.source_path}: no actuals section: nothing to load")
    path = a.crm_export
    if a.format == "salesforce" and a.leads is not None:
        path = a.leads
    return load_export(
        path,
        a.format,
        opportunities=a.opportunities if a.format == "salesforce" else None,
        stage_names=params.stage_names,
        stage_mapping=a.stage_mapping,
        columns=a.columns,
        as_of=a.as_of,
    )


def load_spend(path: str | Path) -> pd.DataFrame:
    """Read the monthly spend file: columns ``month`` (YYYY-MM), ``channel``, ``spend``.

    Returns
    -------
    pandas.DataFrame
        ``month`` (Period[M]), ``channel`` (str), ``spend`` (float), ``currency``
        (when the file has it); one row per month and channel (repeats summed).

    Raises
    ------
    DataError
        Missing columns, unparseable months, non-numeric or negative spend.
    """
    path = Path(path)
    raw = _read_raw(path)
    _require(path, raw, {"month": ("month",), "channel": ("channel",), "spend": ("spend",)})
    month_text = _text(raw, "month")
    month = pd.to_datetime(month_text, format="%Y-%m", errors="coerce")
    bad = month.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(path, f"line {i + 2}: month {month_text.iloc[i]!r} is not YYYY-MM")
    spend, bad_spend = _amounts(_text(raw, "spend"))
    bad_spend |= spend.isna().to_numpy() | (spend < 0).to_numpy()
    if bad_spend.any():
        i = int(np.flatnonzero(bad_spend)[0])
        raise DataError(path, f"line {i + 2}: spend {raw['spend'].iloc[i]!r} is not an amount >= 0")
    out = pd.DataFrame(
        {"month": month.dt.to_period("M"), "channel": _text(raw, "channel"), "spend": spend}
    )
    out = out.groupby(["month", "channel"], as_index=False)["spend"].sum()
    if "currency" in raw.columns:
        cur = _text(raw, "currency").unique()
        if len(cur) > 1:
            raise DataError(path, f"more than one currency: {', '.join(map(str, cur))}")
        out["currency"] = cur[0]
    return out


REJECTS_SUFFIX = "rejects-contains-personal-data.csv"


def default_rejects_path(source: str | Path, folder: str | Path | None = None) -> Path:
    """Where :func:`write_rejects` writes by default: ``<folder>/<stem>.rejects-contains-personal-data.csv``."""
    from alignlib.paths import OUTPUTS_DIR

    source = Path(source)
    return Path(folder or OUTPUTS_DIR) / f"{source.stem}.{REJECTS_SUFFIX}"


def write_rejects(result: IngestResult, path: str | Path) -> Path:
    """Write the rejected rows atomically (temp file + rename); return the path.

    The rows hold personal data (names, emails): the file name should say so
    (see :func:`default_rejects_path`); a name without ``personal-data`` is refused.
    """
    path = Path(path)
    if "personal-data" not in path.name:
        raise InputError(
            f"{path}: a rejects file holds personal data; its name must say so "
            f"(e.g. {path.with_name(path.stem + '.' + REJECTS_SUFFIX).name})"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            result.rejects.to_csv(fh, index=False, lineterminator="\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
