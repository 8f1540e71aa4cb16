"""The normalised table every loader builds, and :class:`IngestResult`, what a loader returns."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alignlib.crm._docs import STAGE_NAMES, TEXT_VALUES
from alignlib.crm.labels import fold_channels
from alignlib.crm.problems import (
    FIELD_DROPPED,
    PROBLEM_COLUMNS,
    REJECTED,
    Problems,
    RowProblem,
)
from alignlib.crm.read import arrow_text, malformed_rows
from alignlib.crm.rejects import rejected_rows
from alignlib.docstrings import shared_doc
from alignlib.taxonomy import DEFAULT_STAGE_NAMES

#: HubSpot ``Lead Status`` values that mean "returned to nurture" / "disqualified".
RECYCLE_STATUSES = frozenset({"Bad Timing", "Recycled", "Nurture"})
DISQUALIFIED_STATUSES = frozenset({"Unqualified", "Disqualified"})

#: Rows from which the accepted columns are filtered on two threads.
THREADED_ROWS = 100_000


@shared_doc(parameters=STAGE_NAMES)
def table_columns(stage_names: Sequence[str] = DEFAULT_STAGE_NAMES) -> list[str]:
    """Column names of the normalised table for a company's stages, in order.

    Returns
    -------
    list of str
        ``id``, ``row``, ``created``, ..., ``deal_name`` (the deal's or account's name
        where the export has one: a business record, never a contact's), ``entered_<stage>``, ``reached_<stage>``, ...
    """
    return [
        "id",
        "row",
        "created",
        "source",
        "channel",
        "owner",
        "deal_name",
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
        The date the export was taken (given, or the latest plausible date in it).
    source : str
        The file(s) read.
    format : str
        ``hubspot``, ``salesforce`` or ``csv``.
    rejects : pandas.DataFrame
        The rejected raw rows, and the rows kept without a bad field, with ``_file``,
        ``_row``, ``_problems`` and ``_kept`` columns first
        (:func:`~alignlib.crm.rejects.rejected_rows`). Holds personal data: write it
        only with :func:`alignlib.crm.write_rejects`.
    as_of_source : str
        Where ``as_of`` comes from: ``params`` (given), ``latest date`` (the latest
        plausible date in the export) or ``file date`` (no dates: the file's
        modification date), for reports to state.
    source_name : str
        How pages name the source when ``source`` is not a file: a warehouse table
        and the kind of database, never its URL (see :attr:`source_label`).
    rejected_reached : dict
        Stage -> rejected rows that had reached it (what the rejections removed from
        each stage; :func:`alignlib.crm.summary.stage_losses`).
    kept_with_dropped_field : int
        Accepted rows kept without one or more bad optional fields (an amount that is
        no number, a stage date out of order); ``accepted_whole`` are the others.
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
    as_of_source: str = "params"
    source_name: str = ""
    rejected_reached: Mapping[str, int] = field(default_factory=dict)
    kept_with_dropped_field: int = 0

    @property
    def accepted_whole(self) -> int:
        """Accepted rows with every field as written (none dropped)."""
        return self.accepted - self.kept_with_dropped_field

    @property
    def dropped_fields(self) -> dict[str, dict[str, Any]]:
        """Per field dropped from kept rows: how many, the first example and why.

        Returns
        -------
        dict
            Field (the source column; ``file: column`` when two files share a
            name) -> ``{"count", "file", "row", "value", "reason", "reasons"}``:
            ``row``/``value``/``reason`` are the first occurrence's, ``reasons`` each
            reason's count (most frequent first).
        """
        from alignlib.crm.problems import FIELD_DROPPED

        p = self.problems_frame
        p = p[p["action"] == FIELD_DROPPED]
        out: dict[str, dict[str, Any]] = {}
        if p.empty:
            return out
        clash = p.groupby("field")["file"].nunique()
        for (file, col), g in p.groupby(["file", "field"], sort=False):
            g = g.sort_values("row", kind="stable")
            first = g.iloc[0]
            key = f"{file}: {col}" if clash[col] > 1 else str(col)
            reasons = g["reason"].map(_without_dates).value_counts()
            out[key] = {
                "count": int(g["row"].nunique()),
                "file": str(file),
                "row": int(first["row"]),
                "value": str(first["value"]),
                "reason": _without_dates(str(first["reason"])),
                "reasons": {str(r): int(n) for r, n in reasons.items()},
            }
        return dict(sorted(out.items(), key=lambda kv: -kv[1]["count"]))

    @property
    def source_label(self) -> str:
        """The source as a page names it: file names, or a table and the kind of database.

        Never a path's folders nor a URL (a URL may carry credentials).
        """
        if self.source_name:
            return self.source_name
        return " + ".join(Path(p.strip()).name for p in self.source.split(" + "))

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
            "as_of_source": self.as_of_source,
            "rows": self.rows_read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "accepted_whole": self.accepted_whole,
            "kept_with_dropped_field": self.kept_with_dropped_field,
            "dropped_fields": self.dropped_fields,
            "reached": self.reached(),
            "problems": [
                {**r, "row": int(r["row"])} for r in self.problems_frame.to_dict("records")
            ],
        }


def _without_dates(reason: str) -> str:
    """A reason without the dates in it (``before Became a Lead Date (2026-01-05 09:00)``)."""
    import re

    return re.sub(r"\s*\(\d{4}-\d{2}-\d{2}[^)]*\)", "", reason)


def frame_of(columns: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Columns side by side without copying them into one block (``pd.concat``).

    Parameters
    ----------
    columns : mapping
        Name -> column, all on one index.

    Returns
    -------
    pandas.DataFrame
        The columns in the mapping's order.
    """
    return pd.concat(list(columns.values()), axis=1, keys=list(columns))


@shared_doc(parameters=TEXT_VALUES)
def text_column(values: pd.Series) -> Any:
    """A text column as a pyarrow array with blanks and missing values as nulls.

    Returns
    -------
    pyarrow.LargeStringArray
        Null where blank or missing.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if values.dtype == object:
        arr = pa.array(values.to_numpy(), type=pa.large_string(), from_pandas=True)
    else:
        arr = arrow_text(values)
    keep = pc.fill_null(pc.not_equal(arr, ""), False)
    if arr.type == pa.large_string() and arr.offset == 0 and keep.offset == 0:
        # Same offsets and characters; only the validity bitmap changes.
        return pa.LargeStringArray.from_buffers(
            len(arr), arr.buffers()[1], arr.buffers()[2], keep.buffers()[1]
        )
    return pc.if_else(keep, arr, pa.scalar(None, pa.large_string()))


def _datetimes(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[s]")


def assemble(
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
    outside: np.ndarray | None = None,
    deal_name: pd.Series | None = None,
) -> dict[str, Any]:
    """The normalised table's columns over every row read (numpy, or pyarrow for text).

    :func:`finish` drops the rejected rows and builds the DataFrame. ``recycled``
    and ``disqualified`` come from ``lead_status``: one of ``recycle_statuses`` /
    :data:`DISQUALIFIED_STATUSES`.

    Parameters
    ----------
    ids, created, source, channel, owner, lead_status, stage : pandas.Series
        One value per row read.
    entered : pandas.DataFrame
        One date column per stage, top to bottom.
    reached : numpy.ndarray
        Boolean (rows, stages).
    outcome, close_date, amount, first_response : pandas.Series
        One value per row read.
    offset : int
        Line number of the first data row.
    stage_names : sequence of str
        The company's stages.
    recycle_statuses : frozenset of str
        Lead statuses that mean "returned to nurture".
    outside : numpy.ndarray, optional
        True where the row's stage label places it outside the funnel (a HubSpot
        subscriber): :func:`settle_funnel` does not make it a first-stage contact.
        Default: no row is outside.
    deal_name : pandas.Series, optional
        The name of the deal (or account) of each row, where the export has one.

    Returns
    -------
    dict
        Column name -> numpy or pyarrow array, every row read (and ``_outside``,
        which :func:`finish` takes out).
    """
    data: dict[str, Any] = {
        "id": text_column(ids),
        "row": np.arange(len(ids)) + offset,
        "created": _datetimes(created),
        "source": text_column(source),
        "channel": text_column(fold_channels(channel)),
        "owner": text_column(owner),
        "deal_name": text_column(
            deal_name if deal_name is not None else pd.Series("", index=ids.index, dtype="str")
        ),
        "lead_status": text_column(lead_status),
        "stage": text_column(stage),
    }
    for j, s in enumerate(stage_names):
        data[f"entered_{s}"] = _datetimes(entered.iloc[:, j])
    for j, s in enumerate(stage_names):
        data[f"reached_{s}"] = np.ascontiguousarray(reached[:, j])  # a view if F-ordered
    data.update(
        outcome=text_column(outcome),
        close_date=_datetimes(close_date),
        amount=np.asarray(amount, dtype=float),
        first_response=_datetimes(first_response),
        recycled=lead_status.isin(recycle_statuses).to_numpy(),
        disqualified=lead_status.isin(DISQUALIFIED_STATUSES).to_numpy(),
    )
    data["_outside"] = (
        np.zeros(len(ids), dtype=bool) if outside is None else np.asarray(outside, dtype=bool)
    )
    return data


@dataclass(frozen=True)
class Settled:
    """What :func:`settle_funnel` found: the outcomes it could not place in time.

    Attributes
    ----------
    won_undated, lost_undated : numpy.ndarray
        Row positions of won (lost) rows with neither a close date nor a last-stage
        date: counted for rates, not for lags, months or bookings by date.
    """

    won_undated: np.ndarray
    lost_undated: np.ndarray


def _outcome_is(outcome: Any, label: str) -> np.ndarray:
    """Boolean mask of ``outcome == label`` for a pyarrow, pandas or numpy column."""
    if isinstance(outcome, np.ndarray | pd.Series):
        return (pd.Series(outcome, dtype="object") == label).to_numpy(dtype=bool)
    import pyarrow.compute as pc

    return pc.fill_null(pc.equal(outcome, label), False).to_numpy(zero_copy_only=False)


@shared_doc(parameters=STAGE_NAMES)
def settle_funnel(
    columns: dict[str, Any],
    stage_names: Sequence[str],
    kept: np.ndarray | None = None,
) -> Settled:
    """Make stages, outcomes and dates agree, the same way for every source format.

    Run once over the assembled columns (:func:`finish`) and again after a deals
    table is joined (:func:`alignlib.crm.deals.join_deals`), in place:

    - every row reaches the first stage (unless its stage label places it outside
      the funnel and it reached nothing), on its created date when it has no date
      of its own for the stage; a later stage's earlier date wins over the created
      date, so the funnel order holds;
    - a won outcome reaches every stage, the last on its close date (a last-stage
      date without a close date becomes the close date);
    - a lost outcome keeps its close date as the date it was lost (there is no
      lost stage).

    Parameters
    ----------
    columns : dict
        Column name -> array, as :func:`assemble` builds them (``_outside`` optional);
        the ``entered_``, ``reached_`` and ``close_date`` arrays are replaced.
    kept : numpy.ndarray, optional
        Rows still accepted (the undated outcomes are counted among these only).

    Returns
    -------
    Settled
        The won and lost rows with no date at all.
    """
    n = len(columns["created"])
    kept = np.ones(n, dtype=bool) if kept is None else kept
    first, last = stage_names[0], stage_names[-1]
    won = _outcome_is(columns["outcome"], "won")
    lost = _outcome_is(columns["outcome"], "lost") & ~won
    outside = np.asarray(columns.get("_outside", np.zeros(n, dtype=bool)), dtype=bool)
    nat = np.datetime64("NaT", "s")

    def dates(name: str) -> np.ndarray:
        return np.asarray(columns[name], dtype="datetime64[s]").copy()

    close = dates("close_date")
    last_date = dates(f"entered_{last}")
    last_date = np.where(won & np.isnat(last_date), close, last_date)
    close = np.where(won & np.isnat(close), last_date, close)
    columns[f"entered_{last}"] = last_date
    columns["close_date"] = close

    reached_any = np.zeros(n, dtype=bool)
    for s in stage_names:
        reached = np.asarray(columns[f"reached_{s}"], dtype=bool) | won
        columns[f"reached_{s}"] = reached
        reached_any |= reached
    first_reached = reached_any | ~outside
    columns[f"reached_{first}"] = first_reached

    entered_first = dates(f"entered_{first}")
    earliest_later = np.full(n, nat)
    for s in stage_names[1:]:
        later = np.asarray(columns[f"entered_{s}"], dtype="datetime64[s]")
        earliest_later = np.where(
            np.isnat(earliest_later) | (later < earliest_later), later, earliest_later
        )
    created = np.asarray(columns["created"], dtype="datetime64[s]")
    fill = np.where(
        np.isnat(created) | (~np.isnat(earliest_later) & (earliest_later < created)),
        earliest_later,
        created,
    )
    entered_first = np.where(first_reached & np.isnat(entered_first), fill, entered_first)
    columns[f"entered_{first}"] = entered_first
    no_date = np.isnat(close) & kept
    return Settled(
        won_undated=np.flatnonzero(won & no_date & np.isnat(last_date)),
        lost_undated=np.flatnonzero(lost & no_date),
    )


@shared_doc(parameters=STAGE_NAMES)
def settle_frame(table: pd.DataFrame, stage_names: Sequence[str]) -> pd.DataFrame:
    """:func:`settle_funnel` over a normalised table (after a deals table is joined).

    Parameters
    ----------
    table : pandas.DataFrame
        A normalised table (:func:`table_columns`).

    Returns
    -------
    pandas.DataFrame
        A copy with stages, outcomes and dates settled (the table itself when already so).
    """
    names = [
        "created",
        "outcome",
        "close_date",
        *[f"entered_{s}" for s in stage_names],
        *[f"reached_{s}" for s in stage_names],
    ]
    columns: dict[str, Any] = {c: table[c].to_numpy() for c in names}
    columns["outcome"] = table["outcome"].astype(object).to_numpy()
    # Rows outside the funnel reached nothing: they stay out.
    columns["_outside"] = ~np.logical_or.reduce(
        [table[f"reached_{s}"].to_numpy(dtype=bool) for s in stage_names]
    )
    settle_funnel(columns, stage_names)
    out = table.copy()
    for c in names:
        if c.startswith(("entered_", "reached_")) or c == "close_date":
            out[c] = columns[c]
    return out


def undated_outcome_problems(settled: Settled, probs: Problems, ids: Any) -> None:
    """One kept problem each for the won and the lost outcomes without any date.

    Parameters
    ----------
    settled : Settled
        From :func:`settle_funnel`.
    probs : Problems
        The file's problems (the first such row is named, with its count).
    ids : array
        Each row's id (the value shown).
    """
    for what, rows in (("won", settled.won_undated), ("lost", settled.lost_undated)):
        if not len(rows):
            continue
        probs.add(
            rows[:1],
            "outcome",
            f"{len(rows):,} {what} outcome(s) have no close date (nor a {what} date): "
            "counted in conversion and win rates, not placed in a month, lag or "
            "bookings by date",
            [str(ids[int(rows[0])])],
            action="kept",
        )


def keep_rows(values: Any, keep: np.ndarray) -> Any:
    """Rows of one assembled column where ``keep`` (pyarrow filter for text, numpy else).

    Parameters
    ----------
    values : numpy.ndarray or pyarrow.Array
        One column from :func:`assemble`.
    keep : numpy.ndarray
        Rows to keep.

    Returns
    -------
    numpy.ndarray or pandas.Series
        The kept rows (text as a ``str`` Series).
    """
    if isinstance(values, np.ndarray):
        return values if keep.all() else values[keep]
    import pyarrow as pa

    return pd.Series(values if keep.all() else values.filter(pa.array(keep)), dtype="str")


def accepted_frame(
    columns: Mapping[str, Any], keep: np.ndarray, order: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The accepted rows of the assembled columns as a DataFrame (columns in ``order``).

    Each numpy column is filtered straight into its own block, which pandas takes
    as it is (``pandas.api.internals``), so the million-row table is copied once,
    not filtered and then copied again into consolidated blocks. Falls back to the
    ordinary constructor if that API is missing.

    Parameters
    ----------
    columns : mapping
        From :func:`assemble`.
    keep : numpy.ndarray
        Accepted rows.
    order : sequence of str
        Column order (:func:`table_columns`).

    Returns
    -------
    tuple
        (the table, column name -> filtered column).
    """
    m = int(keep.sum())
    index = pd.RangeIndex(m)
    try:
        from pandas.api.internals import create_dataframe_from_blocks
    except ImportError:  # pragma: no cover - older pandas
        filtered = {c: keep_rows(columns[c], keep) for c in order}
        return pd.DataFrame(filtered, index=index), filtered
    keep_all = bool(keep.all())
    rows = np.flatnonzero(keep)

    def one(i: int) -> tuple[Any, Any]:
        """(block, filtered column) for column ``order[i]``."""
        v = columns[order[i]]
        if not isinstance(v, np.ndarray):
            text = keep_rows(v, keep)
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
    if m >= THREADED_ROWS:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            done = list(pool.map(one, range(len(order))))
    else:
        done = [one(i) for i in range(len(order))]
    blocks = [(block, np.array([i])) for i, (block, _) in enumerate(done)]
    filtered = {c: col for c, (_, col) in zip(order, done, strict=True)}
    frame = create_dataframe_from_blocks(blocks, index=index, columns=pd.Index(list(order)))
    return frame, filtered


