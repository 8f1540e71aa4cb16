"""Conversion: the funnel, period conversion, cohort conversion with maturity, historical counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.metrics._table import (
    NAT,
    checked_stages,
    dated_table_and_stages_doc,
    groups,
    month_codes,
    month_range,
    result_dict,
    shared,
    table_and_stages_doc,
    transition_names,
)
from alignlib.metrics.volumes import stage_volumes


@table_and_stages_doc
def funnel(table: pd.DataFrame, *, stage_names: Sequence[str] | None = None) -> pd.DataFrame:
    """Contacts that reached each stage, the conversion into the next and from the top.

    Returns
    -------
    DataFrame
        Index stage; columns ``reached``, ``conversion_to_next`` (NaN for the last
        stage), ``conversion_from_top``.
    """
    stages = checked_stages(table, stage_names)
    reached = pd.Series({s: int(table[f"reached_{s}"].sum()) for s in stages}, name="reached")
    nxt = reached.shift(-1)
    out = pd.DataFrame(
        {
            "reached": reached,
            "conversion_to_next": nxt / reached.where(reached > 0),
            "conversion_from_top": reached / (reached.iloc[0] if reached.iloc[0] else np.nan),
        }
    )
    out.index.name = "stage"
    return out


@table_and_stages_doc
def period_conversion(
    table: pd.DataFrame, *, stage_names: Sequence[str] | None = None, freq: str = "M"
) -> pd.DataFrame:
    """Period-based conversion: entries into the next stage / entries into this stage, same period.

    A quick read of flow (not of what happened to a given lead: use
    :func:`cohort_conversion` for that). Columns: the stage volumes, then one
    ``<a>_to_<b>`` rate per transition and ``<top>_to_<bottom>``; NaN where the
    denominator is 0.

    Parameters
    ----------
    freq : str
        ``M``, ``Q`` or ``Y``.

    Returns
    -------
    DataFrame
        Index period.
    """
    stages = checked_stages(table, stage_names)
    vol = stage_volumes(table, stage_names=stages, freq=freq)
    out = vol.copy()
    for a, b, name in zip(stages[:-1], stages[1:], transition_names(stages), strict=True):
        out[name] = vol[b] / vol[a].where(vol[a] > 0)
    out[f"{stages[0]}_to_{stages[-1]}"] = vol[stages[-1]] / vol[stages[0]].where(vol[stages[0]] > 0)
    return out


@table_and_stages_doc
def time_to_convert(table: pd.DataFrame, *, stage_names: Sequence[str] | None = None) -> pd.Series:
    """Days from creation to the last stage for contacts that reached it (with a date).

    Returns
    -------
    Series
        Days (negative gaps count as 0), one per contact with both dates.
    """
    stages = checked_stages(table, stage_names)
    end, start = table[f"entered_{stages[-1]}"], table["created"]
    if end.dtype == start.dtype == np.dtype("datetime64[s]"):
        # Same numbers as the pandas expression below, without million-row temporaries.
        e, c = end.to_numpy().view("int64"), start.to_numpy().view("int64")
        ok = np.flatnonzero((e != NAT) & (c != NAT))
        days = (e[ok] - c[ok]) / 1.0 / 86400
        return pd.Series(np.where(days < 0, 0.0, days), index=table.index[ok])
    days = (end - start).dt.total_seconds() / 86400
    return days.dropna().clip(lower=0)


@dataclass(frozen=True)
class CohortConversion:
    """Conversion by creation-month cohort, with still-maturing cohorts flagged.

    Attributes
    ----------
    frame : DataFrame
        Index cohort (Period[M]); columns: ``<stage>`` (contacts of the cohort that
        reached it), ``<a>_to_<b>`` rates, ``<top>_to_<bottom>``, ``age_days`` (days
        from the cohort's last day to ``as_of``), ``maturing`` (bool).
    maturity_days : float
        A cohort younger than this is still maturing: the ``quantile`` of the days
        from creation to the last stage among contacts that got there.
    quantile : float
    as_of : Timestamp
    curve : DataFrame
        Time-to-convert curve: for day offsets 0..max, the share of eventual
        converters that had converted by then (columns ``days``, ``share``).
    """

    frame: pd.DataFrame
    maturity_days: float
    quantile: float
    as_of: pd.Timestamp
    curve: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The cohort table."""
        return self.frame

    @property
    def matured(self) -> pd.DataFrame:
        """Only the cohorts that are no longer maturing."""
        return self.frame.loc[~self.frame["maturing"]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return result_dict(self, "as_of", "maturity_days", "quantile", cohorts="frame")


@dated_table_and_stages_doc
def cohort_conversion(
    table: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | str,
    *,
    stage_names: Sequence[str] | None = None,
    quantile: float = 0.9,
    maturity_days: float | None = None,
) -> CohortConversion:
    """Cohort conversion by creation month; cohorts younger than the P90 time-to-convert are maturing.

    Parameters
    ----------
    quantile : float
        Quantile of the creation-to-last-stage time that defines maturity (0.9).
    maturity_days : float, optional
        Give the maturity threshold directly instead.

    Returns
    -------
    CohortConversion

    Notes
    -----
    A cohort's age is counted from its *last* day, so a cohort is mature only when
    every contact in it has had ``maturity_days``. With no contact reaching the
    last stage, the maturity threshold is NaN and every cohort is flagged maturing.
    """
    if not 0 < quantile < 1:
        raise InputError(f"quantile must be in (0, 1), got {quantile}")
    stages = checked_stages(table, stage_names)
    as_of_ts = pd.Timestamp(as_of)
    return shared(
        table,
        ("cohort_conversion", stages, as_of_ts, quantile, maturity_days),
        lambda: _cohort_conversion(table, as_of_ts, stages, quantile, maturity_days),
    )


def _cohort_conversion(
    table: pd.DataFrame,
    as_of_ts: pd.Timestamp,
    stages: Sequence[str],
    quantile: float,
    maturity_days: float | None,
) -> CohortConversion:
    ttc = time_to_convert(table, stage_names=stages)
    if maturity_days is None:
        maturity_days = float(ttc.quantile(quantile)) if len(ttc) else float("nan")
    codes = month_codes(table, "created")
    has_cohort = codes >= 0
    if has_cohort.any():
        # Contacts reaching each stage by creation month: bincount over month codes.
        lo, hi = int(codes[has_cohort].min()), int(codes[has_cohort].max())
        span = hi - lo + 1
        first = pd.Period(year=1970 + lo // 12, month=lo % 12 + 1, freq="M")
        reached = pd.DataFrame(
            {
                s: np.bincount(
                    codes[has_cohort & table[f"reached_{s}"].to_numpy(dtype=bool)] - lo,
                    minlength=span,
                )[:span].astype(int)
                for s in stages
            },
            index=pd.period_range(first, periods=span, freq="M", name="cohort"),
        )
    else:
        cohort = table["created"].dt.to_period("M").rename("cohort")
        reached = table[[f"reached_{s}" for s in stages]].groupby(cohort).sum().astype(int)
        reached.columns = list(stages)
    out = reached.copy()
    for a, b, name in zip(stages[:-1], stages[1:], transition_names(stages), strict=True):
        out[name] = reached[b] / reached[a].where(reached[a] > 0)
    out[f"{stages[0]}_to_{stages[-1]}"] = reached[stages[-1]] / reached[stages[0]].where(
        reached[stages[0]] > 0
    )
    ends = out.index.to_timestamp(how="end").normalize() if len(out) else pd.DatetimeIndex([])
    out["age_days"] = np.asarray((as_of_ts.normalize() - ends).days, dtype=float)
    out["maturing"] = ~(out["age_days"] >= maturity_days)
    if len(ttc):
        grid = np.arange(0, int(np.ceil(ttc.max())) + 1)
        share = np.searchsorted(np.sort(ttc.to_numpy()), grid, side="right") / len(ttc)
        curve = pd.DataFrame({"days": grid, "share": share})
    else:
        curve = pd.DataFrame({"days": pd.Series(dtype=int), "share": pd.Series(dtype=float)})
    return CohortConversion(out, maturity_days, quantile, as_of_ts, curve)


@dated_table_and_stages_doc
def historical_counts(
    table: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | str,
    *,
    stage_names: Sequence[str] | None = None,
    quantile: float = 0.9,
    maturity_days: float | None = None,
) -> dict[str, tuple[int, int]]:
    """``{from_stage: (converted, total)}`` over matured cohorts only (for Beta rates).

    ``total`` counts contacts of matured cohorts that reached ``from_stage``;
    ``converted`` those that also reached the next stage. Stages with ``total``
    0 are left out (nothing to learn from).

    Parameters
    ----------
    quantile : float
        As for :func:`cohort_conversion`.
    maturity_days : float, optional
        As for :func:`cohort_conversion`.

    Returns
    -------
    dict
        From stage -> (converted, total).
    """
    stages = checked_stages(table, stage_names)
    cc = cohort_conversion(
        table, as_of, stage_names=stages, quantile=quantile, maturity_days=maturity_days
    )
    m = cc.matured
    out: dict[str, tuple[int, int]] = {}
    for a, b in zip(stages[:-1], stages[1:], strict=True):
        total = int(m[a].sum())
        if total:
            out[a] = (int(m[b].sum()), total)
    return out


@dataclass(frozen=True)
class ConversionBy:
    """Conversion from the first stage to won by a grouping, with the counts beside it.

    Attributes
    ----------
    frame : DataFrame
        Index the group (sorted by ``contacts``, largest first; months in order);
        ``contacts`` (reached the first stage), ``won``, ``lost``, ``open``,
        ``conversion`` (won / contacts), ``win_rate`` (won / (won + lost): NaN when
        the table records no losses at all), ``won_with_amount`` (won deals whose
        amount the export gives), ``won_amount`` and ``avg_won_deal`` (NaN: not in
        the export, never 0).
    by : str
        What the groups are: a table column (``channel``, ``source``, ``owner``) or
        ``month`` (the month each contact reached the first stage).
    losses_recorded : bool
        Whether any contact's outcome is ``lost``: without losses a "win rate of
        closed deals" would be 100% whatever happened, so it is NaN.
    amounts_recorded : bool
        Whether any won contact has an amount.
    """

    frame: pd.DataFrame
    by: str
    losses_recorded: bool
    amounts_recorded: bool

    def to_frame(self) -> pd.DataFrame:
        """The table by group."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (NaN as null)."""
        return result_dict(self, "by", "losses_recorded", "amounts_recorded", groups="frame")


@table_and_stages_doc
def conversion_by(
    table: pd.DataFrame, by: str = "channel", *, stage_names: Sequence[str] | None = None
) -> ConversionBy:
    """Conversion by source, owner or month over every contact of the group.

    The denominator is every contact that reached the first stage (not only the
    closed deals), so a file that records wins but no losses (Olist's closed deals)
    still gives each source its true conversion. A blank group is ``(none)``.

    Parameters
    ----------
    by : str
        ``channel``, ``source``, ``owner`` (any text column of the table) or
        ``month`` (month of the first stage's date; contacts without one are left
        out of the months).

    Returns
    -------
    ConversionBy
        An empty frame (same columns) for an empty table.

    Raises
    ------
    InputError
        ``by`` is neither ``month`` nor a column of the table.
    """
    stages = checked_stages(table, stage_names)
    first = stages[0]
    from alignlib.metrics.won_lost import _outcome_kinds

    # One code per contact for its outcome and one for its group, counted by bincount
    # (a million-row table in a fraction of a second, as won_lost does).
    kind = _outcome_kinds(table["outcome"], ("won", "lost", "open"))
    won = kind == 0
    lost = kind == 1
    contacts = table[f"reached_{first}"].to_numpy(dtype=bool)
    amount = table["amount"].to_numpy(dtype=float)
    if by == "month":
        codes = month_codes(table, f"entered_{first}")
        span = month_range(table, f"entered_{first}")
        lo, hi = span if span is not None else (0, -1)
        in_funnel = contacts & (codes >= 0)
        group = np.where(in_funnel, codes - lo, 0)
        k = hi - lo + 1
        first_month = pd.Period(year=1970 + lo // 12, month=lo % 12 + 1, freq="M")
        index: pd.Index = pd.period_range(first_month, periods=max(k, 0), freq="M")
    elif by in table.columns:
        cats = groups(table, by)
        names = [str(c) for c in cats.categories]
        group = np.asarray(cats.codes, dtype=np.int64)
        if "" in names:  # a blank value is no group of its own: "(none)", as a missing one
            if "(none)" not in names:
                names.append("(none)")
            group = np.where(group == names.index(""), names.index("(none)"), group)
        in_funnel = contacts & (group >= 0)
        k = len(names)
        index = pd.Index(names, dtype=object)
    else:
        raise InputError(f"conversion by {by!r}: not a column of the table, nor 'month'")
    k = max(k, 0)
    g = group[in_funnel]

    def per_group(mask: np.ndarray | None = None, weights: np.ndarray | None = None) -> np.ndarray:
        sel = g if mask is None else g[mask[in_funnel]]
        w = None
        if weights is not None:
            w = weights[in_funnel] if mask is None else weights[in_funnel][mask[in_funnel]]
        return np.bincount(sel, weights=w, minlength=k)[:k]

    has_amount = won & np.isfinite(amount)
    out = pd.DataFrame(
        {
            "contacts": per_group().astype(int),
            "won": per_group(won).astype(int),
            "lost": per_group(lost).astype(int),
            "open": per_group(kind == 2).astype(int),
            "won_with_amount": per_group(has_amount).astype(int),
        },
        index=index,
    )
    # A group with no amount at all is NaN (not in the export), not 0.
    total = per_group(has_amount, np.where(has_amount, amount, 0.0))
    out["won_amount"] = np.where(out["won_with_amount"] > 0, total, np.nan)
    out = out.loc[out["contacts"] > 0]
    if by != "month":
        out = out.sort_index(kind="stable").sort_values(
            ["contacts", "won"], ascending=False, kind="stable"
        )
    amounts_recorded = bool(has_amount.any())
    losses_recorded = bool(lost.any())
    out["conversion"] = out["won"] / out["contacts"].where(out["contacts"] > 0)
    closed = out["won"] + out["lost"]
    out["win_rate"] = (out["won"] / closed.where(closed > 0)) if losses_recorded else np.nan
    out["avg_won_deal"] = out["won_amount"] / out["won_with_amount"].where(
        out["won_with_amount"] > 0
    )
    out = out[
        [
            "contacts",
            "won",
            "conversion",
            "lost",
            "open",
            "win_rate",
            "won_with_amount",
            "won_amount",
            "avg_won_deal",
        ]
    ].astype({"win_rate": float})
    out.index.name = by
    return ConversionBy(out, by, losses_recorded, amounts_recorded)
