"""Time-to-win curves per stage, learned from how long deals stayed in each stage.

Each contact that entered a stage leaves it for a later stage (usually the next), is lost
(a disqualified or recycled contact that did not move on counts as lost from the day it
entered: it is not open pipeline either), or is still there when the table was taken
(censored). :func:`win_curves` estimates, per
stage, the competing-risks densities of those exits on daily bins
(:func:`~alignlib.forecast.survival.competing_risks`) and chains them stage by stage
(semi-Markov), so that the chance an open deal wins inside a window is conditioned on its
stage and on the days it has already spent there without moving: a deal that sat in a
stage longer than most is less likely to win than one that just arrived.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alignlib.forecast.survival import CompetingRisks, competing_risks
from alignlib.metrics._table import table_and_funnel_doc, table_doc

_DAY_SECONDS = 86_400


def _days(delta: np.ndarray) -> np.ndarray:
    """Rounded whole days of a timedelta64[s] array (NaT -> -1)."""
    out = np.full(delta.shape, -1, dtype=np.int64)
    ok = ~np.isnat(delta)
    out[ok] = np.rint(delta[ok].astype(np.int64) / _DAY_SECONDS).astype(np.int64)
    return out


@table_and_funnel_doc
def stage_dates(table: pd.DataFrame, stage_names: Sequence[str]) -> np.ndarray:
    """Entry dates per stage (rows x stages, ``datetime64[s]``); a won deal enters the last stage when it closes.

    Returns
    -------
    ndarray of datetime64[s]
    """
    cols = [table[f"entered_{s}"].to_numpy(dtype="datetime64[s]") for s in stage_names]
    dates = np.stack(cols, axis=1) if cols else np.empty((len(table), 0), dtype="datetime64[s]")
    won = (table["outcome"] == "won").to_numpy(dtype=bool, na_value=False)
    close = table["close_date"].to_numpy(dtype="datetime64[s]")
    fill = won & np.isnat(dates[:, -1]) & ~np.isnat(close)
    dates[fill, -1] = close[fill]
    return dates


@table_doc
def out_of_play(table: pd.DataFrame) -> np.ndarray:
    """Contacts disqualified or recycled (returned to nurture) that are not deals.

    A flag on a row with a deal outcome (``open``, ``won``, ``lost``) is the contact's
    status after its deal (a lost deal put back in nurture), not a hand-off rejected: that
    deal was pipeline while it was open.

    Returns
    -------
    ndarray of bool
    """
    flagged = np.zeros(len(table), dtype=bool)
    for flag in ("disqualified", "recycled"):
        if flag in table.columns:
            flagged |= table[flag].to_numpy(dtype=bool, na_value=False)
    is_deal = table["outcome"].isin(["open", "won", "lost"]).to_numpy(dtype=bool)
    return flagged & ~is_deal


@dataclass(frozen=True)
class WinCurves:
    """Per stage, the exits of a deal from it and the chance to win from a fresh entry.

    Attributes
    ----------
    stage_names : tuple of str
        The funnel; the last stage is won.
    exits : tuple of CompetingRisks
        One per stage but the last: causes ``1 .. n - 1 - i`` are "entered stage
        ``i + cause``", the last cause is lost.
    days : int
        Length of the daily grid.
    """

    stage_names: tuple[str, ...]
    exits: tuple[CompetingRisks, ...]
    days: int

    def _win_by(self, stage: int, horizon: int) -> np.ndarray:
        """P(won within ``t`` days of entering ``stage``) for ``t = 0 .. horizon``."""
        last = len(self.stage_names) - 1
        wins: dict[int, np.ndarray] = {last: np.ones(horizon + 1)}
        for i in range(last - 1, stage - 1, -1):
            total = np.zeros(horizon + 1)
            dens = self.exits[i].density
            for k in range(i + 1, last + 1):
                f = dens[k - i - 1, : horizon + 1]
                total[: len(f)] += np.convolve(f, wins[k])[: len(f)]
            wins[i] = np.minimum(total, 1.0)
        return wins[stage]

    def win_probability(self, stage: int, ages: np.ndarray, start: int, end: int) -> np.ndarray:
        """P(win between ``start`` and ``end`` days from now | in ``stage`` for ``ages`` days).

        Parameters
        ----------
        stage : int
            Index of the current stage (not the last).
        ages : ndarray of int
            Whole days each deal has spent in the stage.
        start, end : int
            The window in days from now, inclusive (``start >= 0``; ``end < start`` is
            an empty window).

        Returns
        -------
        ndarray
            In [0, 1]; 0 where no deal in the history stayed in the stage that long.
        """
        ages = np.asarray(ages, dtype=np.int64)
        if end < start or not len(ages):
            return np.zeros(len(ages))
        return self._win_within(stage, ages, end) - (
            self._win_within(stage, ages, start - 1) if start > 0 else 0.0
        )

    def _win_within(self, stage: int, ages: np.ndarray, h: int) -> np.ndarray:
        """P(win within ``h`` days from now | in ``stage`` for ``ages`` days), h >= 0."""
        last = len(self.stage_names) - 1
        risk = self.exits[stage]
        # A(a) = sum_k sum_{u >= a} f_k(u) W_k(a + h - u) = conv(f_k, W_k[:h + 1])[a + h]
        grid = int(ages.max(initial=0)) + h + 1
        total = np.zeros(grid)
        for k in range(stage + 1, last + 1):
            f = np.zeros(grid)
            dens = risk.density[k - stage - 1, :grid]
            f[: len(dens)] = dens
            w = self._win_by(k, h)
            total += np.convolve(f, w)[:grid]
        alive = risk.survival_before(ages)
        raw = total[ages + h]
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(alive > 1e-12, raw / np.where(alive > 1e-12, alive, 1.0), 0.0)
        return np.clip(p, 0.0, 1.0)


def win_curves(
    table: pd.DataFrame, cut: pd.Timestamp, stage_names: Sequence[str], *, days: int = 730
) -> WinCurves:
    """Learn each stage's exits from a table as it stood at ``cut``.

    Parameters
    ----------
    table : pandas.DataFrame
        Normalised CRM table holding nothing on or after ``cut``
        (:func:`alignlib.history.funnel.table_as_of`).
    cut : pandas.Timestamp
        When the table was taken (exclusive): deals still in a stage are censored there.
    stage_names : sequence of str
        The funnel, top to bottom; the last stage is won.
    days : int
        Longest stay estimated; longer stays are censored there.

    Returns
    -------
    WinCurves
    """
    stages = tuple(stage_names)
    n = len(stages)
    dates = stage_dates(table, stages)
    lost = (table["outcome"] == "lost").to_numpy(dtype=bool, na_value=False)
    close = table["close_date"].to_numpy(dtype="datetime64[s]")
    cut64 = np.datetime64(pd.Timestamp(cut).to_datetime64(), "s")
    dropped_contacts = out_of_play(table)
    exits = []
    for i in range(n - 1):
        entered = dates[:, i]
        rows = ~np.isnat(entered)
        # first later stage entered (stage dates may skip a stage), one column at a time
        # (the earliest date wins, the nearer stage at a tie, as argmin over the columns)
        never = np.datetime64("9999-12-31", "s")
        nxt_date = np.full(int(rows.sum()), never)
        nxt = np.zeros(len(nxt_date), dtype=np.int64)
        for k, j in enumerate(range(i + 1, n)):
            col = dates[rows, j]
            sooner = ~np.isnat(col) & (col < nxt_date)
            nxt_date = np.where(sooner, col, nxt_date)
            nxt = np.where(sooner, k, nxt)
        moved = nxt_date < never
        cause = np.where(moved, nxt + 1, 0)
        end = np.where(moved, nxt_date, cut64)
        gone = ~moved & lost[rows] & ~np.isnat(close[rows])
        cause = np.where(gone, n - i, cause)
        end = np.where(gone, close[rows], end)
        # disqualified or recycled without moving on: out of the stage (lost) from the day
        # they entered it (their flag has no date), as they are out of the open pipeline
        dropped = ~moved & ~gone & dropped_contacts[rows]
        cause = np.where(dropped, n - i, cause)
        end = np.where(dropped, entered[rows], end)
        duration = np.maximum(_days(end - entered[rows]), 0)
        exits.append(competing_risks(duration, cause, n_causes=n - i, days=days))
    return WinCurves(stage_names=stages, exits=tuple(exits), days=days)