def finish(
    *,
    path: Path,
    fmt: str,
    raw: pd.DataFrame,
    table: Mapping[str, Any],
    probs: Problems,
    drop: np.ndarray,
    duplicates: int,
    stage_names: Sequence[str],
    as_of: dt.date | pd.Timestamp | None,
    extra_problems: Sequence[pd.DataFrame] = (),
    extra_rejects: Sequence[pd.DataFrame] = (),
    source: str | None = None,
) -> IngestResult:
    """Put a loader's result together: accepted table, problems, rejects and counts.

    Parameters
    ----------
    path : Path
        The main file read.
    fmt : str
        Format name (``hubspot``, ``salesforce``, ``csv``).
    raw : pandas.DataFrame
        The main file's raw table.
    table : mapping
        From :func:`assemble`.
    probs : Problems
        The main file's problems.
    drop : numpy.ndarray
        Rows rejected.
    duplicates : int
        Exact duplicate copies.
    stage_names : sequence of str
        The company's stages.
    as_of : date, optional
        When the export was taken (default: the latest date among accepted rows).
    extra_problems, extra_rejects : sequence of pandas.DataFrame
        Problems and rejected rows of other files read (Salesforce opportunities).
    source : str, optional
        What to call the source (default: ``path``).

    Returns
    -------
    IngestResult
    """
    drop, line_of = _malformed(raw, probs, drop, table)
    rejected_with_fields(probs, drop)
    table = dict(table)
    settled = settle_funnel(table, stage_names, ~drop)
    table.pop("_outside", None)
    undated_outcome_problems(settled, probs, table["id"])
    frame = probs.frame()
    if line_of is not None:
        frame["row"] = line_of(frame["_pos"].to_numpy())
    parts = [frame, *extra_problems]
    all_problems = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else frame
    )
    rejects = rejected_rows(raw, drop, frame, probs)
    if line_of is not None and len(rejects):
        rejects["_row"] = line_of(rejects["_row"].to_numpy() - probs.offset)
    if extra_rejects:
        rejects = pd.concat([rejects, *extra_rejects], ignore_index=True)
    # Rejected rows leave every column once, as the table is put together.
    accepted_table, filtered = accepted_frame(table, ~drop, table_columns(stage_names))
    as_of_source = "params"
    if as_of is None:
        as_of_source = "latest date"
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
        if pd.notna(latest):
            as_of_ts = pd.Timestamp(latest).normalize()
        else:
            as_of_source = "file date"
            mtime = raw.attrs.get("mtime")
            as_of_ts = (
                pd.Timestamp(mtime, unit="s") if mtime is not None else pd.Timestamp.today()
            ).normalize()
    else:
        as_of_ts = pd.Timestamp(as_of)
    return IngestResult(
        table=accepted_table,
        problems_frame=all_problems[PROBLEM_COLUMNS].reset_index(drop=True),
        rows_read=len(raw),
        accepted=int((~drop).sum()),
        rejected=int(drop.sum()),
        duplicates=duplicates,
        stage_names=tuple(stage_names),
        as_of=as_of_ts,
        source=source or str(path),
        format=fmt,
        rejects=rejects.reset_index(drop=True),
        as_of_source=as_of_source,
        rejected_reached={
            s: int(np.asarray(table[f"reached_{s}"], dtype=bool)[drop].sum())
            for s in stage_names
            if f"reached_{s}" in table
        },
        kept_with_dropped_field=int(frame.loc[frame["action"] == FIELD_DROPPED, "_pos"].nunique()),
    )


