"""Funnel metrics from the normalised CRM table: conversion, velocity, costs, trends, SLA, plan.

Every function is pure and vectorised over the table :mod:`alignlib.crm` builds
(``entered_<stage>``, ``reached_<stage>``, ``channel``, ``owner``, ``outcome``,
``amount``, ``first_response``, ...). Outputs are aggregates only: no ids, names
or emails ever appear in them.

Conventions: months are ``pandas.Period[M]``; a *cohort* is the month a contact
was created; *period* counts are entries into a stage by the month of the
stage's date (a skipped stage has no date and is not counted in period views,
but counts as reached in cohort views). Rates with a zero denominator are NaN
(shown as "n/a"): never a silent 0.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignlib.errors import InputError

DAY = pd.Timedelta(days=1)


# --------------------------------------------------------------------------- helpers


def stages_of(table: pd.DataFrame) -> tuple[str, ...]:
    """The stage names of a normalised table, top to bottom (from its ``entered_`` columns)."""
    names = tuple(c[8:] for c in table.columns if c.startswith("entered_"))
    if not names:
        raise InputError("not a normalised CRM table: no entered_<stage> columns")
    return names


def _stages(table: pd.DataFrame, stage_names: Sequence[str] | None) -> tuple[str, ...]:
    have = stages_of(table)
    if stage_names is None:
        return have
    missing = [s for s in stage_names if s not in have]
    if missing:
        raise InputError(
            f"stage(s) {', '.join(missing)} not in the table (it has {', '.join(have)})"
        )
    return tuple(stage_names)


# While :func:`summarise` runs, per-column work on its table (month codes, group
# codes) is done once and shared by every metric; outside it nothing is kept.
_SHARED: contextvars.ContextVar[tuple[pd.DataFrame, dict[Any, Any]] | None] = (
    contextvars.ContextVar("alignlib_metrics_shared", default=None)
)


@contextlib.contextmanager
def _sharing(table: pd.DataFrame) -> Iterator[None]:
    token = _SHARED.set((table, {}))
    try:
        yield
    finally:
        _SHARED.reset(token)


def _shared(table: pd.DataFrame, key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, remembered for ``table`` while :func:`summarise` runs (never mutate it)."""
    current = _SHARED.get()
    if current is None or current[0] is not table:
        return compute()
    memo = current[1]
    if key not in memo:
        memo[key] = compute()
    return memo[key]


_NAT = np.iinfo(np.int64).min


