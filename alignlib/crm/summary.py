"""What an ingest comes to: outcomes, won amount, problems grouped, and whether to stop.

``alignlib ingest`` prints these; they live here so scripts and reports get the same
figures. Problems are grouped by file, field, reason and action (dates in a reason
left out), so a column with 16,000 bad cells is one line with its count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alignlib.crm.labels import OUTCOMES
from alignlib.crm.table import IngestResult

#: Rejected share above which ``alignlib ingest`` exits non-zero (``--max-rejected``).
DEFAULT_MAX_REJECTED = 0.5

_DATE_IN_REASON = re.compile(r"\s*\(\d{4}-\d{2}-\d{2}[^)]*\)")


def outcome_counts(result: IngestResult) -> dict[str, int]:
    """Accepted rows per outcome.

    Parameters
    ----------
    result : IngestResult
        What a loader read.

    Returns
    -------
    dict
        ``{"won": n, "lost": n, "open": n}`` (rows with no outcome are in none).
    """
    counts = result.table["outcome"].value_counts()
    return {o: int(counts.get(o, 0)) for o in OUTCOMES}


def won_amount(result: IngestResult) -> float:
    """Sum of the amounts of accepted won rows (a row without an amount adds nothing).

    Parameters
    ----------
    result : IngestResult
        What a loader read.

    Returns
    -------
    float
        The won amount; 0.0 when nothing is won; NaN (not in the export, never 0)
        when rows are won but none of them has an amount.
    """
    t = result.table
    won = (t["outcome"] == "won").to_numpy(dtype=bool, na_value=False)
    amounts = t["amount"].to_numpy(dtype=float)[won]
    if won.any() and not np.isfinite(amounts).any():
        return float("nan")
    return float(np.nansum(amounts))


def rejected_share(result: IngestResult) -> float:
    """Rejected rows over rows read (0.0 for an export with no rows).

    Parameters
    ----------
    result : IngestResult
        What a loader read.

    Returns
    -------
    float
        In [0, 1].
    """
    return result.rejected / result.rows_read if result.rows_read else 0.0


def problem_groups(problems: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct (file, field, reason, action), with its count and first row.

    Parameters
    ----------
    problems : pandas.DataFrame
        ``IngestResult.problems_frame``.

    Returns
    -------
    pandas.DataFrame
        ``file, field, reason, action, n, row, value``: ``row`` and ``value`` are the
        first occurrence's; most frequent first.
    """
    cols = ["file", "field", "reason", "action", "n", "row", "value"]
    if problems.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    keyed = problems.assign(
        reason=problems["reason"].astype("str").str.replace(_DATE_IN_REASON, "", regex=True)
    )
    keys = ["file", "field", "reason", "action"]
    grouped = keyed.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(n=("row", "size"), row=("row", "first"), value=("value", "first"))
    out = out.reset_index().sort_values("n", ascending=False, kind="stable")
    return out[cols].reset_index(drop=True)


@dataclass(frozen=True)
class Verdict:
    """Whether an ingest is good enough to go on with.

    Attributes
    ----------
    ok : bool
        False when no row was accepted or too many were rejected.
    reason : str
        Why not, in one line ("" when ok).
    """

    ok: bool
    reason: str = ""


def verdict(result: IngestResult, max_rejected: float = DEFAULT_MAX_REJECTED) -> Verdict:
    """Stop when no row is accepted, or when the rejected share is above ``max_rejected``.

    Parameters
    ----------
    result : IngestResult
        What a loader read.
    max_rejected : float
        Largest acceptable rejected share, in [0, 1].

    Returns
    -------
    Verdict
        Not ok, with the reason, in either case.
    """
    from alignlib.format import pct

    if result.accepted == 0:
        if result.rows_read == 0:
            return Verdict(False, "no rows in the export")
        return Verdict(False, f"no row accepted: all {result.rows_read:,} rows rejected")
    share = rejected_share(result)
    if share > max_rejected:
        return Verdict(
            False,
            f"{pct(share, 1)} of rows rejected ({result.rejected:,} of {result.rows_read:,}), "
            f"above --max-rejected {pct(max_rejected, 0)}",
        )
    return Verdict(True)
