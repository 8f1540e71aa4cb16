"""Velocity: days between stages, median, P90 and the distribution, overall and by group."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignlib.metrics._table import checked_stages, groups, records


@dataclass(frozen=True)
class Velocity:
    """Days between stages.

    Attributes
    ----------
    summary : DataFrame
        Index transition (``lead_to_mql`` ... and, with more than two stages,
        ``<top>_to_<bottom>``); columns
        ``n``, ``median``, ``p90``, ``mean`` (days).
    by_group : DataFrame
        Same statistics by (transition, group), e.g. by channel.
    distribution : DataFrame
        Long form: ``transition``, group column, ``days`` (for histograms).
    """

    summary: pd.DataFrame
    by_group: pd.DataFrame
    distribution: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The overall summary."""
        return self.summary

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary and by-group statistics."""
        return {"summary": records(self.summary), "by_group": records(self.by_group)}


def velocity(
    table: pd.DataFrame, *, stage_names: Sequence[str] | None = None, by: str = "channel"
) -> Velocity:
    """Days between consecutive stages (both dates present), median, P90 and distribution.

    A skipped stage has no date, so its transitions are measured only for
    contacts that have both dates; the top-to-bottom cycle uses the first and last
    stage dates (a funnel of two stages has only that one step). Negative gaps cannot occur in accepted rows (out-of-order dates
    are rejected at ingest).

    Parameters
    ----------
    table : pandas.DataFrame
        Normalised CRM table.
    stage_names : sequence of str, optional
        Stages to use, top to bottom (default: all of the table's).
    by : str
        Column to group by.

    Returns
    -------
    Velocity
    """
    stages = checked_stages(table, stage_names)
    pairs = list(zip(stages[:-1], stages[1:], strict=True))
    if len(stages) > 2:  # with two stages the only step is already top to bottom
        pairs.append((stages[0], stages[-1]))
    group = groups(table, by)
    names = [f"{a}_to_{b}" for a, b in pairs]
    transition_codes, group_codes, day_parts = [], [], []
    for j, (a, b) in enumerate(pairs):
        secs = table[f"entered_{b}"].to_numpy(dtype="datetime64[s]") - table[
            f"entered_{a}"
        ].to_numpy(dtype="datetime64[s]")
        ok = ~np.isnat(secs)
        day_parts.append(secs[ok].astype(np.int64) / 86400.0)
        group_codes.append(group.codes[ok])
        transition_codes.append(np.full(int(ok.sum()), j, dtype=np.int8))
    # The long table is put together from integer codes: no per-row strings.
    dist = pd.DataFrame(
        {
            "transition": pd.Categorical.from_codes(np.concatenate(transition_codes), names),
            by: pd.Categorical.from_codes(np.concatenate(group_codes), dtype=group.dtype),
            "days": np.concatenate(day_parts),
        }
    )

    def stats(g: pd.core.groupby.SeriesGroupBy) -> pd.DataFrame:
        return pd.DataFrame(
            {"n": g.size(), "median": g.median(), "p90": g.quantile(0.9), "mean": g.mean()}
        )

    summary = stats(dist.groupby("transition", observed=False)["days"])
    by_group = stats(dist.groupby(["transition", by], observed=True)["days"])
    return Velocity(summary, by_group, dist)