def _month_codes_of(values: np.ndarray) -> np.ndarray:
    """Months since 1970-01 for datetime64[s] values (-1 for NaT), via a per-day lookup."""
    secs = values.view("int64")
    ok = secs != _NAT
    out = np.full(len(secs), -1, dtype=np.int64)
    if not ok.any():
        return out
    days = secs[ok] // 86400
    lo, hi = int(days.min()), int(days.max())
    if hi - lo > 2_000_000:  # absurd date range: convert directly
        out[ok] = values[ok].astype("datetime64[M]").astype(np.int64)
        return out
    lut = np.arange(lo, hi + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    out[ok] = lut[days - lo]
    return out


def _month_codes(table: pd.DataFrame, col: str) -> np.ndarray:
    """Month codes (months since 1970-01, -1 for a missing date) of a date column."""
    return _shared(
        table,
        ("month_codes", col),
        lambda: _month_codes_of(table[col].to_numpy(dtype="datetime64[s]")),
    )


def _groups(table: pd.DataFrame, by: str) -> pd.Categorical:
    """``pd.Categorical(table[by].astype("str").fillna("(none)"))``, built faster for str columns."""

    def compute() -> pd.Categorical:
        col = table[by]
        if not isinstance(col.array, pd.arrays.ArrowStringArray):
            return pd.Categorical(col.astype("str").fillna("(none)"))
        import pyarrow as pa
        import pyarrow.compute as pc

        enc = pc.dictionary_encode(col.array.__arrow_array__())
        if isinstance(enc, pa.ChunkedArray):
            enc = enc.unify_dictionaries()
            dictionary = enc.chunk(0).dictionary if enc.num_chunks else pa.array([], pa.string())
            indices = pa.chunked_array([c.indices for c in enc.chunks], type=pa.int32())
        else:
            dictionary, indices = enc.dictionary, enc.indices
        names = [str(v) for v in dictionary.to_pylist()]
        codes = pc.fill_null(indices, len(names)).to_numpy()
        if indices.null_count and "(none)" not in names:
            names.append("(none)")
        elif indices.null_count:
            codes = np.where(codes == len(names), names.index("(none)"), codes)
        # pandas orders categories by value: sort the few names, remap the codes.
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.empty(len(names) + 1, dtype=np.int64)
        rank[order] = np.arange(len(names))
        rank[len(names)] = -1
        return pd.Categorical.from_codes(rank[codes], [names[i] for i in order])

    return _shared(table, ("groups", by), compute)


def _group_median_quantile(
    codes: np.ndarray,
    values: np.ndarray,
    k: int,
    q: float,
    by_value: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group 0..k-1: count of non-NaN values, median, ``q`` quantile (NaN if none).

    The same arithmetic as pandas' groupby ``median`` (mean of the two middle values)
    and ``quantile`` (``v[i] + (v[i + 1] - v[i]) * frac`` at ``q * (n - 1)``), from
    one sort instead of one groupby per statistic. ``by_value`` (``np.argsort(values)``,
    any ascending order) can be passed when several groupings share the values.
    """
    if by_value is None:
        by_value = np.argsort(values)
    by_value = by_value[: int((~np.isnan(values)).sum())]  # NaN sorts last
    group_codes = codes[by_value]
    if k < np.iinfo(np.int16).max:
        group_codes = group_codes.astype(np.int16)  # radix sort
    # Stable: within each group the values stay in ascending order.
    order = by_value[np.argsort(group_codes, kind="stable")]
    v = values[order]
    n = np.bincount(codes[by_value], minlength=k)
    start = np.cumsum(n) - n
    has = n > 0
    median = np.full(k, np.nan)
    quant = np.full(k, np.nan)
    s, m = start[has], n[has]
    hi = v[s + m // 2]
    lo = v[s + np.maximum(m // 2 - 1, 0)]
    median[has] = np.where(m % 2 == 1, hi, (hi + lo) / 2)
    pos = q * (m - 1).astype(np.float64)
    base = v[s + pos.astype(np.int64)]
    frac = np.fmod(pos, 1)
    nxt = v[np.minimum(s + pos.astype(np.int64) + 1, s + m - 1)]
    quant[has] = np.where(frac == 0.0, base, base + (nxt - base) * frac)
    return n, median, quant


def _ts(as_of: dt.date | pd.Timestamp | str) -> pd.Timestamp:
    return pd.Timestamp(as_of)


def _ratio(num: Any, den: Any) -> Any:
    """num / den with NaN where den is 0 (documented: a rate over nothing is undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(num, pd.Series | pd.DataFrame):
            return (
                num.div(den).where(np.asarray(den) != 0)
                if np.ndim(den)
                else (num / den if den else num * np.nan)
            )
        return float(num) / float(den) if den else float("nan")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, pd.Period | pd.Timestamp):
        return str(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return _jsonable(frame.reset_index().to_dict("records"))


def transition_names(stage_names: Sequence[str]) -> list[str]:
    """``lead_to_mql``-style names of each transition."""
    return [f"{a}_to_{b}" for a, b in zip(stage_names[:-1], stage_names[1:], strict=True)]


# --------------------------------------------------------------------------- volumes


def stage_volumes(
    table: pd.DataFrame,
    *,
    stage_names: Sequence[str] | None = None,
    freq: str = "M",
    by: str | None = None,
) -> pd.DataFrame:
    """Entries into each stage by period (of the stage's own date).

    Parameters
    ----------
    table : DataFrame
        Normalised CRM table.
    freq : str
        ``M`` (months), ``Q`` (quarters) or ``Y``.
    by : str, optional
        A column to split by (``channel``, ``owner``): the index becomes (period, by).

    Returns
    -------
    DataFrame
        Index: period (Period) [and ``by``], one column per stage; every period
        between the first and the last date present, zeros where nothing entered.
    """
    stages = _stages(table, stage_names)
    if freq not in ("M", "Q", "Y"):
        raise InputError(f"freq must be M, Q or Y, got {freq!r}")
    if by is None:
        return _shared(
            table, ("volumes", stages, freq), lambda: _stage_volumes(table, stages, freq, None)
        ).copy()
    return _stage_volumes(table, stages, freq, by)


def _stage_volumes(
    table: pd.DataFrame, stages: Sequence[str], freq: str, by: str | None
) -> pd.DataFrame:
    """:func:`stage_volumes` from the month codes of each stage date, by bincount."""
    # Integer period codes per stage date (negative: not counted), counted with bincount.
    div = {"M": 1, "Q": 3, "Y": 12}[freq]
    codes, ranges = {}, []
    for s in stages:
        c = _month_codes(table, f"entered_{s}")
        r = _code_range(table, f"entered_{s}")
        if div != 1:
            c = np.where(c >= 0, c // div, -1)
            r = None if r is None else (r[0] // div, r[1] // div)
        codes[s] = c
        if r is not None:
            ranges.append(r)
    if not ranges:
        return pd.DataFrame(columns=list(stages), dtype=int)
    lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
    span = hi - lo + 1
    if freq == "Q":
        first = pd.Period(year=1970 + lo // 4, quarter=lo % 4 + 1, freq="Q")
    elif freq == "Y":
        first = pd.Period(year=1970 + lo, freq="Y")
    else:
        first = pd.Period(year=1970 + lo // 12, month=lo % 12 + 1, freq="M")
    periods = pd.period_range(first, periods=span, freq=freq, name="period")
    if by is None:
        # Bin 0 takes the uncounted codes (< 0 <= lo): no compaction of the codes.
        counts = {
            s: np.bincount(np.clip(c - (lo - 1), 0, None), minlength=span + 1)[1 : span + 1]
            for s, c in codes.items()
        }
        return pd.DataFrame(counts, index=periods)[list(stages)]
    cat = _groups(table, by)
    k = len(cat.categories)
    out = {}
    for s, c in codes.items():
        flat = np.where(c >= 0, (c - lo) * k + cat.codes + 1, 0)
        out[s] = np.bincount(flat, minlength=span * k + 1)[1 : span * k + 1]
    index = pd.MultiIndex.from_product([periods, list(cat.categories)], names=["period", by])
    return pd.DataFrame(out, index=index)[list(stages)]


def _code_range(table: pd.DataFrame, col: str) -> tuple[int, int] | None:
    """(lowest, highest) month code >= 0 of a date column, or None if it has none."""

    def compute() -> tuple[int, int] | None:
        c = _month_codes(table, col)
        hi = int(c.max()) if len(c) else -1
        if hi < 0:
            return None
        return int(np.where(c >= 0, c, hi).min()), hi

    return _shared(table, ("code_range", col), compute)


def funnel(table: pd.DataFrame, *, stage_names: Sequence[str] | None = None) -> pd.DataFrame:
    """Contacts that reached each stage, the conversion into the next and from the top.

    Returns
    -------
    DataFrame
        Index stage; columns ``reached``, ``conversion_to_next`` (NaN for the last
        stage), ``conversion_from_top``.
    """
    stages = _stages(table, stage_names)
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


# --------------------------------------------------------------------------- conversion


def period_conversion(
    table: pd.DataFrame, *, stage_names: Sequence[str] | None = None, freq: str = "M"
) -> pd.DataFrame:
    """Period-based conversion: entries into the next stage / entries into this stage, same period.

    A quick read of flow (not of what happened to a given lead: use
    :func:`cohort_conversion` for that). Columns: the stage volumes, then one
    ``<a>_to_<b>`` rate per transition and ``<top>_to_<bottom>``; NaN where the
    denominator is 0.
    """
    stages = _stages(table, stage_names)
    vol = stage_volumes(table, stage_names=stages, freq=freq)
    out = vol.copy()
    for a, b, name in zip(stages[:-1], stages[1:], transition_names(stages), strict=True):
        out[name] = vol[b] / vol[a].where(vol[a] > 0)
    out[f"{stages[0]}_to_{stages[-1]}"] = vol[stages[-1]] / vol[stages[0]].where(vol[stages[0]] > 0)
    return out


def time_to_convert(table: pd.DataFrame, *, stage_names: Sequence[str] | None = None) -> pd.Series:
    """Days from creation to the last stage for contacts that reached it (with a date)."""
    stages = _stages(table, stage_names)
    end, start = table[f"entered_{stages[-1]}"], table["created"]
    if end.dtype == start.dtype == np.dtype("datetime64[s]"):
        # Same numbers as the pandas expression below, without million-row temporaries.
        e, c = end.to_numpy().view("int64"), start.to_numpy().view("int64")
        ok = np.flatnonzero((e != _NAT) & (c != _NAT))
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
        return {
            "as_of": str(self.as_of.date()),
            "maturity_days": self.maturity_days,
            "quantile": self.quantile,
            "cohorts": _records(self.frame),
        }


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
    table : DataFrame
        Normalised CRM table.
    as_of : date
        When the export was taken.
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
    stages = _stages(table, stage_names)
    as_of_ts = _ts(as_of)
    return _shared(
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
    codes = _month_codes(table, "created")
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
    """
    stages = _stages(table, stage_names)
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


# --------------------------------------------------------------------------- velocity


@dataclass(frozen=True)
class Velocity:
    """Days between stages.

    Attributes
    ----------
    summary : DataFrame
        Index transition (``lead_to_mql`` ... and ``<top>_to_<bottom>``); columns
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
        return {"summary": _records(self.summary), "by_group": _records(self.by_group)}


def velocity(
    table: pd.DataFrame, *, stage_names: Sequence[str] | None = None, by: str = "channel"
) -> Velocity:
    """Days between consecutive stages (both dates present), median, P90 and distribution.

    A skipped stage has no date, so its transitions are measured only for
    contacts that have both dates; the top-to-bottom cycle uses the first and last
    stage dates. Negative gaps cannot occur in accepted rows (out-of-order dates
    are rejected at ingest).
    """
    stages = _stages(table, stage_names)
    pairs = list(zip(stages[:-1], stages[1:], strict=True)) + [(stages[0], stages[-1])]
    group = _groups(table, by)
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


# --------------------------------------------------------------------------- costs


@dataclass(frozen=True)
class Costs:
    """Spend and cost per stage by channel (total) and by month and channel.

    Attributes
    ----------
    by_channel : DataFrame
        Index channel; ``spend``, ``<stage>`` (entries in the spend months),
        ``cost_per_<stage>``; the last stage's cost is also ``cac``.
    by_month : DataFrame
        Index (month, channel); the same columns.
    total : Series
        The same across all channels.
    """

    by_channel: pd.DataFrame
    by_month: pd.DataFrame
    total: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """Cost by channel."""
        return self.by_channel

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "total": _jsonable(self.total.to_dict()),
            "by_channel": _records(self.by_channel),
            "by_month": _records(self.by_month),
        }


def costs(
    table: pd.DataFrame,
    spend: pd.DataFrame,
    *,
    stage_names: Sequence[str] | None = None,
) -> Costs:
    """Cost per lead, per MQL, ... and CAC from the spend file, by channel and month.

    Stage counts are period entries (by the month of each stage's date) within the
    months the spend file covers, so a month's spend is set against the leads,
    MQLs, ... and customers that month. Channels in the table but not in the spend
    file get spend 0; a cost over zero entries is NaN.

    Parameters
    ----------
    spend : DataFrame
        ``month`` (Period[M] or ``YYYY-MM``), ``channel``, ``spend`` (see
        :func:`alignlib.crm.load_spend`).
    """
    stages = _stages(table, stage_names)
    missing = {"month", "channel", "spend"} - set(spend.columns)
    if missing:
        raise InputError(f"spend table is missing column(s): {', '.join(sorted(missing))}")
    sp = spend.assign(month=pd.PeriodIndex(spend["month"], freq="M"))
    sp = sp.groupby(["month", "channel"])["spend"].sum()
    vol = stage_volumes(table, stage_names=stages, by="channel")
    vol.index = vol.index.set_names(["month", "channel"])
    months = sp.index.get_level_values(0).unique()
    vol = vol.loc[vol.index.get_level_values(0).isin(months)]
    by_month = pd.concat([sp, vol], axis=1).fillna(0)
    by_month[list(stages)] = by_month[list(stages)].astype(int)
    by_month = by_month.sort_index()

    def add_costs(f: pd.DataFrame) -> pd.DataFrame:
        f = f.copy()
        for s in stages:
            f[f"cost_per_{s}"] = f["spend"] / f[s].where(f[s] > 0)
        f["cac"] = f[f"cost_per_{stages[-1]}"]
        return f

    by_channel = add_costs(by_month.groupby(level="channel").sum())
    total = add_costs(by_month.sum().to_frame().T).iloc[0]
    return Costs(by_channel, add_costs(by_month), total)


# --------------------------------------------------------------------------- won / lost


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
        return {"by_stage": _records(self.by_stage), "by_group": _records(self.by_group)}


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


def won_lost(
    table: pd.DataFrame, *, stage_names: Sequence[str] | None = None, by: str = "channel"
) -> WonLost:
    """Outcomes of contacts by the stages they reached and by source (channel)."""
    stages = _stages(table, stage_names)
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
    group = _groups(table, by)
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


# --------------------------------------------------------------------------- trends


@dataclass(frozen=True)
class Trends:
    """Growth of stage volumes and conversion rates.

    Attributes
    ----------
    monthly : DataFrame
        Index month (complete months only); stage volumes and period conversion rates.
    mom : DataFrame
        Month-over-month change (fraction) of every column of ``monthly``.
    rolling3 : DataFrame
        Three-month rolling mean of ``monthly``.
    yoy : DataFrame
        Change against the same month a year earlier.
    quarterly : DataFrame
        Quarter sums of volumes (complete quarters and the current one flagged by
        ``complete``), with rates recomputed from the sums.
    qoq : DataFrame
        Quarter-over-quarter change of ``quarterly`` (complete quarters only).
    partial_month : Period or None
        The month containing ``as_of``, left out because it is incomplete.
    """

    monthly: pd.DataFrame
    mom: pd.DataFrame
    rolling3: pd.DataFrame
    yoy: pd.DataFrame
    quarterly: pd.DataFrame
    qoq: pd.DataFrame
    partial_month: pd.Period | None

    def to_frame(self) -> pd.DataFrame:
        """Monthly volumes and rates."""
        return self.monthly

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "monthly": _records(self.monthly),
            "mom": _records(self.mom),
            "yoy": _records(self.yoy),
            "qoq": _records(self.qoq),
            "partial_month": None if self.partial_month is None else str(self.partial_month),
        }


def _with_rates(vol: pd.DataFrame, stages: Sequence[str]) -> pd.DataFrame:
    out = vol.copy()
    for a, b, name in zip(stages[:-1], stages[1:], transition_names(stages), strict=True):
        out[name] = vol[b] / vol[a].where(vol[a] > 0)
    return out


def trends(
    table: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | str,
    *,
    stage_names: Sequence[str] | None = None,
) -> Trends:
    """Month-over-month, quarter-over-quarter and year-over-year growth, rolling 3-month means.

    The month containing ``as_of`` is incomplete (unless ``as_of`` is its last
    day) and is left out, so a partial month never reads as a collapse. Growth
    from a zero base is NaN.
    """
    stages = _stages(table, stage_names)
    as_of_ts = _ts(as_of)
    return _shared(table, ("trends", stages, as_of_ts), lambda: _trends(table, as_of_ts, stages))


def _trends(table: pd.DataFrame, as_of_ts: pd.Timestamp, stages: Sequence[str]) -> Trends:
    vol = stage_volumes(table, stage_names=stages)
    cur = as_of_ts.to_period("M")
    partial = None if as_of_ts.normalize() == cur.end_time.normalize() else cur
    last_complete = cur if partial is None else cur - 1
    vol = vol.loc[vol.index <= last_complete]
    monthly = _with_rates(vol, stages)

    def change(f: pd.DataFrame, periods: int) -> pd.DataFrame:
        prev = f.shift(periods)
        return (f - prev) / prev.where(prev != 0)

    mom = change(monthly, 1)
    yoy = change(monthly, 12)
    rolling3 = monthly.rolling(3).mean()
    q = vol.groupby(vol.index.asfreq("Q")).sum()
    q.index.name = "quarter"
    months_in = vol.groupby(vol.index.asfreq("Q")).size()
    quarterly = _with_rates(q, stages)
    quarterly["complete"] = (months_in == 3).to_numpy()
    complete = quarterly.loc[quarterly["complete"]].drop(columns="complete")
    qoq = change(complete, 1)
    return Trends(monthly, mom, rolling3, yoy, quarterly, qoq, partial)


@dataclass(frozen=True)
class Forecast:
    """Forecast of stage volumes with a prediction interval.

    Attributes
    ----------
    monthly : DataFrame
        Index (stage, month); ``forecast``, ``lower``, ``upper``.
    quarter : DataFrame
        Index stage; ``forecast``, ``lower``, ``upper`` for the target quarter's
        total (interval from simulated paths, so not the sum of monthly bounds);
        ``actual_to_date`` counts entries already in the quarter.
    target_quarter : Period
    confidence : float
    history : DataFrame
        The complete months the models were fitted on (month x stage).
    method : dict
        Stage -> description of the model used.
    """

    monthly: pd.DataFrame
    quarter: pd.DataFrame
    target_quarter: pd.Period
    confidence: float
    history: pd.DataFrame
    method: dict[str, str]

    def to_frame(self) -> pd.DataFrame:
        """Quarter totals."""
        return self.quarter

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "target_quarter": str(self.target_quarter),
            "confidence": self.confidence,
            "quarter": _records(self.quarter),
            "monthly": _records(self.monthly),
            "method": self.method,
        }


def forecast_series(
    history: pd.Series,
    horizon: int,
    *,
    confidence: float = 0.8,
    repetitions: int = 2000,
    rng: np.random.Generator | None = None,
) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Fit an ETS model (statsmodels ``ETSModel``) to monthly counts and forecast.

    Uses additive errors, a damped additive trend and, with at least 24 months,
    additive yearly seasonality. Returns (frame with ``forecast, lower, upper``
    indexed by month, simulated paths of shape (horizon, repetitions), method).
    With fewer than 6 months, or a constant series, it falls back to the mean with a
    Poisson interval (documented neutral result).
    """
    from scipy import stats

    if not 0 < confidence < 1:
        raise InputError(f"confidence must be in (0, 1), got {confidence}")
    if horizon < 1:
        raise InputError(f"horizon must be at least 1 month, got {horizon}")
    rng = rng if rng is not None else np.random.default_rng(0)
    start = history.index[-1] + 1
    months = pd.period_range(start, periods=horizon, freq="M", name="month")
    y = history.astype(float)
    alpha = 1 - confidence
    if len(y) < 6 or y.std() == 0:
        level = float(y.tail(3).mean()) if len(y) else 0.0
        paths = rng.poisson(level, size=(horizon, repetitions)).astype(float)
        lo, hi = stats.poisson.ppf([alpha / 2, 1 - alpha / 2], level) if level > 0 else (0.0, 0.0)
        frame = pd.DataFrame({"forecast": level, "lower": lo, "upper": hi}, index=months)
        return frame, paths, "mean of the last 3 months (too little history for ETS)"
    import warnings

    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasonal = "add" if len(y) >= 24 else None
    ts = pd.Series(y.to_numpy(), index=history.index.to_timestamp(), name=history.name).asfreq("MS")
    # Heuristic initial states with seasonality: far fewer parameters to optimise
    # than 12 estimated seasonal states on two years of data (and ~100x faster).
    model = ETSModel(
        ts,
        error="add",
        trend="add",
        damped_trend=True,
        seasonal=seasonal,
        seasonal_periods=12 if seasonal else None,
        initialization_method="heuristic" if seasonal else "estimated",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(disp=False)
        pred = fit.get_prediction(start=len(ts), end=len(ts) + horizon - 1).summary_frame(
            alpha=alpha
        )
        sims = fit.simulate(horizon, anchor="end", repetitions=repetitions, rng=rng)
    paths = np.clip(np.asarray(sims, dtype=float).reshape(horizon, repetitions), 0, None)
    frame = pd.DataFrame(
        {
            "forecast": pred["mean"].clip(lower=0).to_numpy(),
            "lower": pred["pi_lower"].clip(lower=0).to_numpy(),
            "upper": pred["pi_upper"].clip(lower=0).to_numpy(),
        },
        index=months,
    )
    method = "ETS(A,Ad,A) seasonal 12" if seasonal else "ETS(A,Ad,N)"
    return frame, paths, method


def forecast_volumes(
    table: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | str,
    *,
    stage_names: Sequence[str] | None = None,
    quarter: pd.Period | str | None = None,
    confidence: float = 0.8,
    seed: int | None = 2026,
) -> Forecast:
    """Forecast each stage's monthly entries through a quarter, with an interval.

    Models are fitted on complete months up to ``as_of``; the forecast covers the
    months from the first incomplete one to the end of ``quarter`` (default: the
    quarter after the one containing ``as_of``). The quarter total adds the
    entries already recorded in the quarter's complete months and the month to
    date is replaced by its forecast. The interval of the total comes from
    simulated ETS paths (``seed`` makes it reproducible).
    """
    stages = _stages(table, stage_names)
    as_of_ts = _ts(as_of)
    tr = trends(table, as_of_ts, stage_names=stages)
    history = tr.monthly[list(stages)]
    if history.empty:
        raise InputError("no complete month of data before as_of: nothing to forecast from")
    q = pd.Period(quarter, "Q") if quarter is not None else as_of_ts.to_period("Q") + 1
    first = history.index[-1] + 1
    last = q.asfreq("M", how="end")
    if last < first:
        raise InputError(f"quarter {q} is already complete in the data (as of {as_of_ts.date()})")
    horizon = (last - first).n + 1
    rng = np.random.default_rng(seed)
    alpha = 1 - confidence
    monthly_parts, quarter_rows, methods = [], [], {}
    q_months = pd.period_range(q.asfreq("M", how="start"), last, freq="M")
    for s in stages:
        frame, paths, method = forecast_series(history[s], horizon, confidence=confidence, rng=rng)
        methods[s] = method
        monthly_parts.append(frame.assign(stage=s).set_index("stage", append=True).swaplevel())
        in_q = frame.index.isin(q_months)
        actual = int(history.loc[history.index.isin(q_months), s].sum())
        totals = paths[in_q].sum(axis=0) + actual
        quarter_rows.append(
            {
                "stage": s,
                "actual_to_date": actual,
                "forecast": float(frame.loc[in_q, "forecast"].sum() + actual),
                "lower": float(np.quantile(totals, alpha / 2)),
                "upper": float(np.quantile(totals, 1 - alpha / 2)),
            }
        )
    monthly = pd.concat(monthly_parts)
    return Forecast(
        monthly, pd.DataFrame(quarter_rows).set_index("stage"), q, confidence, history, methods
    )


# --------------------------------------------------------------------------- SLA


@dataclass(frozen=True)
class SLAReport:
    """Response-time SLA between marketing and sales.

    Attributes
    ----------
    summary : dict
        ``handoffs`` (contacts past the hand-off stage whose SLA window has ended
        or who were answered), ``responded``, ``median_hours``, ``p90_hours``,
        ``compliance`` (share answered within ``sla_hours``; unanswered count as
        breaches), ``acceptance_rate`` (accepted / decided), ``accepted_within``
        (share accepted within ``acceptance_hours``, of accepted contacts with an
        acceptance date), ``recycle_rate`` (returned to nurture without being
        accepted / hand-offs), ``disqualified_rate``, ``sla_hours``.
    by_channel, by_owner : DataFrame
        ``handoffs``, ``responded``, ``median_hours``, ``p90_hours``, ``compliance``,
        ``acceptance_rate``, ``recycle_rate``.
    by_month : DataFrame
        The same by month of hand-off (compliance over time).
    """

    summary: dict[str, float]
    by_channel: pd.DataFrame
    by_owner: pd.DataFrame
    by_month: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """SLA by month."""
        return self.by_month

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "summary": _jsonable(self.summary),
            "by_channel": _records(self.by_channel),
            "by_owner": _records(self.by_owner),
            "by_month": _records(self.by_month),
        }


def sla(
    table: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | str,
    sla_hours: float,
    *,
    acceptance_hours: float | None = None,
    handoff_stage: str = "mql",
    accepted_stage: str | None = "sal",
) -> SLAReport:
    """Response time from hand-off (MQL) to first sales activity, compliance, acceptance, recycling.

    Parameters
    ----------
    sla_hours : float
        The response SLA (``p.sla.lead_response_hours``).
    acceptance_hours : float, optional
        Acceptance SLA (``p.sla.acceptance_hours``).
    handoff_stage, accepted_stage : str
        The stage whose entry starts the clock and the stage that means "accepted"
        (None when the company has no acceptance stage).

    Notes
    -----
    Hand-offs whose SLA window is still open at ``as_of`` and that have no response
    yet are left out (neither met nor breached). A first activity logged before the
    hand-off (sales was already in touch) counts as 0 hours. With no hand-offs the
    rates are NaN.
    """
    if sla_hours <= 0:
        raise InputError(f"sla_hours must be positive, got {sla_hours}")
    stages = stages_of(table)
    if handoff_stage not in stages:
        raise InputError(f"hand-off stage {handoff_stage!r} is not one of {', '.join(stages)}")
    if accepted_stage is not None and accepted_stage not in stages:
        accepted_stage = None
    as_of_ts = _ts(as_of)
    start = table[f"entered_{handoff_stage}"]
    start_s = start.to_numpy(dtype="datetime64[s]").view("int64")
    has_start = start_s != _NAT

    def hours_since_start(col: str) -> np.ndarray:
        # Exactly (col - start).dt.total_seconds() / 3600, NaN where either date is missing.
        other = table[col].to_numpy(dtype="datetime64[s]").view("int64")
        out = (other - start_s) / 3600  # meaningless where a date is missing: masked next
        out[~(has_start & (other != _NAT))] = np.nan
        return out

    hours = hours_since_start("first_response")
    hours = np.where(hours < 0, 0.0, hours)  # clip(lower=0), NaN kept
    if as_of_ts.tz is None:
        # start + sla <= as_of, in whole seconds: exact integer arithmetic on nanoseconds.
        latest_start = (as_of_ts.value - pd.Timedelta(hours=sla_hours).value) // 10**9
        window_over = has_start & (start_s <= latest_start)
    else:
        window_over = (start + pd.Timedelta(hours=sla_hours) <= as_of_ts).to_numpy(dtype=bool)
    eligible = has_start & (~np.isnan(hours) | window_over)
    met = (hours <= sla_hours) & eligible
    accepted = (
        table[f"reached_{accepted_stage}"].to_numpy(dtype=bool) & eligible
        if accepted_stage
        else np.zeros(len(table), dtype=bool)
    )
    # Returned to nurture / disqualified at the hand-off (not after a lost deal).
    recycled = table["recycled"].to_numpy(dtype=bool) & eligible & ~accepted
    disq = table["disqualified"].to_numpy(dtype=bool) & eligible & ~accepted
    decided = accepted | recycled | disq
    acc_hours = (
        hours_since_start(f"entered_{accepted_stage}")
        if accepted_stage
        else np.full(len(table), np.nan)
    )
    acc_timed = accepted & ~np.isnan(acc_hours)
    acc_within = acc_timed & (acc_hours <= (acceptance_hours or np.inf))
    rows = np.flatnonzero(eligible)
    frame = pd.DataFrame(
        {
            "hours": hours[rows],
            "met": met[rows],
            "accepted": accepted[rows],
            "decided": decided[rows],
            "recycled": recycled[rows],
            "disqualified": disq[rows],
            "acc_within": acc_within[rows],
            "acc_timed": acc_timed[rows],
        }
    )

    def keys_of(name: str) -> tuple[np.ndarray, pd.Index]:
        """Integer group codes of the eligible rows (-1: no group) and the sorted labels."""
        if name == "month":
            months = _month_codes(table, f"entered_{handoff_stage}")[rows]
            lo = int(months.min()) if len(months) else 0
            first = pd.Period(year=1970 + lo // 12, month=lo % 12 + 1, freq="M")
            span = int(months.max()) - lo + 1 if len(months) else 0
            return months - lo, pd.period_range(first, periods=span, freq="M", name="month")
        values = table[name].take(rows)
        if name == "owner":
            values = values.fillna("(unassigned)")
        codes, labels = pd.factorize(values, sort=True)
        return codes, pd.Index(labels, name=name)

    flags = ["met", "accepted", "decided", "recycled", "disqualified", "acc_within", "acc_timed"]
    eligible_hours = frame["hours"].to_numpy()
    eligible_flags = {f: frame[f].to_numpy() for f in flags}
    # Every (row, flag) that is set, for one bincount per grouping.
    flag_rows, flag_index = np.nonzero(np.column_stack(list(eligible_flags.values())))
    hours_order = np.argsort(eligible_hours)  # ascending, NaN last; shared by every grouping

    def agg(keys: str | None) -> pd.DataFrame:
        if keys:
            codes, labels = keys_of(keys)
        else:  # what frame.groupby(np.zeros(len(frame))) is indexed by
            codes, labels = np.zeros(len(frame), dtype=np.intp), pd.Index([0.0])
        # Sizes, counts and flag sums by bincount; median and P90 from one sort
        # (pandas' groupby median/quantile arithmetic, see _group_median_quantile).
        valid = codes >= 0
        k = len(labels)
        if valid.all():
            codes_v, hours_v, order = codes, eligible_hours, hours_order
        else:
            codes_v, hours_v, order = codes[valid], eligible_hours[valid], None
        size = np.bincount(codes_v, minlength=k)
        present = np.flatnonzero(size)
        responded, median, p90 = _group_median_quantile(codes_v, hours_v, k, 0.9, order)
        set_codes = codes[flag_rows]
        keep = set_codes >= 0
        nf = len(flags)
        sums = np.bincount(set_codes[keep] * nf + flag_index[keep], minlength=k * nf)
        sums = sums.reshape(k, nf)[present]
        out = pd.DataFrame(
            {
                "handoffs": size[present],
                "responded": responded[present],
                "median_hours": median[present],
                "p90_hours": p90[present],
                **{f: sums[:, j] for j, f in enumerate(flags)},
            },
            index=labels[present],
        )
        out["compliance"] = out["met"] / out["handoffs"].where(out["handoffs"] > 0)
        out["acceptance_rate"] = out["accepted"] / out["decided"].where(out["decided"] > 0)
        out["accepted_within"] = out["acc_within"] / out["acc_timed"].where(out["acc_timed"] > 0)
        out["recycle_rate"] = out["recycled"] / out["handoffs"].where(out["handoffs"] > 0)
        out["disqualified_rate"] = out["disqualified"] / out["handoffs"].where(out["handoffs"] > 0)
        return out.drop(columns=["met", "decided", "acc_within", "acc_timed"])

    total = agg(None)
    if len(total):
        summary = {k: _jsonable(v) for k, v in total.iloc[0].items()}
    else:
        summary = {
            "handoffs": 0,
            "responded": 0,
            **dict.fromkeys(
                [
                    "median_hours",
                    "p90_hours",
                    "compliance",
                    "acceptance_rate",
                    "accepted_within",
                    "recycle_rate",
                    "disqualified_rate",
                ],
                float("nan"),
            ),
        }
    summary["sla_hours"] = float(sla_hours)
    summary["acceptance_hours"] = float(acceptance_hours) if acceptance_hours else None
    return SLAReport(summary, agg("channel"), agg("owner"), agg("month"))


# --------------------------------------------------------------------------- actual to plan


@dataclass(frozen=True)
class ActualToPlan:
    """Actual stage volumes against the plan's monthly volumes.

    Attributes
    ----------
    monthly : DataFrame
        Index (month, stage); ``plan``, ``actual``, ``variance`` (actual - plan),
        ``attainment`` (actual / plan), ``complete`` (the month is over at ``as_of``).
    summary : DataFrame
        Index stage; ``plan_total`` (all plan months), ``plan_to_date`` (complete
        months plus the elapsed share of the current one), ``actual_to_date``,
        ``variance_to_date``, ``pacing`` (actual / plan to date), ``projected``
        (pacing x plan total), ``projected_vs_plan`` (projected - plan total).
    as_of : Timestamp
    """

    monthly: pd.DataFrame
    summary: pd.DataFrame
    as_of: pd.Timestamp

    def to_frame(self) -> pd.DataFrame:
        """The per-stage summary."""
        return self.summary

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "as_of": str(self.as_of.date()),
            "summary": _records(self.summary),
            "monthly": _records(self.monthly),
        }


def actual_to_plan(
    table: pd.DataFrame,
    plan_monthly: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | str,
    *,
    stage_names: Sequence[str] | None = None,
) -> ActualToPlan:
    """Compare actual entries per stage and month with the plan, pace and project the landing.

    Parameters
    ----------
    table : DataFrame
        Normalised CRM table.
    plan_monthly : DataFrame
        ``plan.monthly`` from :func:`alignlib.planning.build_plan`: indexed by month
        (Period[M], including months before the quarter where volume must enter
        early), one column per stage = volume that must enter that stage that month.
        Columns that are not stages of the table are ignored.
    as_of : date
        Today, for the export.

    Notes
    -----
    The plan window for a stage is every plan month; ``plan_to_date`` counts
    months before ``as_of``'s month in full and the current month by the share of
    its days elapsed (``as_of`` day included). Before the window starts pacing
    is NaN and the projection is the plan. Projection assumes the pace to date
    continues (``pacing x plan_total``).
    """
    as_of_ts = _ts(as_of)
    table_stages = _stages(table, stage_names)
    stages = [s for s in plan_monthly.columns if s in table_stages]
    if not stages:
        raise InputError(
            f"the plan has no stage columns in common with the table "
            f"(plan: {', '.join(map(str, plan_monthly.columns))}; table: {', '.join(table_stages)})"
        )
    plan = plan_monthly[stages].copy()
    plan.index = pd.PeriodIndex(plan.index, freq="M")
    # Only entries up to the end of the as-of day count as actuals: whole months
    # before the as-of month, that month up to the cutoff, nothing after it.
    cutoff = np.datetime64((as_of_ts.normalize() + DAY).to_datetime64(), "s")
    cur = as_of_ts.to_period("M")
    vol = stage_volumes(table)[stages].reindex(plan.index, fill_value=0)
    if cur in vol.index:
        cur_code = (cur.year - 1970) * 12 + cur.month - 1
        for s in stages:
            if cur_code < 0:  # months before 1970 are not counted (see stage_volumes)
                vol.loc[cur, s] = 0
                continue
            in_cur = _month_codes(table, f"entered_{s}") == cur_code
            dates = table[f"entered_{s}"].to_numpy(dtype="datetime64[s]")
            vol.loc[cur, s] = int((dates[in_cur] < cutoff).sum())
    elapsed = np.where(
        plan.index < cur,
        1.0,
        np.where(plan.index == cur, as_of_ts.day / cur.days_in_month, 0.0),
    )
    actual = vol.where(
        pd.DataFrame(elapsed > 0, index=plan.index).to_numpy().repeat(len(stages), 1), 0
    )
    plan_long = plan.stack().rename("plan")
    act_long = actual.stack().rename("actual")
    monthly = pd.concat([plan_long, act_long], axis=1)
    monthly.index = monthly.index.set_names(["month", "stage"])
    monthly["variance"] = monthly["actual"] - monthly["plan"]
    monthly["attainment"] = monthly["actual"] / monthly["plan"].where(monthly["plan"] > 0)
    month_idx = monthly.index.get_level_values("month")
    monthly["complete"] = month_idx < cur
    plan_to_date = plan.mul(elapsed, axis=0).sum()
    actual_to_date = actual.sum()
    plan_total = plan.sum()
    pacing = actual_to_date / plan_to_date.where(plan_to_date > 0)
    projected = (pacing * plan_total).where(pacing.notna(), plan_total)
    summary = pd.DataFrame(
        {
            "plan_total": plan_total,
            "plan_to_date": plan_to_date,
            "actual_to_date": actual_to_date.astype(int),
            "variance_to_date": actual_to_date - plan_to_date,
            "pacing": pacing,
            "projected": projected,
            "projected_vs_plan": projected - plan_total,
        }
    )
    summary.index.name = "stage"
    return ActualToPlan(monthly, summary, as_of_ts)


def bookings_by_month(table: pd.DataFrame) -> pd.Series:
    """Won amount by month of the close date (the bookings actuals)."""
    won = table["outcome"] == "won"
    d = table.loc[won, "close_date"]
    return table.loc[won, "amount"].groupby(d.dt.to_period("M")).sum().rename("bookings")


def summarise(
    table: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | str,
    *,
    spend: pd.DataFrame | None = None,
    sla_hours: float = 4.0,
    acceptance_hours: float | None = None,
    plan_monthly: pd.DataFrame | None = None,
    forecast_quarter: pd.Period | str | None = None,
    confidence: float = 0.8,
) -> Mapping[str, Any]:
    """Every metric at once (what a report or the benchmark needs), keyed by name.

    The same as calling each metric on its own; work they have in common (month
    codes of each stage date, channel codes, monthly volumes, the cohort table,
    the trends) is done once.
    """
    with _sharing(table):
        out: dict[str, Any] = {
            "funnel": funnel(table),
            "period_conversion": period_conversion(table),
            "cohort_conversion": cohort_conversion(table, as_of),
            "historical_counts": historical_counts(table, as_of),
            "velocity": velocity(table),
            "won_lost": won_lost(table),
            "trends": trends(table, as_of),
            "forecast": forecast_volumes(
                table, as_of, quarter=forecast_quarter, confidence=confidence
            ),
            "sla": sla(table, as_of, sla_hours, acceptance_hours=acceptance_hours),
        }
        if spend is not None:
            out["costs"] = costs(table, spend)
        if plan_monthly is not None:
            out["actual_to_plan"] = actual_to_plan(table, plan_monthly, as_of)
    return out
