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

from alignlib.crm._docs import RESULT
from alignlib.crm.labels import OUTCOMES
from alignlib.crm.table import IngestResult
from alignlib.docstrings import shared_doc

#: Rejected share above which ``alignlib ingest`` exits non-zero (``--max-rejected``).
DEFAULT_MAX_REJECTED = 0.5

_DATE_IN_REASON = re.compile(r"\s*\(\d{4}-\d{2}-\d{2}[^)]*\)")
#: Row numbers in a reason, said once for the group (one line for 60 duplicate rows).
_ROWS_IN_REASON = (
    (re.compile(r"exact duplicate of row \d+"), "exact duplicate of an earlier row"),
    (
        re.compile(r"same id as row \d+ with different content; kept row \d+"),
        "same id as another row with different content; kept the one with most fields",
    ),
)

#: Every summary of one ingest takes it as ``result``.
_OF_RESULT = shared_doc(parameters=RESULT)
#: The checks of an ingest against the rejected share allowed.
_JUDGED = shared_doc(
    parameters={
        **RESULT,
        "max_rejected : float": "Largest acceptable rejected share, in [0, 1].",
    }
)
#: The checks that hand the ingest back when it passes.
_CHECKED = shared_doc(parameters=RESULT, returns={"IngestResult": "``result`` itself."})


@_OF_RESULT
def outcome_counts(result: IngestResult) -> dict[str, int]:
    """Accepted rows per outcome.

    Returns
    -------
    dict
        ``{"won": n, "lost": n, "open": n}`` (rows with no outcome are in none).
    """
    counts = result.table["outcome"].value_counts()
    return {o: int(counts.get(o, 0)) for o in OUTCOMES}


@_OF_RESULT
def won_amount(result: IngestResult) -> float:
    """Sum of the amounts of accepted won rows (a row without an amount adds nothing).

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


@_OF_RESULT
def rejected_share(result: IngestResult) -> float:
    """Rejected rows over rows read (0.0 for an export with no rows).

    Returns
    -------
    float
        In [0, 1].
    """
    return result.rejected / result.rows_read if result.rows_read else 0.0


def problem_groups(problems: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct (file, field, reason, action), with its count and first row.

    Dates and the row numbers of duplicates in a reason are left out, so a problem
    repeated on many rows is one group with its count.

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
    reason = problems["reason"].astype("str").str.replace(_DATE_IN_REASON, "", regex=True)
    for pattern, said in _ROWS_IN_REASON:
        reason = reason.str.replace(pattern, said, regex=True)
    keyed = problems.assign(reason=reason)
    keys = ["file", "field", "reason", "action"]
    grouped = keyed.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(n=("row", "size"), row=("row", "first"), value=("value", "first"))
    out = out.reset_index().sort_values("n", ascending=False, kind="stable")
    return out[cols].reset_index(drop=True)


def _predicate(reason: str) -> str:
    """A problem's reason said of the value: ``amount is not a number`` -> ``is not a number``."""
    special = {
        "negative amount": "is a negative amount",
        "unparseable date": "is not a readable date",
    }
    if reason in special:
        return special[reason]
    for noun in ("amount ", "date "):
        if reason.startswith(noun):
            rest = reason.removeprefix(noun)
            return rest if rest.startswith("is ") else f"is {rest}"
    return f"({reason})"


@_OF_RESULT
def dropped_field_lines(result: IngestResult) -> list[str]:
    """One line per field dropped from kept rows: how many, an example and why.

    Returns
    -------
    list of str
        E.g. ``312 rows kept without their Recent Deal Amount: 'n/a' is not a number
        (e.g. row 17)``; a field dropped for several reasons lists each one's count.
    """
    lines = []
    for name, d in result.dropped_fields.items():
        n = d["count"]
        rows = f"{n:,} rows kept without their" if n != 1 else "1 row kept without its"
        line = f"{rows} {name}: {d['value']!r} {_predicate(d['reason'])} (e.g. row {d['row']})"
        if len(d["reasons"]) > 1:
            line += "; in all: " + ", ".join(
                f"{k:,} {_predicate(r).removeprefix('is ')}" for r, k in d["reasons"].items()
            )
        lines.append(line)
    return lines


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


