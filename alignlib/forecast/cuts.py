"""One table cut at many dates: what a run on each earlier day saw, from one sort.

A backtest needs the table as it stood at every forecast date (four a quarter, dozens a
history). :func:`alignlib.history.funnel.table_as_of` filters and copies the whole table each
time; :class:`TableCuts` sorts it by creation once, so each cut is a slice of the rows
created before it (no boolean filter over the whole table) with the later dates
cleared column by column in numpy. The result equals ``table_as_of`` row for row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alignlib.history.funnel import cut_doc

_NAT = np.datetime64("NaT", "s")


class TableCuts:
    """A normalised table sorted once by ``created``, cut at any date by :meth:`at`.

    Parameters
    ----------
    table : pandas.DataFrame
        Normalised CRM table (left untouched).
    stage_names : sequence of str
        The funnel, top to bottom.
    """

    def __init__(self, table: pd.DataFrame, stage_names: Sequence[str]) -> None:
        self.stages = tuple(stage_names)
        created = table["created"].to_numpy(dtype="datetime64[s]")
        # NaT sorts last: rows without a creation date are never inside a cut
        in_order = not np.isnat(created).any() and bool(
            (np.diff(created) >= np.timedelta64(0, "s")).all()
        )
        if not in_order:
            order = np.argsort(created, kind="stable")
            table = table.iloc[order]
            created = created[order]
        self.table = table
        self._created = created
        self._dates = {
            s: table[f"entered_{s}"].to_numpy(dtype="datetime64[s]") for s in self.stages
        }
        self._close = table["close_date"].to_numpy(dtype="datetime64[s]")
        self._response = (
            table["first_response"].to_numpy(dtype="datetime64[s]")
            if "first_response" in table
            else None
        )

    @cut_doc
    def at(self, date: pd.Timestamp | str) -> pd.DataFrame:
        """The table as it stood at the start of ``date`` (as :func:`alignlib.history.funnel.table_as_of`).

        Returns
        -------
        pandas.DataFrame
            A new table with the same columns, rows in creation order. Columns a cut
            does not change share their memory with the sorted table (every change
            replaces a whole column, never writes into one), so a cut of a large
            export costs the dates it clears, not a copy of the table.
        """
        cut = np.datetime64(pd.Timestamp(date).normalize().to_datetime64(), "s")
        k = int(np.searchsorted(self._created, cut, side="left"))
        out = self.table.iloc[:k].copy(deep=False)
        later = np.zeros(k, dtype=bool)
        cleared = {}
        for s in self.stages:
            d = self._dates[s][:k]
            cleared[s] = np.where(d >= cut, _NAT, d)
            col = f"entered_{s}"
            out[col] = cleared[s].astype(out[col].dtype)
        for s in reversed(self.stages):
            later |= ~np.isnat(cleared[s])
            out[f"reached_{s}"] = later.copy()
        out[f"reached_{self.stages[0]}"] = True
        close = self._close[:k]
        closed_later = ~np.isnat(close) & (close >= cut)
        if "outcome" in out and closed_later.any():
            out["outcome"] = out["outcome"].mask(closed_later, "open")
        out["close_date"] = np.where(closed_later, _NAT, close).astype(out["close_date"].dtype)
        last = self.stages[-1]
        reopened = closed_later & ~out[f"reached_{last}"].to_numpy(dtype=bool)
        if reopened.any():
            reached = np.column_stack(
                [out[f"reached_{s}"].to_numpy(dtype=bool)[reopened] for s in self.stages]
            )
            furthest = reached.shape[1] - 1 - np.argmax(reached[:, ::-1], axis=1)
            stage = out["stage"].copy()
            stage.iloc[np.flatnonzero(reopened)] = np.asarray(self.stages, dtype=object)[furthest]
            out["stage"] = stage
        if self._response is not None:
            r = self._response[:k]
            cleared_r = np.where(~np.isnat(r) & (r >= cut), _NAT, r)
            out["first_response"] = cleared_r.astype(out["first_response"].dtype)
        return out
