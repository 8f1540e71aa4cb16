"""A deals file to join, for ``--suggest``: found beside the leads export by its values.

Some sources export their leads and their deals as two files (Olist: MQLs, and the
closed deals joined on ``mql_id``). The loader joins them through ``actuals.deals:
{file, key, columns}`` (:func:`alignlib.crm.deals.join_deals`); this module finds such
a file in the leads export's folder (a CSV or Parquet file with a column whose values
are the leads' ids) and drafts its ``deals:`` block, each guess marked ``# check``.
Only column names, file names and counts are returned, never a value.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alignlib.crm.read import PARQUET_SUFFIXES, ReadOptions, read_raw, text
from alignlib.crm.rejects import REJECTS_SUFFIX

#: Files of the folder looked at, at most (a folder of exports, not a data lake).
MAX_FILES = 40
#: Share of a column's filled values that must be lead ids for it to be the key.
KEY_SHARE = 0.9
#: Share of a money column's filled values that may be 0 before it is no deal amount.
MAX_ZERO_SHARE = 0.5

_ID_NAME = re.compile(r"(^|[^a-z])(id|key|uuid)$")
_WON_DATE = re.compile(r"(^|[^a-z])(won|win|signed|booked)([^a-z]|$)")
_CLOSE_DATE = re.compile(r"(clos|end|finish)")


@dataclass(frozen=True)
class DealsDraft:
    """A deals file found beside the leads: its key and the columns to map.

    Attributes
    ----------
    file : str
        The deals file (in the leads export's folder, written as the export is).
    key : str
        Its column holding the lead's id.
    columns : dict
        Deals field (``entered_<stage>``, ``close_date``, ``owner``, ``amount`` ...)
        -> column.
    reasons : dict
        Field (and ``key``) -> why it was guessed (the ``# check`` comment).
    notes : tuple of str
        What else to say (columns seen and not proposed).
    """

    file: str
    key: str
    columns: dict[str, str]
    reasons: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def yaml_lines(self, quote: Callable[[str], str]) -> list[str]:
        """The ``deals:`` block, indented under ``actuals:``.

        Parameters
        ----------
        quote : callable
            Quotes a string for YAML (the draft's own quoting).

        Returns
        -------
        list of str
        """
        q = quote
        lines = [
            f"  deals:  # check: {self.reasons.get('file', 'a second file')}",
            f"    file: {q(self.file)}",
            f"    key: {q(self.key)}  # check: {self.reasons.get('key', '')}",
        ]
        if self.columns:
            lines.append("    columns:")
            for k, v in self.columns.items():
                why = self.reasons.get(k)
                lines.append(f"      {k}: {q(v)}" + (f"  # check: {why}" if why else ""))
        lines += [f"    # {n}" for n in self.notes]
        return lines


def _header(path: Path) -> list[str]:
    """A CSV's header names (the first line only), or a Parquet file's columns; [] if neither."""
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            import pyarrow.parquet as pq

            return [str(c) for c in pq.read_schema(path).names]
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
            line = fh.readline(64 * 1024)
        dialect_delims = max((",", ";", "\t"), key=line.count)
        return next(csv.reader([line], delimiter=dialect_delims), [])
    except (OSError, ValueError):
        return []


def _candidates(leads: Path) -> list[Path]:
    """Other CSV and Parquet files in the leads export's folder (rejects files left out)."""
    folder = leads.parent
    try:
        files = sorted(p for p in folder.iterdir() if p.is_file())
    except OSError:
        return []
    keep = [
        p
        for p in files
        if p.suffix.lower() in (".csv", *PARQUET_SUFFIXES)
        and p.resolve() != leads.resolve()
        and not p.name.endswith(REJECTS_SUFFIX)
    ]
    return keep[:MAX_FILES]


def find_deals(
    leads: str | Path,
    raw: pd.DataFrame,
    id_col: str,
    stage_names: tuple[str, ...],
    options: ReadOptions | None = None,
) -> DealsDraft | None:
    """The deals file beside ``leads`` whose key column holds the leads' ids, drafted.

    A candidate must have a column named like the leads' id column, or any column
    most of whose filled values (:data:`KEY_SHARE`) are lead ids; the file whose key
    matches the most leads wins.

    Parameters
    ----------
    leads : str or Path
        The leads export (its folder is searched).
    raw : pandas.DataFrame
        The leads as read.
    id_col : str
        The leads' id column.
    stage_names : tuple of str
        The company's stages (a won date maps to the last stage).
    options : ReadOptions, optional
        How to read files (encoding, delimiter).

    Returns
    -------
    DealsDraft or None
        None when no file in the folder holds the leads' ids.
    """
    leads = Path(leads)
    ids = pd.Index(text(raw, id_col).to_numpy())
    ids = ids[ids != ""]
    if ids.empty:
        return None
    best: tuple[int, Path, str, pd.DataFrame] | None = None
    for path in _candidates(leads):
        header = _header(path)
        # Read only a file that may hold a key: the same column, or one named like an id.
        if not any(c == id_col or _ID_NAME.search(c.casefold()) for c in header):
            continue
        try:
            deals = read_raw(path, options)
        except Exception:  # a file that does not read is no deals file: pass it over
            continue
        order = sorted(header, key=lambda c: c != id_col)  # the same name first
        for col in order:
            if col not in deals.columns:
                continue
            values = text(deals, col)
            filled = values[values != ""]
            if filled.empty:
                continue
            matched = int(ids.isin(filled.to_numpy()).sum())
            share = float(filled.isin(ids).mean())
            if share >= KEY_SHARE and (best is None or matched > best[0]):
                best = (matched, path, col, deals)
            if share >= KEY_SHARE:
                break
    if best is None:
        return None
    matched, path, key, deals = best
    shown = leads.parent / path.name if str(leads.parent) != "." else Path(path.name)
    draft = _draft_columns(deals, key, stage_names)
    reasons = {
        "file": f"{path.name} beside the export: {len(deals):,} rows whose {key} is a lead's id",
        "key": f"matches {matched:,} of the {len(ids):,} leads",
        **draft[1],
    }
    return DealsDraft(str(shown), key, draft[0], reasons, draft[2])


def leads_beside(
    path: str | Path, raw: pd.DataFrame, id_col: str, options: ReadOptions | None = None
) -> str | None:
    """A note when ``path`` looks like the deals of a bigger leads file beside it.

    Its id column's values are (nearly all, :data:`KEY_SHARE`) ids of a file in the
    same folder with more rows and a column of the same name: the draft for that file
    joins this one (:func:`find_deals`).

    Parameters
    ----------
    path : str or Path
        The export ``--suggest`` reads.
    raw : pandas.DataFrame
        It, as read.
    id_col : str
        Its id column.
    options : ReadOptions, optional
        How to read files.

    Returns
    -------
    str or None
        The note, or None when no such file is there.
    """
    path = Path(path)
    ids = text(raw, id_col)
    ids = ids[ids != ""]
    if ids.empty:
        return None
    for other in _candidates(path):
        if id_col not in _header(other):
            continue
        try:
            leads = read_raw(other, options)
        except Exception:  # a file that does not read is no leads file: pass it over
            continue
        if len(leads) <= len(raw) or id_col not in leads.columns:
            continue
        share = float(ids.isin(text(leads, id_col).to_numpy()).mean())
        if share >= KEY_SHARE:
            return (
                f"Its {id_col} values are ids of {other.name} beside it ({len(leads):,} rows): "
                f"this looks like that file's deals. Run --suggest on {other.name} to draft "
                "both, joined (actuals.deals)."
            )
    return None


def _draft_columns(
    deals: pd.DataFrame, key: str, stage_names: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, str], tuple[str, ...]]:
    """(field -> column, field -> why, notes) for a deals file, from its names and values."""
    from alignlib.crm.suggest import guess_columns
    from alignlib.crm.suggest_values import guess_from_values

    found = {k: v for k, v in guess_columns(list(map(str, deals.columns)), stage_names).items()}
    found = {k: v for k, v in found.items() if v != key}
    values = guess_from_values(deals, {**found, "id": key})
    guesses = {**found, **values.columns}
    reasons = dict(values.reasons)
    columns: dict[str, str] = {}
    notes: list[str] = []
    last = f"entered_{stage_names[-1]}"
    dates = [c for c in values.date_columns if c != key]
    for k in ("created", "close_date"):
        if k in guesses and guesses[k] not in dates:
            dates.append(guesses[k])
    won_dates = [c for c in dates if _WON_DATE.search(c.casefold())]
    has_outcome = "outcome" in guesses or "stage" in guesses
    if won_dates:
        columns[last] = won_dates[0]
        reasons[last] = (
            "named like a won date: a deal with it reached "
            f"{stage_names[-1]} then (no outcome column needed)"
        )
    for c in dates:
        if c in columns.values():
            continue
        if _CLOSE_DATE.search(c.casefold()) and "close_date" not in columns:
            columns["close_date"] = c
            reasons.setdefault("close_date", "named like a close date")
        elif "created" not in columns and c == guesses.get("created"):
            columns["created"] = c
            reasons.setdefault("created", "the deal's earliest date")
    if has_outcome:
        for k in ("outcome", "stage"):
            if k in guesses:
                columns[k] = guesses[k]
    elif not won_dates:
        notes.append(
            "No outcome, stage or won date found: a deal is won when it reached the last "
            "stage; map outcome: or entered_<stage>: to say how each ended."
        )
    if "owner" in guesses:
        columns["owner"] = guesses["owner"]
    amount = guesses.get("amount")
    if amount is not None:
        parsed = pd.to_numeric(text(deals, amount).replace("", np.nan), errors="coerce")
        zero = float((parsed == 0).mean()) if parsed.notna().any() else 1.0
        if zero > MAX_ZERO_SHARE:
            notes.append(
                f"{amount!r}: {zero:.0%} of its values are 0, so it is not proposed as the "
                "deal amount (a missing amount is not 0); map amount: if it is one."
            )
        else:
            columns["amount"] = amount
    reasons = {k: v for k, v in reasons.items() if k in columns}
    return columns, reasons, tuple(notes)
