"""Velocity: days between stages, median, P90 and the distribution, overall and by group."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignlib.metrics._table import NAT, checked_stages, groups, result_dict, table_and_stages_doc


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
        return result_dict(self, "summary", "by_group")


@table_and_stages_doc
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
    k = len(group.categories)
    transition_codes, group_codes, day_parts = [], [], []
    summary_rows, group_rows, group_index = [], [], []
    for j, (a, b) in enumerate(pairs):
        end = table[f"entered_{b}"].to_numpy(dtype="datetime64[s]").view(np.int64)
        start = table[f"entered_{a}"].to_numpy(dtype="datetime64[s]").view(np.int64)
        ok = np.flatnonzero((end != NAT) & (start != NAT))
        secs = end[ok] - start[ok]
        codes = np.asarray(group.codes)[ok]
        day_parts.append(secs / 86400.0)
        group_codes.append(codes)
        transition_codes.append(np.full(len(ok), j, dtype=np.int8))
        summary_rows.append(_stats(np.sort(secs)))
        for code, part in _by_code(secs, codes, k):
            group_rows.append(_stats(part))
            group_index.append((j, code))
    # The long table is put together from integer codes: no per-row strings.
    dist = pd.DataFrame(
        {
            "transition": pd.Categorical.from_codes(np.concatenate(transition_codes), names),
            by: pd.Categorical.from_codes(np.concatenate(group_codes), dtype=group.dtype),
            "days": np.concatenate(day_parts),
        }
    )
    # Statistics from sorted integer seconds per transition and group, as pandas'
    # groupby computes them (median of the middle values, linear quantile), without
    # sorting the long table by group.
    columns = ["n", "median", "p90", "mean"]
    summary = pd.DataFrame(
        summary_rows,
        index=pd.CategoricalIndex(names, categories=names, name="transition"),
        columns=columns,
    )
    codes_t = np.array([t for t, _ in group_index], dtype=np.int64)
    codes_g = np.array([g for _, g in group_index], dtype=np.int64)
    index = pd.MultiIndex.from_arrays(
        [
            pd.Categorical.from_codes(codes_t, names),
            pd.Categorical.from_codes(codes_g, dtype=group.dtype),
        ],
        names=["transition", by],
    )
    by_group = pd.DataFrame(group_rows, index=index, columns=columns)
    return Velocity(summary, by_group, dist)


def _by_code(secs: np.ndarray, codes: np.ndarray, k: int) -> list[tuple[int, np.ndarray]]:
    """``(code, sorted seconds)`` of each group code present (0 <= code < k), in code order."""
    keep = codes >= 0
    if not keep.all():  # a missing group is left out, as groupby leaves it out
        secs, codes = secs[keep], codes[keep]
    if not len(secs):
        return []
    lo, span = int(secs.min()), int(secs.max()) - int(secs.min()) + 1
    if span * k < 2**62:
        # One integer sort orders by group, then by seconds (no argsort, no gather).
        key = np.sort(codes.astype(np.int64) * span + (secs - lo))
        grp, values = np.divmod(key, span)
        values += lo
    else:  # pragma: no cover - spans beyond ~10^11 years
        order = np.lexsort((secs, codes))
        grp, values = codes[order].astype(np.int64), secs[order]
    bounds = np.searchsorted(grp, np.arange(k + 1))
    return [
        (code, values[bounds[code] : bounds[code + 1]])
        for code in range(k)
        if bounds[code + 1] > bounds[code]
    ]


def _stats(secs: np.ndarray) -> tuple[int, float, float, float]:
    """(n, median, p90, mean) in days of sorted seconds, as pandas' groupby gives them."""
    n = len(secs)
    if n == 0:
        return 0, np.nan, np.nan, np.nan
    days = secs / 86400.0
    half = n // 2
    median = days[half] if n % 2 else (days[half] + days[half - 1]) / 2
    q_idx = 0.9 * (n - 1)
    i = int(q_idx)
    frac = q_idx % 1
    p90 = days[i] if frac == 0.0 else days[i] + (days[i + 1] - days[i]) * frac
    mean = float(secs.sum()) / 86400.0 / n
    return n, float(median), float(p90), mean
