"""Won versus lost: outcomes by the stages contacts reached and by source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignlib.metrics._table import checked_stages, groups, result_dict, table_and_stages_doc


@dataclass(frozen=True)
class WonLost:
    """Won versus lost by stage reached and by source.

    Attributes
    ----------
    by_stage : DataFrame
        Index stage; ``reached``, ``won``, ``lost``, ``open`` (opportunity still
        open), ``no_opportunity`` (of the contacts that reached the stage),
        ``won_per_reached`` (eventual wins per contact reaching the stage) and
        ``win_rate`` (won / (won + lost)).
    by_group : DataFrame
        Index group (channel); ``opportunities``, ``won``, ``lost``, ``open``,
        ``win_rate``, ``won_amount``, ``lost_amount``, ``avg_won_deal``.
    """

    by_stage: pd.DataFrame
    by_group: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Won versus lost by group."""
        return self.by_group

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return result_dict(self, "by_stage", "by_group")


def _outcome_kinds(outcome: pd.Series, kinds: Sequence[str]) -> np.ndarray:
    """Index into ``kinds`` of ``outcome.fillna("none").astype("str")`` (len(kinds): other)."""
    other = len(kinds)
    if isinstance(outcome.array, pd.arrays.ArrowStringArray):
        import pyarrow as pa
        import pyarrow.compute as pc

        enc = pc.dictionary_encode(outcome.array.__arrow_array__().combine_chunks())
        if isinstance(enc, pa.DictionaryArray):
            names = [str(v) for v in enc.dictionary.to_pylist()] + ["none"]
            lut = np.array([kinds.index(v) if v in kinds else other for v in names])
            return lut[pc.fill_null(enc.indices, len(names) - 1).to_numpy()]
    text = outcome.fillna("none").astype("str")
    kind = np.full(len(outcome), other, dtype=np.int64)
    for i, k in enumerate(kinds):
        kind[(text == k).to_numpy()] = i
    return kind


@table_and_stages_doc
def won_lost(
    table: pd.DataFrame, *, stage_names: Sequence[str] | None = None, by: str = "channel"
) -> WonLost:
    """Outcomes of contacts by the stages they reached and by source (channel).

    Parameters
    ----------
    by : str
        Column to group by.

    Returns
    -------
    WonLost
    """
    stages = checked_stages(table, stage_names)
    kinds = ("won", "lost", "open", "none")
    # One code per contact (4: any other outcome), counted per stage with bincount.
    kind = _outcome_kinds(table["outcome"], kinds)
    flags = pd.DataFrame({k: kind == i for i, k in enumerate(kinds)}, index=table.index)
    rows = []
    for s in stages:
        r = table[f"reached_{s}"].to_numpy(dtype=bool)
        sums = np.bincount(kind[r], minlength=len(kinds) + 1)
        rows.append(
            {
                "stage": s,
                "reached": int(r.sum()),
                "won": int(sums[0]),
                "lost": int(sums[1]),
                "open": int(sums[2]),
                "no_opportunity": int(sums[3]),
            }
        )
    by_stage = pd.DataFrame(rows).set_index("stage")
    by_stage["won_per_reached"] = by_stage["won"] / by_stage["reached"].where(
        by_stage["reached"] > 0
    )
    by_stage["win_rate"] = by_stage["won"] / (by_stage["won"] + by_stage["lost"]).where(
        (by_stage["won"] + by_stage["lost"]) > 0
    )
    group = groups(table, by)
    amounts = (
        pd.DataFrame(
            {
                "won_amount": table["amount"].where(flags["won"]).to_numpy(),
                "lost_amount": table["amount"].where(flags["lost"]).to_numpy(),
                "group": group,
            }
        )
        .groupby("group")[["won_amount", "lost_amount"]]
        .sum()
    )
    # Counts per (observed) group by bincount over the group codes.
    observed = np.asarray(amounts.index.codes)
    k = len(group.categories)
    by_group = pd.DataFrame(
        {
            name: np.bincount(group.codes[kind == i], minlength=k)[observed].astype(int)
            for i, name in enumerate(("won", "lost", "open"))
        },
        index=amounts.index,
    )
    by_group[["won_amount", "lost_amount"]] = amounts
    by_group.insert(0, "opportunities", by_group[["won", "lost", "open"]].sum(axis=1))
    closed = by_group["won"] + by_group["lost"]
    by_group["win_rate"] = by_group["won"] / closed.where(closed > 0)
    by_group["avg_won_deal"] = by_group["won_amount"] / by_group["won"].where(by_group["won"] > 0)
    by_group.index.name = by
    return WonLost(by_stage, by_group)
