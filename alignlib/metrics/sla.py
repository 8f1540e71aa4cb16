"""SLA between marketing and sales: response time, compliance, acceptance and recycling."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.format import jsonable
from alignlib.metrics._table import NAT, dated_table_doc, month_codes, result_dict, stages_of


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


def km_quantile(times: np.ndarray, answered: np.ndarray, q: float) -> float:
    """The ``q`` quantile of response time from the Kaplan-Meier estimate (unanswered censored).

    The smallest response time ``t`` with ``S(t) < 1 - q`` (statsmodels'
    ``SurvfuncRight.quantile`` and SAS's rule), where ``S`` is the Kaplan-Meier estimate
    of the share still unanswered. Unanswered hand-offs are right-censored at their
    ``times``; at a tie an answer comes before a censoring. NaN when the estimate never
    falls below ``1 - q`` (more than ``1 - q`` of the hand-offs are never answered, or
    there are none).

    Parameters
    ----------
    times : numpy.ndarray
        Hours to the first response, or to ``as_of`` for the unanswered.
    answered : numpy.ndarray of bool
        True where the time is a response (an event), False where it is censored.
    q : float
        Quantile in (0, 1).

    Returns
    -------
    float
        The quantile in hours, or NaN.
    """
    order = np.lexsort((~answered, times))  # ascending time, answers first at a tie
    return float(_km_sorted(times[order], answered[order], (q,))[0])


def _km_sorted(t: np.ndarray, event: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """:func:`km_quantile` for each of ``qs``, on times already in its order."""
    n = len(t)
    out = np.full(len(qs), np.nan)
    if n == 0:
        return out
    # One factor per row, (1 - 1/at_risk) for an answer: their product over a tie is
    # the Kaplan-Meier factor (1 - d/n) of that time.
    at_risk = n - np.arange(n)
    surv = np.cumprod(np.where(event, 1.0 - 1.0 / at_risk, 1.0))
    for j, q in enumerate(qs):
        # The tolerance keeps S == 1 - q (e.g. 9 of 10 answered) from reading as below it.
        below = np.flatnonzero(event & (surv < 1 - q - 1e-9))
        if len(below):
            out[j] = t[below[0]]
    return out


def _group_km_quantiles(
    codes: np.ndarray,
    times: np.ndarray,
    answered: np.ndarray,
    k: int,
    qs: tuple[float, ...],
    by_time: np.ndarray | None = None,
) -> np.ndarray:
    """Per group 0..k-1, the Kaplan-Meier quantiles ``qs`` (:func:`km_quantile`); NaN if empty.

    ``by_time`` (``np.lexsort((~answered, times))``) can be passed when several
    groupings share the times.
    """
    out = np.full((k, len(qs)), np.nan)
    if not len(codes):
        return out
    if by_time is None:
        by_time = np.lexsort((~answered, times))
    group_codes = codes[by_time]
    if k < np.iinfo(np.int16).max:
        group_codes = group_codes.astype(np.int16)  # radix sort
    # Stable: within each group the rows stay in km_quantile's order.
    order = by_time[np.argsort(group_codes, kind="stable")]
    t, event, g = times[order], answered[order], codes[order]
    bounds = np.flatnonzero(np.diff(g)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(g)], strict=True):
        out[g[lo]] = _km_sorted(t[lo:hi], event[lo:hi], qs)
    return out


@dataclass(frozen=True)
class SLAReport:
    """Response-time SLA between marketing and sales.

    Attributes
    ----------
    summary : dict
        ``handoffs`` (contacts past the hand-off stage whose SLA window has ended
        or who were answered: every hand-off that was due a response),
        ``responded``, ``never_answered`` (hand-offs without a response) and
        ``never_answered_share``, ``median_hours`` and ``p90_hours`` (over every
        hand-off: the Kaplan-Meier estimate with the unanswered right-censored at
        ``as_of``; NaN when more than half, or a tenth, are never answered),
        ``answered_median_hours`` and ``answered_p90_hours`` (of the answered only,
        linear interpolation: the figures before the unanswered were counted),
        ``compliance`` (share answered within ``sla_hours``; unanswered count as
        breaches), ``acceptance_rate`` (accepted / decided), ``accepted_within``
        (share accepted within ``acceptance_hours``, of accepted contacts with an
        acceptance date), ``recycle_rate`` (returned to nurture without being
        accepted / hand-offs), ``disqualified_rate``, ``sla_hours``.
    by_channel, by_owner : DataFrame
        ``handoffs``, ``responded``, ``never_answered``, ``never_answered_share``,
        ``median_hours``, ``p90_hours``, ``answered_median_hours``,
        ``answered_p90_hours``, ``compliance``, ``acceptance_rate``, ``recycle_rate``.
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
        return result_dict(self, "summary", "by_channel", "by_owner", "by_month")


@dated_table_doc
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
    handoff_stage : str
        The stage whose entry starts the clock.
    accepted_stage : str or None
        The stage that means "accepted" (None when the company has no acceptance stage).

    Returns
    -------
    SLAReport

    Notes
    -----
    Hand-offs whose SLA window is still open at ``as_of`` and that have no response
    yet are left out (neither met nor breached). A hand-off whose window has passed
    without a response is a breach; its response time is censored at ``as_of`` minus
    the hand-off, so the percentiles (:func:`km_quantile`) count it as answered no
    sooner than that. A first activity logged before the hand-off (sales was already in
    touch) counts as 0 hours. With no hand-offs the rates are NaN.
    """
    if sla_hours <= 0:
        raise InputError(f"sla_hours must be positive, got {sla_hours}")
    stages = stages_of(table)
    if handoff_stage not in stages:
        raise InputError(f"hand-off stage {handoff_stage!r} is not one of {', '.join(stages)}")
    if accepted_stage is not None and accepted_stage not in stages:
        accepted_stage = None
    as_of_ts = pd.Timestamp(as_of)
    start = table[f"entered_{handoff_stage}"]
    start_s = start.to_numpy(dtype="datetime64[s]").view("int64")
    has_start = start_s != NAT

    def hours_since_start(col: str) -> np.ndarray:
        # Exactly (col - start).dt.total_seconds() / 3600, NaN where either date is missing.
        other = table[col].to_numpy(dtype="datetime64[s]").view("int64")
        out = (other - start_s) / 3600  # meaningless where a date is missing: masked next
        out[~(has_start & (other != NAT))] = np.nan
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
    # Censored times of the unanswered: hours from the hand-off to as_of.
    waited = (pd.Timestamp(as_of_ts).value // 10**9 - start_s) / 3600
    survival_hours = np.where(np.isnan(hours), waited, hours)
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
            months = month_codes(table, f"entered_{handoff_stage}")[rows]
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
    eligible_survival = survival_hours[rows]
    eligible_answered = ~np.isnan(eligible_hours)
    survival_order = np.lexsort((~eligible_answered, eligible_survival))  # shared, as hours_order

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
        if valid.all():
            km = _group_km_quantiles(
                codes, eligible_survival, eligible_answered, k, (0.5, 0.9), survival_order
            )
        else:
            km = _group_km_quantiles(
                codes_v, eligible_survival[valid], eligible_answered[valid], k, (0.5, 0.9)
            )
        set_codes = codes[flag_rows]
        keep = set_codes >= 0
        nf = len(flags)
        sums = np.bincount(set_codes[keep] * nf + flag_index[keep], minlength=k * nf)
        sums = sums.reshape(k, nf)[present]
        out = pd.DataFrame(
            {
                "handoffs": size[present],
                "responded": responded[present],
                "never_answered": size[present] - responded[present],
                "median_hours": km[present, 0],
                "p90_hours": km[present, 1],
                "answered_median_hours": median[present],
                "answered_p90_hours": p90[present],
                **{f: sums[:, j] for j, f in enumerate(flags)},
            },
            index=labels[present],
        )
        out["never_answered_share"] = out["never_answered"] / out["handoffs"].where(
            out["handoffs"] > 0
        )
        out["compliance"] = out["met"] / out["handoffs"].where(out["handoffs"] > 0)
        out["acceptance_rate"] = out["accepted"] / out["decided"].where(out["decided"] > 0)
        out["accepted_within"] = out["acc_within"] / out["acc_timed"].where(out["acc_timed"] > 0)
        out["recycle_rate"] = out["recycled"] / out["handoffs"].where(out["handoffs"] > 0)
        out["disqualified_rate"] = out["disqualified"] / out["handoffs"].where(out["handoffs"] > 0)
        return out.drop(columns=["met", "decided", "acc_within", "acc_timed"])

    total = agg(None)
    if len(total):
        summary = {k: jsonable(v) for k, v in total.iloc[0].items()}
    else:
        summary = {
            "handoffs": 0,
            "responded": 0,
            "never_answered": 0,
            **dict.fromkeys(
                [
                    "never_answered_share",
                    "median_hours",
                    "p90_hours",
                    "answered_median_hours",
                    "answered_p90_hours",
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
