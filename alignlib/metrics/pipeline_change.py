"""How the pipeline moved in a week: deals created, advanced, slipped, won and lost.

:func:`pipeline_change` reads one export (no history of snapshots): a deal is *in the
pipeline* once it enters the pipeline stage (``pipeline.stage``, e.g. opportunity).
In a week it was

- **created**: it entered the pipeline stage;
- **advanced**: it entered a later stage short of won (counted once however many);
- **slipped**: it is still open in the same stage past the time that most deals which
  went on to win spent there (the stage's ``slip_quantile`` of days in stage, 80% by
  default), and crossed that age in the week: an export keeps no close date for open
  deals, so a slip is read from the deal's age, not from a moved date;
- **won**: it was won (the last stage's date, else its close date);
- **lost**: it was lost (its close date), having reached the pipeline stage.

Amounts are each deal's own, or the typical deal where it has none, as on the scorecard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.metrics._table import table_and_funnel_doc, table_doc

#: The movements, in the order pages list them.
MOVES = ("created", "advanced", "slipped", "won", "lost")

#: Share of winning deals that had left a stage by the age at which an open deal slips.
SLIP_QUANTILE = 0.8

_NAT = np.datetime64("NaT")


@dataclass(frozen=True)
class PipelineChange:
    """The pipeline's movements in one week.

    Attributes
    ----------
    week_start, week_end : datetime.date
        The week, both days included.
    counts : dict
        Movement (:data:`MOVES`) -> deals.
    amounts : dict
        Movement -> their amount (own, else the typical deal).
    slip_days : dict
        Stage -> the days in it past which an open deal counts as slipped (stages with
        no winning deal to learn from are left out and never slip).
    """

    week_start: dt.date
    week_end: dt.date
    counts: dict[str, int]
    amounts: dict[str, float]
    slip_days: dict[str, float]

    def to_frame(self) -> pd.DataFrame:
        """One row per movement: ``deals`` and ``amount``.

        Returns
        -------
        pandas.DataFrame
            Indexed by movement, in :data:`MOVES` order.
        """
        return pd.DataFrame(
            {
                "deals": [self.counts[m] for m in MOVES],
                "amount": [self.amounts[m] for m in MOVES],
            },
            index=pd.Index(MOVES, name="movement"),
        )


def _dates(table: pd.DataFrame, column: str) -> np.ndarray:
    if column not in table:
        return np.full(len(table), _NAT, dtype="datetime64[s]")
    return table[column].to_numpy(dtype="datetime64[s]")


def _is(table: pd.DataFrame, outcome: str) -> np.ndarray:
    if "outcome" not in table:
        return np.zeros(len(table), dtype=bool)
    return (table["outcome"] == outcome).to_numpy(dtype=bool, na_value=False)


def _within(values: np.ndarray, start: np.datetime64, end: np.datetime64) -> np.ndarray:
    return ~np.isnat(values) & (values >= start) & (values < end)


@table_doc
def won_dates(table: pd.DataFrame, last: str) -> np.ndarray:
    """When each row was won: the last stage's date, else its close date if won; NaT if lost.

    Parameters
    ----------
    last : str
        The last stage (won).

    Returns
    -------
    ndarray of datetime64[s]
    """
    won_at = _dates(table, f"entered_{last}").copy()
    fill = np.isnat(won_at) & _is(table, "won")
    won_at[fill] = _dates(table, "close_date")[fill]
    won_at[_is(table, "lost")] = _NAT
    return won_at


@table_and_funnel_doc
def slip_days(
    table: pd.DataFrame,
    stage_names: Sequence[str],
    pipeline_stage: str,
    quantile: float = SLIP_QUANTILE,
) -> dict[str, float]:
    """Per pipeline stage short of won: days in it by which ``quantile`` of winners had left.

    Parameters
    ----------
    pipeline_stage : str
        Where the pipeline starts.
    quantile : float
        In (0, 1].

    Returns
    -------
    dict
        Stage -> days; a stage without a won deal that entered it and a later stage
        (with dates) is left out.
    """
    stages = list(stage_names)
    won = _is(table, "won")
    out: dict[str, float] = {}
    for i in range(stages.index(pipeline_stage), len(stages) - 1):
        entered = _dates(table, f"entered_{stages[i]}")
        later = np.stack([_dates(table, f"entered_{s}") for s in stages[i + 1 :]], axis=1)
        # the first later stage entered (a skipped stage has no date)
        seconds = np.where(np.isnat(later), np.iinfo(np.int64).max, later.astype(np.int64))
        first = seconds.min(axis=1)
        next_date = np.where(
            first == np.iinfo(np.int64).max, _NAT, first.astype("datetime64[s]")
        ).astype("datetime64[s]")
        rows = won & ~np.isnat(entered) & ~np.isnat(next_date)
        if not rows.any():
            continue
        days = (next_date[rows] - entered[rows]).astype("timedelta64[s]").astype(float) / 86_400
        out[stages[i]] = float(np.quantile(np.maximum(days, 0.0), quantile))
    return out


def pipeline_change(
    table: pd.DataFrame,
    stage_names: Sequence[str],
    pipeline_stage: str,
    week_start: dt.date | pd.Timestamp | str,
    week_end: dt.date | pd.Timestamp | str,
    typical_deal: float,
    *,
    quantile: float = SLIP_QUANTILE,
) -> PipelineChange:
    """Deals created, advanced, slipped, won and lost in a week (both days included).

    Parameters
    ----------
    table : pandas.DataFrame
        Normalised CRM table (``entered_<stage>``, ``outcome``, ``close_date``,
        ``amount``).
    stage_names : sequence of str
        The funnel, top to bottom (the last is won).
    pipeline_stage : str
        Where the pipeline starts (one of ``stage_names``, not the last).
    week_start, week_end : date
        First and last day of the week.
    typical_deal : float
        The amount of a deal without its own.
    quantile : float
        See :func:`slip_days`.

    Returns
    -------
    PipelineChange
        Zero counts and amounts for an empty table or a quiet week.

    Raises
    ------
    InputError
        When ``pipeline_stage`` is not a stage short of the last, or the week ends
        before it starts.
    """
    stages = list(stage_names)
    if pipeline_stage not in stages[:-1]:
        raise InputError(
            f"pipeline stage {pipeline_stage!r} is not one of the stages before the last: "
            f"{', '.join(stages[:-1])}"
        )
    start_ts = pd.Timestamp(week_start).normalize()
    end_ts = pd.Timestamp(week_end).normalize() + pd.Timedelta(days=1)
    if end_ts <= start_ts:
        raise InputError(f"the week ends ({week_end}) before it starts ({week_start})")
    a = np.datetime64(start_ts.to_datetime64(), "s")
    b = np.datetime64(end_ts.to_datetime64(), "s")
    p = stages.index(pipeline_stage)
    last = stages[-1]
    lost = _is(table, "lost")
    close = _dates(table, "close_date")
    won_at = won_dates(table, last)
    reached_pipe = np.zeros(len(table), dtype=bool)
    for s in stages[p:]:
        reached_pipe |= ~np.isnat(_dates(table, f"entered_{s}"))
        if f"reached_{s}" in table:
            reached_pipe |= table[f"reached_{s}"].to_numpy(dtype=bool, na_value=False)

    moved: dict[str, np.ndarray] = {
        "created": _within(_dates(table, f"entered_{pipeline_stage}"), a, b),
        "advanced": np.zeros(len(table), dtype=bool),
        "slipped": np.zeros(len(table), dtype=bool),
        "won": _within(won_at, a, b),
        "lost": lost & reached_pipe & _within(close, a, b),
    }
    for s in stages[p + 1 : -1]:
        moved["advanced"] |= _within(_dates(table, f"entered_{s}"), a, b)

    # open at the week's end: not won or lost before it
    closed_by_end = (~np.isnat(won_at) & (won_at < b)) | (lost & ~np.isnat(close) & (close < b))
    limits = slip_days(table, stages, pipeline_stage, quantile)
    furthest = np.full(len(table), -1)
    entered_by_end = {}
    for i, s in enumerate(stages[:-1]):
        e = _dates(table, f"entered_{s}")
        entered_by_end[s] = e
        furthest = np.where(~np.isnat(e) & (e < b), i, furthest)
    for s, days in limits.items():
        i = stages.index(s)
        crossed = entered_by_end[s] + np.timedelta64(int(round(days * 86_400)), "s")
        moved["slipped"] |= (furthest == i) & ~closed_by_end & _within(crossed, a, b)

    amount = (
        table["amount"].to_numpy(dtype=float) if "amount" in table else np.full(len(table), np.nan)
    )
    worth = np.where(np.isfinite(amount) & (amount > 0), amount, float(typical_deal))
    return PipelineChange(
        week_start=start_ts.date(),
        week_end=(end_ts - pd.Timedelta(days=1)).date(),
        counts={m: int(moved[m].sum()) for m in MOVES},
        amounts={m: float(worth[moved[m]].sum()) for m in MOVES},
        slip_days=limits,
    )
