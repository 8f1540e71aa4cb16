"""Hourly response capacity: can sales answer hand-offs within the SLA, hour by hour (Erlang C).

Monthly totals (reps x responses a day x working days) cannot test an hourly service
level: hand-offs arrive in bursts and outside working hours, and the SLA clock runs in
clock hours. Here hand-offs queue for the reps answering them as an M/M/c queue during
working hours (Poisson arrivals at the hour's rate learned from the actuals, exponential
answer times, ``c`` reps), hour by hour (the pointwise stationary approximation).

How hand-offs outside working hours are treated: the SLA clock keeps running, so one
that arrives ``g`` hours before the next working hour has ``t - g`` hours left when
sales starts (a breach whatever the staffing when ``g >= t``). Their answers are work
done in working hours, spread evenly over them as extra load; the backlog's queue at
opening is not modelled beyond that (so their figure is optimistic).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.format import pct

if TYPE_CHECKING:
    from alignlib.params import QuarterParams

MINUTES_PER_WEEK = 7 * 24 * 60
#: Average days in a month (365.25 / 12): converts working days a month to days a week.
MONTH_DAYS = 365.25 / 12
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def erlang_c(c: int, a: float | np.ndarray) -> Any:
    """Erlang C: the chance an arrival has to wait in an M/M/c queue.

    From Erlang B, ``B = poisson.pmf(c, a) / poisson.cdf(c, a)`` (in logs, so it stays
    finite and costs the same for any ``c``); ``C = c B / (c - a (1 - B))``.

    Parameters
    ----------
    c : int
        Servers (reps answering), at least 1.
    a : float or numpy.ndarray
        Offered load in Erlangs, ``lambda / mu`` (0 or more).

    Returns
    -------
    float or numpy.ndarray
        The chance of waiting, in [0, 1]; 1 where ``a >= c`` (the queue grows without
        bound), 0 where ``a == 0``.

    Raises
    ------
    InputError
        ``c`` below 1 or a negative load.
    """
    from scipy import stats

    if c < 1 or int(c) != c:
        raise InputError(f"servers must be a whole number of at least 1, got {c}")
    load = np.asarray(a, dtype=float)
    if (load < 0).any() or np.isnan(load).any():
        raise InputError("the offered load must be 0 or more")
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.exp(stats.poisson.logpmf(int(c), load) - stats.poisson.logcdf(int(c), load))
        out = np.where(load < c, c * b / (c - load * (1 - b)), 1.0)
    out = np.clip(np.nan_to_num(out, nan=0.0), 0.0, 1.0)
    return float(out) if out.ndim == 0 else out


def wait_exceeds(t: float | np.ndarray, c: int, lam: float | np.ndarray, mu: float) -> Any:
    """P(wait > t) in an M/M/c queue: ``C(c, a) exp(-(c mu - lambda) t)``.

    Parameters
    ----------
    t : float or numpy.ndarray
        Waiting time in hours (a negative time is always exceeded).
    c : int
        Reps answering.
    lam : float or numpy.ndarray
        Arrivals per hour.
    mu : float
        Answers per rep per hour (positive).

    Returns
    -------
    float or numpy.ndarray
        The chance, in [0, 1]; 1 where ``lam >= c mu`` (no steady state: the queue grows).

    Raises
    ------
    InputError
        ``mu`` not positive.
    """
    if not mu > 0:
        raise InputError(f"the service rate must be positive, got {mu}")
    lam_a = np.asarray(lam, dtype=float)
    t_a = np.asarray(t, dtype=float)
    wait = erlang_c(c, lam_a / mu)
    slack = np.maximum(c * mu - lam_a, 0.0)
    out = np.where(t_a < 0, 1.0, wait * np.exp(-slack * np.maximum(t_a, 0.0)))
    out = np.where(lam_a >= c * mu, 1.0, out)
    return float(out) if out.ndim == 0 else out


def reps_for_compliance(t: float, lam: float, mu: float, target: float) -> int:
    """The fewest reps that answer ``target`` of hand-offs within ``t`` hours (M/M/c).

    Parameters
    ----------
    t : float
        The SLA in hours.
    lam : float
        Hand-offs per hour.
    mu : float
        Answers per rep per hour.
    target : float
        Compliance target in (0, 1), e.g. 0.9.

    Returns
    -------
    int
        The smallest ``c`` with ``1 - P(wait > t) >= target`` (1 when nothing arrives).

    Raises
    ------
    InputError
        A target outside (0, 1) or a negative arrival rate.
    """
    if not 0 < target < 1:
        raise InputError(f"the compliance target must be in (0, 1), got {target}")
    if lam < 0:
        raise InputError(f"the arrival rate must be 0 or more, got {lam}")
    c = max(1, math.floor(lam / mu) + 1)  # the first stable queue
    while 1 - wait_exceeds(t, c, lam, mu) < target:
        c += 1
    return c


@dataclass(frozen=True)
class WorkingWeek:
    """When sales answers: ``days`` weekdays from Monday, ``hours_per_day`` from ``start_hour``."""

    days: int = 5
    start_hour: float = 9.0
    hours_per_day: float = 8.0

    def minutes(self) -> np.ndarray:
        """True for each minute of the week (Monday 00:00 = 0) that is working time."""
        out = np.zeros(MINUTES_PER_WEEK, dtype=bool)
        for start, end in self.chunks():
            out[np.arange(start, end) % MINUTES_PER_WEEK] = True
        return out

    def chunks(self) -> list[tuple[int, int]]:
        """Working hours as (first minute, end minute) of the week, an hour each (the last shorter)."""
        out = []
        length = round(self.hours_per_day * 60)
        for d in range(self.days):
            first = d * 1440 + round(self.start_hour * 60)
            for j in range(0, length, 60):
                out.append((first + j, first + min(j + 60, length)))
        return out

    def label(self) -> str:
        """E.g. ``Mon-Fri 09:00-17:00``."""
        start = round(self.start_hour * 60)
        end = (start + round(self.hours_per_day * 60)) % 1440
        days = _DAY_NAMES[0] if self.days == 1 else f"{_DAY_NAMES[0]}-{_DAY_NAMES[self.days - 1]}"
        return f"{days} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def _minute_of_week(stamps: pd.Series) -> np.ndarray:
    ts = pd.to_datetime(stamps.dropna())
    return (ts.dt.day_of_week * 1440 + ts.dt.hour * 60 + ts.dt.minute).to_numpy(dtype=np.int64)


@dataclass(frozen=True)
class HandoffPattern:
    """When in the week hand-offs arrive (and first responses are logged), from the actuals.

    Attributes
    ----------
    shares : numpy.ndarray
        Share of hand-offs arriving in each minute of the week (Monday 00:00 first; sums to 1).
    handoffs : int
        Hand-offs it was learned from.
    response_shares : numpy.ndarray or None
        The same for first responses (None without response times).
    """

    shares: np.ndarray
    handoffs: int
    response_shares: np.ndarray | None = None


def handoff_pattern(
    handoffs: pd.Series, responses: pd.Series | None = None
) -> HandoffPattern | None:
    """Learn the weekly arrival pattern of hand-offs from their timestamps.

    Parameters
    ----------
    handoffs : pandas.Series
        Hand-off timestamps (``entered_<handoff stage>``), local time of the export.
    responses : pandas.Series, optional
        First-response timestamps.

    Returns
    -------
    HandoffPattern or None
        None when no hand-off has a time of day (dates only: every stamp at midnight).
    """
    stamps = pd.to_datetime(handoffs.dropna())
    if stamps.empty or (stamps == stamps.dt.normalize()).all():
        return None
    minutes = _minute_of_week(stamps)
    shares = np.bincount(minutes, minlength=MINUTES_PER_WEEK) / len(minutes)
    response_shares = None
    if responses is not None and responses.notna().any():
        r = _minute_of_week(responses)
        response_shares = np.bincount(r, minlength=MINUTES_PER_WEEK) / len(r)
    return HandoffPattern(shares, len(minutes), response_shares)


@dataclass(frozen=True)
class HourlyCapacity:
    """Whether the reps answering hand-offs can keep the response SLA, hour by hour.

    Attributes
    ----------
    responders : int
        Reps answering hand-offs (``c``).
    sla_hours, compliance_target : float
        The response SLA and the share of hand-offs to answer within it.
    handoffs_per_month : float
        The plan's hand-offs in its busiest month.
    service_rate : float
        Answers per rep per working hour (``mu``: responses a day / working hours a day).
    working_week : str
        The working hours assumed (e.g. ``Mon-Fri 09:00-17:00``).
    arrivals_per_hour_average : float
        Every hand-off of the month over its working hours.
    arrivals_per_hour_peak : float
        The busiest working hour's load (its own arrivals and its part of the
        out-of-hours backlog); ``peak_hour`` names it (e.g. ``Tue 10:00``).
    utilisation : float
        ``average / (responders x service_rate)``.
    wait_exceeds_average, wait_exceeds_peak : float
        P(wait > SLA) for a hand-off arriving in working hours at those loads.
    in_hours_compliance : float
        Predicted share of in-hours hand-offs answered within the SLA.
    out_of_hours_share : float
        Share of hand-offs arriving outside working hours (from the actuals).
    out_of_hours_breach_share : float
        Share arriving ``sla_hours`` or more before the next working hour: breaches
        whatever the staffing.
    predicted_compliance : float
        Predicted share of all hand-offs answered within the SLA.
    best_compliance : float
        The most any number of reps can reach with these working hours.
    reps_needed : int or None
        The fewest reps for ``compliance_target`` overall (None: no number reaches it).
    reps_needed_in_hours : int or None
        The fewest reps for ``compliance_target`` among in-hours hand-offs (None for a
        target of 100%, which no queue reaches).
    responses_out_of_hours_share : float or None
        Share of the actuals' first responses logged outside the working hours (a high
        share means sales does answer outside them: the prediction is then pessimistic).
    pattern_source : str
        ``actuals`` or ``even`` (no time of day known: every hand-off assumed to
        arrive in working hours, evenly).
    """

    responders: int
    sla_hours: float
    compliance_target: float
    handoffs_per_month: float
    service_rate: float
    working_week: str
    arrivals_per_hour_average: float
    arrivals_per_hour_peak: float
    peak_hour: str
    utilisation: float
    wait_exceeds_average: float
    wait_exceeds_peak: float
    in_hours_compliance: float
    out_of_hours_share: float
    out_of_hours_breach_share: float
    predicted_compliance: float
    best_compliance: float
    reps_needed: int | None
    reps_needed_in_hours: int | None
    responses_out_of_hours_share: float | None
    pattern_source: str

    @property
    def below_target(self) -> bool:
        """True when the predicted compliance misses the target."""
        return self.predicted_compliance < self.compliance_target - 1e-12

    @property
    def messages(self) -> list[str]:
        """Plain-language flags (empty when the hourly SLA holds)."""
        if not self.below_target:
            return []
        sla = f"{self.sla_hours:g}-hour"
        out = [
            f"Predicted {sla} compliance is {pct(self.predicted_compliance)} against the "
            f"{pct(self.compliance_target)} target: at the busiest working hour ({self.peak_hour}) "
            f"{self.arrivals_per_hour_peak:.1f} hand-offs an hour meet {self.responders} reps "
            f"answering {self.service_rate:g} an hour each, and {pct(self.wait_exceeds_peak)} "
            f"wait longer than the SLA; {pct(self.out_of_hours_share)} arrive outside working "
            f"hours ({self.working_week}), {pct(self.out_of_hours_breach_share)} more than "
            f"{self.sla_hours:g} hours before the next working hour."
        ]
        if self.reps_needed is not None:
            out.append(
                f"{self.reps_needed} reps answering would reach {pct(self.compliance_target)}."
            )
        else:
            out.append(
                f"No number of reps reaches {pct(self.compliance_target)} while the SLA clock runs "
                f"outside working hours (at most {pct(self.best_compliance)}): answer outside "
                "them, or count the SLA in working hours"
                + (
                    f"; in working hours {self.reps_needed_in_hours} reps keep "
                    f"{pct(self.compliance_target)}."
                    if self.reps_needed_in_hours is not None
                    else "."
                )
            )
        if (
            self.responses_out_of_hours_share is not None
            and self.responses_out_of_hours_share > 0.25
        ):
            out.append(
                f"The actuals log {pct(self.responses_out_of_hours_share)} of first responses "
                "outside these working hours: if sales answers then, compliance is higher than "
                "predicted."
            )
        return out

    @property
    def message(self) -> str:
        """One paragraph: the flags, or that the hourly SLA holds."""
        if self.below_target:
            return " ".join(self.messages)
        return (
            f"Predicted {self.sla_hours:g}-hour compliance is {pct(self.predicted_compliance)} "
            f"(target {pct(self.compliance_target)}) with {self.responders} reps answering."
        )

    def to_dict(self) -> dict[str, Any]:
        """Every field, the flag and the messages, as plain values for JSON.

        Returns
        -------
        dict
            Field name -> value, plus ``below_target`` and ``messages``.
        """
        from dataclasses import asdict

        return {**asdict(self), "below_target": self.below_target, "messages": self.messages}


def working_days_per_week(working_days_per_month: float) -> int:
    """Weekdays worked, from working days a month (21 -> 5), between 1 and 7.

    Parameters
    ----------
    working_days_per_month : float
        ``capacity.working_days_per_month``.

    Returns
    -------
    int
        Days a week, from Monday.
    """
    return int(min(7, max(1, round(working_days_per_month * 7 / MONTH_DAYS))))


def hourly_capacity(
    handoffs_per_month: float,
    *,
    responders: int,
    responses_per_rep_per_day: float,
    working_hours_per_day: float,
    working_days_per_month: float,
    sla_hours: float,
    compliance_target: float = 0.9,
    pattern: HandoffPattern | None = None,
    start_hour: float = 9.0,
) -> HourlyCapacity:
    """The hourly SLA check: P(wait > SLA) hour by hour (Erlang C) and the reps needed.

    The month's hand-offs arrive by the learned weekly pattern; the working hours are
    ``working_hours_per_day`` from ``start_hour`` on the weekdays that make
    ``working_days_per_month``. Each working hour occurs ``working days a month x hours a
    day / working hours a week`` times a month, so an hour's arrival rate is its share
    of the month's hand-offs over those occurrences; the out-of-hours hand-offs are
    spread evenly over the working hours as extra load. See the module's note for
    out-of-hours arrivals.

    Parameters
    ----------
    handoffs_per_month : float
        Hand-offs in the plan's busiest month.
    responders : int
        Reps answering hand-offs.
    responses_per_rep_per_day, working_hours_per_day, working_days_per_month : float
        From ``capacity``: a rep answers ``responses_per_rep_per_day /
        working_hours_per_day`` an hour.
    sla_hours : float
        The response SLA.
    compliance_target : float
        Share to answer within the SLA.
    pattern : HandoffPattern, optional
        The weekly arrival pattern (default: every hand-off in working hours, evenly).
    start_hour : float
        When the working day starts (9.0 = 09:00).

    Returns
    -------
    HourlyCapacity

    Raises
    ------
    InputError
        A non-positive rate, SLA or rep count, or a negative volume.
    """
    if responders < 1 or sla_hours <= 0 or responses_per_rep_per_day <= 0:
        raise InputError("responders, sla_hours and responses_per_rep_per_day must be positive")
    if handoffs_per_month < 0 or not np.isfinite(handoffs_per_month):
        raise InputError(f"hand-offs a month must be 0 or more, got {handoffs_per_month}")
    week = WorkingWeek(
        working_days_per_week(working_days_per_month), start_hour, working_hours_per_day
    )
    working = week.minutes()
    if pattern is not None:
        shares, source = pattern.shares, "actuals"
    else:
        shares, source = working / working.sum(), "even"
    mu = responses_per_rep_per_day / working_hours_per_day
    month_hours = working_days_per_month * working_hours_per_day
    chunks = week.chunks()
    week_hours = sum(end - start for start, end in chunks) / 60
    per_month = month_hours / week_hours  # occurrences of each working hour a month
    out_share = float(shares[~working].sum())
    backlog_rate = handoffs_per_month * out_share / month_hours
    chunk_share = np.array([shares[np.arange(s, e) % MINUTES_PER_WEEK].sum() for s, e in chunks])
    chunk_hours = np.array([(e - s) / 60 for s, e in chunks])
    lam = handoffs_per_month * chunk_share / (chunk_hours * per_month) + backlog_rate
    # Each out-of-hours minute: hours to the next working minute and that minute's hour.
    chunk_of = np.full(MINUTES_PER_WEEK, -1)
    for i, (s, e) in enumerate(chunks):
        chunk_of[np.arange(s, e) % MINUTES_PER_WEEK] = i
    idx = np.arange(MINUTES_PER_WEEK)
    nxt = np.where(working, idx, MINUTES_PER_WEEK * 2)
    # Next working minute at or after each minute, cyclically over the week.
    nxt2 = np.minimum.accumulate(np.concatenate([nxt, nxt + MINUTES_PER_WEEK])[::-1])[::-1]
    next_working = nxt2[:MINUTES_PER_WEEK]
    gap = (next_working - idx) / 60.0
    opening_chunk = chunk_of[next_working % MINUTES_PER_WEEK]
    out_minutes = np.flatnonzero(~working & (shares > 0))
    salvageable = out_minutes[gap[out_minutes] < sla_hours]
    best = float(shares[working].sum() + shares[salvageable].sum())

    def compliance(c: int) -> tuple[float, float]:
        """(overall, in-hours) predicted compliance with ``c`` reps."""
        met_in = float((chunk_share * (1 - wait_exceeds(sla_hours, c, lam, mu))).sum())
        left = sla_hours - gap[salvageable]
        p = wait_exceeds(left, c, lam[opening_chunk[salvageable]], mu)
        met_out = float((shares[salvageable] * (1 - p)).sum())
        in_share = 1 - out_share
        overall = min(1.0, met_in + met_out)
        return overall, (min(1.0, met_in / in_share) if in_share > 0 else 1.0)

    predicted, in_hours = compliance(responders)
    reps_needed = _fewest(lambda c: compliance(c)[0], compliance_target, best)
    reps_needed_in_hours = _fewest(lambda c: compliance(c)[1], compliance_target, 1.0)
    peak = int(np.argmax(lam))
    start = chunks[peak][0] % MINUTES_PER_WEEK
    avg = handoffs_per_month / month_hours
    response_out = None
    if pattern is not None and pattern.response_shares is not None:
        response_out = float(pattern.response_shares[~working].sum())
    return HourlyCapacity(
        responders=int(responders),
        sla_hours=float(sla_hours),
        compliance_target=float(compliance_target),
        handoffs_per_month=float(handoffs_per_month),
        service_rate=float(mu),
        working_week=week.label(),
        arrivals_per_hour_average=float(avg),
        arrivals_per_hour_peak=float(lam[peak]),
        peak_hour=f"{_DAY_NAMES[start // 1440]} {start % 1440 // 60:02d}:{start % 60:02d}",
        utilisation=float(avg / (responders * mu)),
        wait_exceeds_average=float(wait_exceeds(sla_hours, responders, avg, mu)),
        wait_exceeds_peak=float(wait_exceeds(sla_hours, responders, lam[peak], mu)),
        in_hours_compliance=in_hours,
        out_of_hours_share=out_share,
        out_of_hours_breach_share=float(shares[out_minutes].sum() - shares[salvageable].sum()),
        predicted_compliance=predicted,
        best_compliance=best,
        reps_needed=reps_needed,
        reps_needed_in_hours=reps_needed_in_hours,
        responses_out_of_hours_share=response_out,
        pattern_source=source,
    )


def _fewest(
    compliance: Callable[[int], float], target: float, limit: float, most: int = 2**40
) -> int | None:
    """The fewest reps whose ``compliance`` reaches ``target`` (None above ``limit``, its supremum)."""
    if target > limit - 1e-9:
        return None
    lo, hi = 1, 1
    while compliance(hi) < target:  # doubling, then bisection: compliance rises with reps
        lo, hi = hi + 1, hi * 2
        if hi > most:
            return None
    while lo < hi:
        mid = (lo + hi) // 2
        if compliance(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return hi


def params_pattern(params: QuarterParams, handoff_stage: str) -> HandoffPattern | None:
    """The hand-off pattern of a parameters file's actuals, from their learned reading.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters (``actuals`` may be None).
    handoff_stage : str
        The stage whose entry is the hand-off.

    Returns
    -------
    HandoffPattern or None
        None without actuals, when they cannot be read, or without times of day.
    """
    if params.actuals is None:
        return None
    from alignlib.history.learning import actuals_history

    # The learned reading of the actuals, not a second read.
    history = actuals_history(params)
    if history is None:
        return None
    table = history.ingest.table
    column = f"entered_{handoff_stage}"
    if column not in table.columns:
        return None
    return handoff_pattern(table[column], table.get("first_response"))


def hourly_capacity_for(params: QuarterParams, handoffs_per_month: float) -> HourlyCapacity | None:
    """The hourly SLA check of a plan: its busiest month's hand-offs against ``capacity``.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters: ``capacity`` (reps, ``responders``, rates, hours) and ``sla``
        (response hours, compliance target); the pattern comes from ``actuals``.
    handoffs_per_month : float
        Hand-offs in the plan's busiest month.

    Returns
    -------
    HourlyCapacity or None
        None without a ``capacity`` or an ``sla`` section.
    """
    cap, sla = params.capacity, params.sla
    if cap is None or sla is None:
        return None
    return hourly_capacity(
        handoffs_per_month,
        responders=cap.responders or cap.reps,
        responses_per_rep_per_day=cap.responses_per_rep_per_day,
        working_hours_per_day=cap.working_hours_per_day,
        working_days_per_month=cap.working_days_per_month,
        sla_hours=sla.lead_response_hours,
        compliance_target=sla.compliance_target,
        pattern=params_pattern(params, cap.handoff_stage),
    )