def rejected_with_fields(probs: Problems, drop: np.ndarray) -> None:
    """Mark the dropped fields of rows rejected anyway as rejected (in place).

    A row rejected for its id keeps no field: its bad amount went to the rejects
    file with it, so it is no "kept without the amount".

    Parameters
    ----------
    probs : Problems
        The file's problems.
    drop : numpy.ndarray
        Rows rejected.
    """
    for i, part in enumerate(probs.parts):
        hit = (part["action"] == FIELD_DROPPED).to_numpy() & drop[part["_pos"].to_numpy()]
        if hit.any():
            probs.parts[i] = part.assign(action=np.where(hit, REJECTED, part["action"]))


def _malformed(
    raw: pd.DataFrame, probs: Problems, drop: np.ndarray, table: Mapping[str, Any]
) -> tuple[np.ndarray, Any]:
    """Reject the blank rows that hold malformed lines' places, with one problem each.

    The loaders' checks saw a blank row there (missing id, ...): those problems
    give way to the one that says what is wrong with the line. Returns the drop
    mask and, when a malformed row spans several lines, position -> line number.
    """
    bad = malformed_rows(raw)
    if not bad:
        return drop, None
    pos = np.array([m.position for m in bad], dtype=np.int64)
    probs.parts = [p[~p["_pos"].isin(pos)] for p in probs.parts]
    probs.add(pos, "(whole line)", [m.reason for m in bad], [""] * len(bad))
    drop = drop.copy()
    drop[pos] = True
    spans = np.array([m.lines - 1 for m in bad], dtype=np.int64)
    if not spans.any():
        return drop, None
    shift = np.r_[0, np.cumsum(spans)]

    def line_of(positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.int64)
        return positions + probs.offset + shift[np.searchsorted(pos, positions, side="left")]

    if "row" in table:
        table["row"][:] = line_of(np.arange(len(table["row"])))
    return drop, line_of
