"""Guesses from an export's values, for :func:`alignlib.crm.suggest.suggest_actuals`.

A generic CSV's header names miss the obvious (``opportunity_id``, ``engage_date``,
``deal_stage``, ``Converted``, ``close_value``): these functions read a sample of each
column's values to find unique id-like columns, date-like columns (and which is the
earliest on each row: the created date), outcome columns (0/1 flags and won/lost
labels), money columns, owners and sources. Every guess is only a guess: the draft
marks each ``# check``. No contact value is returned, only column names and counts.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from alignlib.crm.labels import guess_outcome
from alignlib.crm.read import text

#: Rows read for the value guesses (the whole column for uniqueness).
SAMPLE_ROWS = 2_000
#: Distinct values parsed with pandas to tell whether a column is date-like.
DATE_SAMPLE = 200
#: Share of a sample's filled cells that must read for a column to be date-like or money.
READ_SHARE = 0.9
#: Most distinct values a label column (outcome, owner, source) may have.
MAX_DISTINCT = 60

_ID_WORDS = re.compile(r"(^|[^a-z])(id|uuid|guid|key|number|no)$")
_OUTCOME_NAME = re.compile(
    r"(convert|response|respond|won|win|outcome|result|status|stage|closed|purchas|"
    r"churn|success|signed|booked)"
)
_FLAG_VALUES = {"0", "1", "true", "false", "yes", "no", "y", "n", "t", "f"}
_TRUE = {"1", "true", "yes", "y", "t"}
_MONEY_NAME = re.compile(r"(amount|value|revenue|price|arr|mrr|acv|tcv|deal size|sales|booking)")
_OWNER_NAME = re.compile(
    r"(^|\s)(owner|agent|rep|sr|sdr|bdr|ae|salesperson|seller|manager|assigned)(\s|$|id)"
)
_SOURCE_NAME = re.compile(r"(source|origin|utm|campaign|medium|referr|channel)")
_CLOSE_NAME = re.compile(r"(clos|won|lost|convert|end|finish|signed)")


def _key(name: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(name).casefold()).split())


@dataclass
class ValueGuesses:
    """Fields guessed from values, each with why (the ``# check`` comment).

    Attributes
    ----------
    columns : dict
        Field -> column.
    reasons : dict
        Field -> why it was guessed.
    outcome_flags : dict
        Outcome label -> won/lost/open, for a 0/1 outcome column.
    date_columns : list of str
        Every date-like column found.
    notes : list of str
        What to say about the dates (earliest per row).
    """

    columns: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    outcome_flags: dict[str, str] = field(default_factory=dict)
    date_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _filled(values: pd.Series) -> pd.Series:
    return values[values != ""]


def _is_numeric(sample: pd.Series) -> pd.Series:
    cleaned = sample.str.replace(r"[\s$€£¥,]", "", regex=True)
    return pd.to_numeric(cleaned, errors="coerce").notna()


def _date_like(sample: pd.Series) -> bool:
    """Most filled values read as dates with pandas (and are not plain numbers)."""
    sample = sample.drop_duplicates().head(DATE_SAMPLE)
    if sample.empty or _is_numeric(sample).mean() > 0.5:
        return False
    if not sample.str.contains(r"\d", regex=True).all():
        return False
    best = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dayfirst in (False, True):
            parsed = pd.to_datetime(sample, errors="coerce", format="mixed", dayfirst=dayfirst)
            best = max(best, float(parsed.notna().mean()))
    return best >= READ_SHARE


def guess_from_values(
    raw: pd.DataFrame,
    found: Mapping[str, str],
    *,
    date_format: str | None = None,
) -> ValueGuesses:
    """Guess the fields the header names did not give, from the columns' values.

    Parameters
    ----------
    raw : pandas.DataFrame
        The export as read (text columns).
    found : mapping
        Field -> column already found from the header names (kept; their columns
        are not reused).
    date_format : str, optional
        The params file's ``date_format`` (for the earliest-per-row comparison).

    Returns
    -------
    ValueGuesses
    """
    from alignlib.crm.dates import parse_column

    out = ValueGuesses()
    used = set(found.values())
    have = set(found)
    n = len(raw)
    head = raw.head(SAMPLE_ROWS)
    free = [str(c) for c in raw.columns if str(c) not in used]

    def take(fld: str, col: str, why: str) -> None:
        out.columns[fld] = col
        out.reasons[fld] = why
        used.add(col)
        have.add(fld)

    # dates: every date-like column, and which is the earliest on each row
    dates: dict[str, pd.Series] = {}
    for col in [str(c) for c in raw.columns]:
        sample = _filled(text(head, col))
        if _date_like(sample):
            out.date_columns.append(col)
            dates[col] = parse_column(text(head, col), date_format).dates
    if "id" not in have:
        ids = []
        for col in free:
            if col in dates:
                continue
            sample = _filled(text(head, col))
            if len(sample) < len(head) or not sample.is_unique:
                continue  # cheap check first: the whole column only when the sample is unique
            filled = _filled(text(raw, col))
            if n and len(filled) == n and filled.is_unique:
                ids.append(col)
        named = [c for c in ids if _ID_WORDS.search(_key(c))]
        if named or ids:
            col = (named or ids)[0]
            take("id", col, f"unique on all {n:,} rows")
    if len(dates) > 1:
        frame = pd.DataFrame(dates)
        rows = frame.notna().sum(axis=1) >= 2
        earliest = frame[rows].idxmin(axis=1).value_counts()
        if len(earliest):
            lead = str(earliest.index[0])
            out.notes.append(
                "Earliest date per row (first "
                f"{len(head):,} rows, {int(rows.sum()):,} with two dates or more): "
                + ", ".join(f"{c} on {int(k):,}" for c, k in earliest.items())
                + f" -> created: {lead}"
            )
            if "created" not in have and lead not in used:
                take("created", lead, "earliest date on most rows")
    if "created" not in have and dates:
        spare = [c for c in dates if c not in used]
        if spare:
            why = "the only date-like column" if len(dates) == 1 else "first date-like column"
            take("created", spare[0], why)
        else:
            # every date column already mapped (e.g. won_date): a record exists from then
            out.columns["created"] = next(iter(dates))
            out.reasons["created"] = "the only date column, also mapped above"
            have.add("created")
    # outcome: a 0/1 flag or a label column with won/lost labels
    if "outcome" not in have and "stage" not in have:
        for col in [c for c in raw.columns if str(c) not in used and str(c) not in dates]:
            col = str(col)
            values = _filled(text(head, col))
            if values.empty:
                continue
            distinct = set(values.str.casefold().unique())
            name = _key(col)
            if distinct <= _FLAG_VALUES and len(distinct) <= 2 and _OUTCOME_NAME.search(name):
                take("outcome", col, "a 0/1 column named like an outcome")
                for v in sorted(set(values.unique())):
                    out.outcome_flags[v] = "won" if v.casefold() in _TRUE else "lost"
                break
            labels = (
                {guess_outcome(v) for v in distinct} if len(distinct) <= MAX_DISTINCT else set()
            )
            if {"won", "lost"} <= labels or ("won" in labels and _OUTCOME_NAME.search(name)):
                take("outcome", col, "its labels read as won/lost")
                break
    if "close_date" not in have and "outcome" in have:
        later = [c for c in dates if c not in used and _CLOSE_NAME.search(_key(c))]
        if later:
            take("close_date", later[0], "a date named like a close (won/lost at that date)")
    if "amount" not in have:
        for col in [c for c in free if c not in used and c not in dates]:
            values = _filled(text(head, col))
            if values.empty or not _MONEY_NAME.search(_key(col)):
                continue
            if set(values.str.casefold().unique()) <= _FLAG_VALUES:
                continue
            if _is_numeric(values).mean() >= READ_SHARE:
                take("amount", col, "numbers, named like money")
                break
    for fld, pattern in (("owner", _OWNER_NAME), ("source", _SOURCE_NAME)):
        if fld in have or (fld == "source" and "channel" in have):
            continue
        for col in [c for c in free if c not in used and c not in dates]:
            if not pattern.search(_key(col)):
                continue
            values = _filled(text(raw, col))
            if (
                values.empty
                or values.nunique() > max(MAX_DISTINCT * 10, 1)
                or (values.nunique() == len(values) and len(values) > 20)
            ):
                continue
            take(fld, col, f"{values.nunique():,} distinct values")
            break
    return out


def flag_counts(raw: pd.DataFrame, col: str) -> list[tuple[str, int]]:
    """(value, rows) of a 0/1 column, most rows first."""
    counts = _filled(text(raw, col)).value_counts()
    return [(str(k), int(v)) for k, v in counts.items()]
