"""Problems found in an export: one :class:`RowProblem` per row and field, collected as arrays."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Columns of a problems table (:attr:`alignlib.crm.IngestResult.problems_frame`).
PROBLEM_COLUMNS = ["file", "row", "field", "reason", "value", "action"]

#: What a problem did to its row: sent it to the rejects file ...
REJECTED = "rejected"
#: ... kept it without the bad field (an optional field: the value is missing instead) ...
FIELD_DROPPED = "field dropped"
#: ... or kept it whole (a note: an outcome without a date, a deal not found).
KEPT = "kept"


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
        ``rejected`` (the row went to the rejects file), ``field dropped`` (the row was
        kept without this field's value) or ``kept`` (kept whole).
    """

    file: str
    row: int
    field: str
    reason: str
    value: str
    action: str = "rejected"

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON-ready dict, its fields in their order."""
        return asdict(self)


class Problems:
    """Collects the problems of one file as arrays (one vectorised check at a time).

    Parameters
    ----------
    file : str
        File name shown with each problem.
    line_offset : int
        Line number of the first data row (2 for CSV under a header, 1 for Parquet).
    """

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
        """Record one problem per position.

        Parameters
        ----------
        positions : numpy.ndarray
            Row positions (0-based) in the raw table.
        field : str
            Source column.
        reason : str or array
            One reason for all, or one per position.
        values : array
            The offending values, one per position.
        action : str
            :data:`REJECTED`, :data:`FIELD_DROPPED` or :data:`KEPT`.
        """
        positions = np.asarray(positions, dtype=np.int64)
        if len(positions) == 0:
            return
        vals = pd.Series(np.asarray(values, dtype=object)).astype("str")
        # Last line of defence: an email address never reaches a message.
        vals = vals.where(~vals.str.contains("@", regex=False), "(not shown)").to_numpy()
        reasons = reason if isinstance(reason, str) else np.asarray(reason, dtype=object)
        self.parts.append(
            pd.DataFrame(
                {
                    "file": self.file,
                    "row": positions + self.offset,
                    "field": field,
                    "reason": reasons,
                    "value": vals,
                    "action": action,
                    "_pos": positions,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        """Every problem so far in row and field order, with a ``_pos`` column (row position)."""
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in [*PROBLEM_COLUMNS, "_pos"]})
        out = pd.concat(self.parts, ignore_index=True)
        return out.sort_values(["row", "field"], kind="stable").reset_index(drop=True)