@_JUDGED
def verdict(result: IngestResult, max_rejected: float = DEFAULT_MAX_REJECTED) -> Verdict:
    """Stop when no row is accepted, or when the rejected share is above ``max_rejected``.

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


@dataclass(frozen=True)
class StageLoss:
    """What the rejections removed from one stage.

    Attributes
    ----------
    stage : str
        The stage.
    rejected : int
        Rejected rows that had reached it.
    accepted : int
        Accepted rows that reached it.
    """

    stage: str
    rejected: int
    accepted: int

    @property
    def share(self) -> float:
        """Rejected over all rows that had reached the stage (0.0 when none had)."""
        total = self.rejected + self.accepted
        return self.rejected / total if total else 0.0


@_OF_RESULT
def stage_losses(result: IngestResult) -> list[StageLoss]:
    """The stages rejected rows had reached, top to bottom (stages that lost none left out).

    Returns
    -------
    list of StageLoss
    """
    reached = result.reached()
    return [
        StageLoss(s, int(result.rejected_reached.get(s, 0)), int(reached.get(s, 0)))
        for s in result.stage_names
        if result.rejected_reached.get(s, 0)
    ]


@_OF_RESULT
def losses_note(result: IngestResult, *, brief: bool = False) -> str:
    """How many rows the rejections removed, and from which stages, in one phrase.

    Parameters
    ----------
    brief : bool
        Name only the last stage the rejections reached (a one-page scorecard).

    Returns
    -------
    str
        ``"677 rows rejected, among them 579 of the 608 that reached won (95.2%)"``;
        ``""`` when nothing was rejected.
    """
    from alignlib.format import pct

    if not result.rejected:
        return ""
    losses = stage_losses(result)
    if brief:
        losses = losses[-1:]
    parts = [
        f"{x.rejected:,} of the {x.rejected + x.accepted:,} that reached {x.stage} "
        f"({pct(x.share, 1)})"
        for x in losses
    ]
    lead = f"{result.rejected:,} row{'s' if result.rejected != 1 else ''} rejected"
    return lead + (f", among them {'; '.join(parts)}" if parts else "")


@_JUDGED
def usability_problems(
    result: IngestResult, max_rejected: float = DEFAULT_MAX_REJECTED
) -> list[str]:
    """Why figures computed from ``result`` would mislead (empty when they would not).

    The rejected share of the export is held to ``max_rejected`` (as ``alignlib
    ingest`` holds it); a stage whose rows were all rejected is a problem whatever the
    limit: its figures would be zeros. A stage that lost only part of its rows is not
    refused: the figures computed from it say so (:func:`losses_note`).

    Returns
    -------
    list of str
    """
    problems = []
    judged = verdict(result, max_rejected)
    if not judged.ok:
        problems.append(judged.reason)
    for x in stage_losses(result):
        if x.accepted == 0:
            problems.append(
                f"every one of the {x.rejected:,} rows that reached {x.stage} was rejected: "
                f"its figures would be zeros"
            )
    return problems


@_CHECKED
def check_usable(result: IngestResult, max_rejected: float = DEFAULT_MAX_REJECTED) -> IngestResult:
    """``result``, or an error when figures computed from it would mislead.

    Parameters
    ----------
    max_rejected : float
        Largest acceptable rejected share (``actuals.max_rejected``, ``--max-rejected``).

    Raises
    ------
    DataError
        Naming the source, each problem (:func:`usability_problems`), and how to see
        why rows were rejected.
    """
    from alignlib.errors import DataError

    problems = usability_problems(result, max_rejected)
    if problems:
        raise DataError(
            result.source,
            "; ".join(problems)
            + " (`alignlib ingest` lists why rows were rejected; actuals.max_rejected or "
            "--max-rejected sets the limit)",
        )
    return result


@_CHECKED
def require_closed_history(result: IngestResult, what: str) -> IngestResult:
    """``result``, or an error when it holds no closed deal to learn win rates from.

    Parameters
    ----------
    what : str
        What needs the win rates (``the forecast``), for the message.

    Raises
    ------
    DataError
        No row won (reached the last stage) and none lost: an export of open
        opportunities only. Without it every open deal would be worth 0.
    """
    from alignlib.errors import DataError

    outcomes = outcome_counts(result)
    won = max(outcomes["won"], int(result.reached().get(result.stage_names[-1], 0)))
    if won == 0 and outcomes["lost"] == 0:
        raise DataError(
            result.source,
            f"no closed deal (won or lost) among the {result.accepted:,} rows used "
            f"({outcomes['open']:,} open): win rates cannot be learned, so {what} cannot "
            "value the open pipeline; export the closed history too",
        )
    return result
