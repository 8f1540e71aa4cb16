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

A free rep does not answer at once: where the actuals log first responses, the time a
hand-off takes to be answered in working time (its answer delay, ``D``, learned from the
hand-offs that arrived in working hours) adds to the queue's wait ``W``, and compliance
is ``P(W + D <= t)`` (``D`` as observed already holds the queueing at the actuals' own
load, which is small wherever the reps are far from busy). The working hours are the
params' ``sla.working_hours`` in ``sla.timezone``; left out, the capacity section's
hours, unless the actuals' first responses are logged around the clock: then the team
answers around the clock, the model says so and uses it (its reps spread over the
week's hours). :func:`sla_check` runs the model at the export's own volume against the
compliance the export shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.format import chance, pct

if TYPE_CHECKING:
    from alignlib.history.learning import ActualsHistory
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
    """When sales answers: ``days`` consecutive weekdays from ``first_day`` (0 = Monday), ``hours_per_day`` from ``start_hour``."""

    days: int = 5
    start_hour: float = 9.0
    hours_per_day: float = 8.0
    first_day: int = 0

    @property
    def around_the_clock(self) -> bool:
        """Every hour of every day."""
        return self.days == 7 and self.hours_per_day >= 24

    @property
    def hours_per_week(self) -> float:
        """Working hours a week."""
        return self.days * min(self.hours_per_day, 24.0)

    def minutes(self) -> np.ndarray:
        """True for each minute of the week (Monday 00:00 = 0) that is working time."""
        out = np.zeros(MINUTES_PER_WEEK, dtype=bool)
        for start, end in self.chunks():
            out[np.arange(start, end) % MINUTES_PER_WEEK] = True
        return out

    def chunks(self) -> list[tuple[int, int]]:
        """Working hours as (first minute, end minute) of the week, an hour each (the last shorter)."""
        out = []
        length = round(min(self.hours_per_day, 24.0) * 60)
        for d in range(self.days):
            first = ((self.first_day + d) % 7) * 1440 + round(self.start_hour * 60)
            for j in range(0, length, 60):
                out.append((first + j, first + min(j + 60, length)))
        return out

    def label(self) -> str:
        """E.g. ``Mon-Fri 09:00-17:00``, or ``around the clock``."""
        if self.around_the_clock:
            return "around the clock"
        start = round(self.start_hour * 60)
        end = (start + round(self.hours_per_day * 60)) % 1440
        first, last = _DAY_NAMES[self.first_day], _DAY_NAMES[(self.first_day + self.days - 1) % 7]
        days = first if self.days == 1 else f"{first}-{last}"
        return f"{days} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


#: Words for a team that answers at every hour.
AROUND_THE_CLOCK = ("24/7", "around the clock")


def parse_working_hours(text: str) -> WorkingWeek:
    """Read ``sla.working_hours``: ``Mon-Fri 09:00-17:00``, ``Sat 10:00-14:00``, or ``24/7``.

    Parameters
    ----------
    text : str
        Days (one, or a range of consecutive days, ``Sun-Thu`` wrapping the week) then
        local hours ``HH:MM-HH:MM`` (the end after the start, ``24:00`` for midnight);
        ``24/7`` or ``around the clock`` for every hour.

    Returns
    -------
    WorkingWeek

    Raises
    ------
    ValueError
        Naming what cannot be read (the params loader reports it with the key).
    """
    import re

    value = " ".join(str(text).split())
    if value.lower() in AROUND_THE_CLOCK:
        return WorkingWeek(7, 0.0, 24.0, 0)
    match = re.fullmatch(
        r"([A-Za-z]{3})(?:-([A-Za-z]{3}))? (\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", value
    )
    if not match:
        raise ValueError(
            f"{text!r} is not working hours: write days and hours like 'Mon-Fri 09:00-17:00', "
            "or '24/7' for a team that answers around the clock"
        )
    names = [d.lower() for d in _DAY_NAMES]
    first_name, last_name = match.group(1).lower(), (match.group(2) or match.group(1)).lower()
    for name in (first_name, last_name):
        if name not in names:
            raise ValueError(f"{text!r}: {name!r} is not a day (Mon, Tue, ... Sun)")
    first, last = names.index(first_name), names.index(last_name)
    days = (last - first) % 7 + 1
    h0, m0, h1, m1 = (int(match.group(i)) for i in range(3, 7))
    start, end = h0 * 60 + m0, h1 * 60 + m1
    if h0 > 23 or m0 > 59 or m1 > 59 or end > 1440:
        raise ValueError(f"{text!r}: the hours must lie between 00:00 and 24:00")
    if end <= start:
        raise ValueError(
            f"{text!r}: the working day must end after it starts (a night shift is two "
            "entries' worth of hours this key cannot hold: use '24/7' if it covers the clock)"
        )
    return WorkingWeek(days, start / 60, (end - start) / 60, first)


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
    handoff_minutes : numpy.ndarray or None
        Minute of the week of each hand-off whose answer is known (answered, or not
        answered within a week of the hand-off before the export).
    delays : numpy.ndarray or None
        Hours from each of those hand-offs to its first response (``inf``: never
        answered); None without response times.
    """

    shares: np.ndarray
    handoffs: int
    response_shares: np.ndarray | None = None
    handoff_minutes: np.ndarray | None = None
    delays: np.ndarray | None = None

    def answer_delays(self, week: WorkingWeek) -> np.ndarray | None:
        """Answer delays (hours) of the hand-offs that arrived in ``week``'s working time.

        Parameters
        ----------
        week : WorkingWeek
            The working hours.

        Returns
        -------
        numpy.ndarray or None
            Sorted (``inf`` last); None without response times or without any such hand-off.
        """
        if self.delays is None or self.handoff_minutes is None:
            return None
        inside = week.minutes()[self.handoff_minutes]
        if not inside.any():
            return None
        return np.sort(self.delays[inside])


def handoff_pattern(
    handoffs: pd.Series,
    responses: pd.Series | None = None,
    *,
    as_of: pd.Timestamp | None = None,
    timezone: str | None = None,
) -> HandoffPattern | None:
    """Learn the weekly arrival pattern of hand-offs (and how long they took to be answered).

    Parameters
    ----------
    handoffs : pandas.Series
        Hand-off timestamps (``entered_<handoff stage>``), local time of the export.
    responses : pandas.Series, optional
        First-response timestamps, row for row with ``handoffs``.
    as_of : pandas.Timestamp, optional
        When the export was taken: an unanswered hand-off counts as never answered only
        when it is more than a week old (default: the latest stamp).
    timezone : str, optional
        IANA time zone of the working hours: the stamps are read as UTC and converted.

    Returns
    -------
    HandoffPattern or None
        None when no hand-off has a time of day (dates only: every stamp at midnight).
    """
    handoffs = _local(handoffs, timezone)
    stamps = handoffs.dropna()
    if stamps.empty or (stamps == stamps.dt.normalize()).all():
        return None
    minutes = _minute_of_week(stamps)
    shares = np.bincount(minutes, minlength=MINUTES_PER_WEEK) / len(minutes)
    response_shares = handoff_minutes = delays = None
    if responses is not None and responses.notna().any():
        responses = _local(responses, timezone)
        r = _minute_of_week(responses)
        response_shares = np.bincount(r, minlength=MINUTES_PER_WEEK) / len(r)
        start = handoffs.to_numpy(dtype="datetime64[s]")
        answer = responses.reindex(handoffs.index).to_numpy(dtype="datetime64[s]")
        latest = (
            np.datetime64(pd.Timestamp(as_of).to_datetime64(), "s")
            if as_of is not None
            else max(start[~np.isnat(start)].max(), answer[~np.isnat(answer)].max())
        )
        answered = ~np.isnat(start) & ~np.isnat(answer)
        expired = ~np.isnat(start) & np.isnat(answer) & (start < latest - np.timedelta64(7, "D"))
        known = answered | expired
        hours = np.full(len(start), np.inf)
        hours[answered] = np.maximum(
            (answer[answered] - start[answered]).astype(np.int64) / 3600.0, 0.0
        )
        handoff_minutes = _minute_of_week(pd.Series(start[known]))
        delays = hours[known]
    return HandoffPattern(shares, len(minutes), response_shares, handoff_minutes, delays)


def _local(stamps: pd.Series, timezone: str | None) -> pd.Series:
    """The stamps in the team's time zone (naive UTC converted; unchanged without one)."""
    ts = pd.to_datetime(stamps)
    if timezone is None:
        return ts.dt.tz_localize(None) if ts.dt.tz is not None else ts
    if ts.dt.tz is None:
        ts = ts.dt.tz_localize("UTC")
    return ts.dt.tz_convert(timezone).dt.tz_localize(None)


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
        out-of-hours backlog).
    peak_hour : str
        That hour (e.g. ``Tue 10:00``).
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
    working_hours_source : str
        Where the working hours come from: ``params`` (``sla.working_hours``),
        ``capacity`` (the capacity section's hours from 09:00) or ``actuals`` (the
        first responses are logged around the clock, so the team answers around it).
    on_duty : int
        Reps answering at any working hour (``responders`` spread over the working
        hours: fewer than ``responders`` when the hours are longer than a rep's).
    answer_delay_source : str
        ``actuals`` (each hand-off's time to be answered by a free rep, learned from the
        first responses) or ``none`` (answered as soon as a rep is free).
    timezone : str or None
        The working hours' time zone (None: the export's own times).
    check : SLACheck or None
        The model at the export's own volume against the compliance it shows.
    office_response_share : float or None
        Share of the actuals' first responses logged outside the capacity section's
        office hours (what showed the team answers around the clock).
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
    working_hours_source: str = "capacity"
    on_duty: int | None = None
    answer_delay_source: str = "none"
    timezone: str | None = None
    check: SLACheck | None = None
    office_response_share: float | None = None

    @property
    def around_the_clock(self) -> bool:
        """True when the team answers at every hour of the week."""
        return self.working_week == "around the clock"

    @property
    def below_target(self) -> bool:
        """True when the predicted compliance misses the target."""
        return self.predicted_compliance < self.compliance_target - 1e-12

    @property
    def notes(self) -> list[str]:
        """What the model assumed that a reader should know (around the clock, the check)."""
        out = []
        if self.around_the_clock and self.working_hours_source == "actuals":
            share = self.office_response_share
            out.append(
                "The team answers around the clock: the export logs "
                + (f"{pct(share)} of " if share is not None else "")
                + "first responses outside office hours, so the model uses every hour of "
                f"the week ({self.on_duty} of {self.responders} reps answering at any hour)."
            )
        elif self.around_the_clock:
            out.append(
                f"The team answers around the clock ({self.on_duty} of {self.responders} reps "
                "answering at any hour)."
            )
        if self.check is not None:
            out.append(self.check.sentence)
        return out

    @property
    def messages(self) -> list[str]:
        """Plain-language flags (empty when the hourly SLA holds)."""
        if not self.below_target:
            return []
        sla = f"{self.sla_hours:g}-hour"
        hours = (
            ""
            if self.around_the_clock
            else f"; {pct(self.out_of_hours_share)} arrive outside working "
            f"hours ({self.working_week}), {pct(self.out_of_hours_breach_share)} more than "
            f"{self.sla_hours:g} hours before the next working hour"
        )
        out = [
            f"Predicted {sla} compliance is {pct(self.predicted_compliance)} against the "
            f"{pct(self.compliance_target)} target: at the busiest working hour ({self.peak_hour}) "
            f"{self.arrivals_per_hour_peak:.1f} hand-offs an hour meet "
            f"{self.on_duty or self.responders} reps "
            f"answering {self.service_rate:g} an hour each, and {chance(self.wait_exceeds_peak)} "
            f"wait more than {self.sla_hours:g} hours for a free rep{hours}."
        ]
        if self.reps_needed is not None:
            out.append(
                f"{self.reps_needed} reps answering would reach {pct(self.compliance_target)}."
            )
        elif self.around_the_clock or self.out_of_hours_share == 0:
            out.append(
                f"No number of reps reaches {pct(self.compliance_target)} (at most "
                f"{pct(self.best_compliance)}): even with a rep free at once, the export's "
                f"answers take longer than {self.sla_hours:g} hours for "
                f"{pct(1 - self.best_compliance)} of hand-offs; answering faster, not more "
                "reps, is what moves compliance."
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
            and not self.around_the_clock
        ):
            out.append(
                f"The actuals log {pct(self.responses_out_of_hours_share)} of first responses "
                "outside these working hours: if sales answers then, compliance is higher than "
                "predicted."
            )
        return out

    @property
    def message(self) -> str:
        """One paragraph: the flags (or that the hourly SLA holds), then the notes."""
        if self.below_target:
            return " ".join([*self.messages, *self.notes])
        return " ".join(
            [
                f"Predicted {self.sla_hours:g}-hour compliance is "
                f"{pct(self.predicted_compliance)} (target {pct(self.compliance_target)}) "
                f"with {self.responders} reps answering.",
                *self.notes,
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """Every field, the flag and the messages, as plain values for JSON.

        Returns
        -------
        dict
            Field name -> value, plus ``below_target`` and ``messages``.
        """
        from dataclasses import asdict

        return {
            **asdict(self),
            "around_the_clock": self.around_the_clock,
            "below_target": self.below_target,
            "messages": self.messages,
            "notes": self.notes,
        }


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


#: Answer delays are summarised by this many quantiles (the compliance sums over them).
DELAY_QUANTILES = 1000


def _delay_sample(delays: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Finite answer delays (at most :data:`DELAY_QUANTILES` quantiles) and their weights.

    The weights sum to the share answered at all; no delays is one zero-hour answer.
    """
    if delays is None or not len(delays):
        return np.zeros(1), np.ones(1)
    finite = np.sort(delays[np.isfinite(delays)])
    answered = len(finite) / len(delays)
    if not len(finite):
        return np.zeros(1), np.zeros(1)
    if len(finite) > DELAY_QUANTILES:
        finite = np.quantile(finite, (np.arange(DELAY_QUANTILES) + 0.5) / DELAY_QUANTILES)
    return finite, np.full(len(finite), answered / len(finite))


def _met_within(
    left: np.ndarray, wait: np.ndarray, slack: np.ndarray, d: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """``P(W + D <= left)`` with ``P(W > x) = wait exp(-slack x)`` and ``D`` on ``d`` with weights ``w``."""
    room = left[:, None] - d[None, :]
    ok = room >= 0
    tail = wait[:, None] * np.exp(-slack[:, None] * np.where(ok, room, 0.0))
    return (np.where(ok, 1.0 - tail, 0.0) * w[None, :]).sum(axis=1)


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
    week: WorkingWeek | None = None,
    working_hours_source: str = "capacity",
    timezone: str | None = None,
) -> HourlyCapacity:
    """The hourly SLA check: P(wait > SLA) hour by hour (Erlang C) and the reps needed.

    The month's hand-offs arrive by the learned weekly pattern; the working hours are
    ``week`` (default: ``working_hours_per_day`` from ``start_hour`` on the weekdays
    that make ``working_days_per_month``). Each working hour occurs ``working days a
    month / working days a week`` times a month, so an hour's arrival rate is its share
    of the month's hand-offs over those occurrences; the out-of-hours hand-offs are
    spread evenly over the working hours as extra load. A rep works
    ``working_hours_per_day`` on those days, so the reps on duty at any working hour are
    ``responders`` times a rep's weekly hours over the week's working hours (all of them
    for office hours). Where the pattern holds answer delays, a hand-off's time to the
    first response is the queue's wait plus a delay drawn from those of the hand-offs
    that arrived in working time. See the module's note for out-of-hours arrivals.

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
        When the working day starts (9.0 = 09:00) when ``week`` is not given.
    week : WorkingWeek, optional
        The working hours (``sla.working_hours``).
    working_hours_source : str
        Where ``week`` came from (``params``, ``capacity``, ``actuals``), reported.
    timezone : str, optional
        The working hours' time zone, reported.

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
    rep_days = working_days_per_week(working_days_per_month)
    if week is None:
        week = WorkingWeek(rep_days, start_hour, working_hours_per_day)
    working = week.minutes()
    if pattern is not None:
        shares, source = pattern.shares, "actuals"
    else:
        shares, source = working / working.sum(), "even"
    mu = responses_per_rep_per_day / working_hours_per_day
    chunks = week.chunks()
    week_hours = sum(end - start for start, end in chunks) / 60
    per_month = working_days_per_month / rep_days  # occurrences of each working hour a month
    month_hours = per_month * week_hours
    # a rep's hours spread over the week's working hours: all reps for office hours
    on_duty = max(1, round(responders * rep_days * working_hours_per_day / week_hours))
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
    gap_minutes = next_working - idx
    opening_chunk = chunk_of[next_working % MINUTES_PER_WEEK]
    out_minutes = np.flatnonzero(~working & (shares > 0))
    salvageable = out_minutes[gap_minutes[out_minutes] < sla_hours * 60]
    # out-of-hours arrivals grouped by (minutes to opening, opening hour): same odds
    keys = gap_minutes[salvageable] * len(chunks) + opening_chunk[salvageable]
    uniq, inverse = np.unique(keys, return_inverse=True)
    group_share = np.bincount(inverse, weights=shares[salvageable], minlength=len(uniq))
    group_gap = (uniq // len(chunks)) / 60.0
    group_chunk = uniq % len(chunks)
    delays = pattern.answer_delays(week) if pattern is not None else None
    d, w = _delay_sample(delays)
    answered_in_time = float(w[d <= sla_hours].sum())
    best = float(
        shares[working].sum() * answered_in_time
        + (
            group_share
            * _met_within(sla_hours - group_gap, np.zeros(len(uniq)), np.zeros(len(uniq)), d, w)
        ).sum()
    )

    def compliance(c: int) -> tuple[float, float]:
        """(overall, in-hours) predicted compliance with ``c`` reps on duty."""
        wait_in = wait_exceeds(0.0, c, lam, mu) * np.ones(len(lam))
        slack = np.maximum(c * mu - lam, 0.0)
        met_in = float(
            (chunk_share * _met_within(np.full(len(lam), sla_hours), wait_in, slack, d, w)).sum()
        )
        met_out = 0.0
        if len(uniq):
            lam_o = lam[group_chunk]
            wait_o = wait_exceeds(0.0, c, lam_o, mu) * np.ones(len(uniq))
            slack_o = np.maximum(c * mu - lam_o, 0.0)
            met_out = float(
                (group_share * _met_within(sla_hours - group_gap, wait_o, slack_o, d, w)).sum()
            )
        in_share = 1 - out_share
        overall = min(1.0, met_in + met_out)
        return overall, (min(1.0, met_in / in_share) if in_share > 0 else 1.0)

    scale = responders / on_duty  # reps needed are counted in reps, not reps on duty
    predicted, in_hours = compliance(on_duty)
    needed = _fewest(lambda c: compliance(c)[0], compliance_target, best)
    needed_in = _fewest(lambda c: compliance(c)[1], compliance_target, answered_in_time)
    reps_needed = None if needed is None else max(1, math.ceil(needed * scale - 1e-9))
    reps_needed_in_hours = (
        None if needed_in is None else max(1, math.ceil(needed_in * scale - 1e-9))
    )
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
        utilisation=float(avg / (on_duty * mu)),
        wait_exceeds_average=float(wait_exceeds(sla_hours, on_duty, avg, mu)),
        wait_exceeds_peak=float(wait_exceeds(sla_hours, on_duty, lam[peak], mu)),
        in_hours_compliance=in_hours,
        out_of_hours_share=out_share,
        out_of_hours_breach_share=float(shares[out_minutes].sum() - shares[salvageable].sum()),
        predicted_compliance=predicted,
        best_compliance=best,
        reps_needed=reps_needed,
        reps_needed_in_hours=reps_needed_in_hours,
        responses_out_of_hours_share=response_out,
        pattern_source=source,
        working_hours_source=working_hours_source,
        on_duty=int(on_duty),
        answer_delay_source="none" if delays is None else "actuals",
        timezone=timezone,
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


#: Share of first responses outside office hours from which the team answers around the clock.
AROUND_THE_CLOCK_SHARE = 0.5

#: Complete months before the export that the check compares (the pattern is learned before them).
CHECK_MONTHS = 3

#: A prediction further than this from the export's own compliance is said to miss.
CHECK_TOLERANCE = 0.10


@dataclass(frozen=True)
class SLACheck:
    """The hourly model at the export's own volume against the compliance the export shows.

    Attributes
    ----------
    months : str
        The months compared (e.g. ``2026-08 to 2026-10``).
    handoffs_per_month : float
        Their average hand-offs a month.
    predicted : float
        The model's compliance at that volume, with the arrival pattern and answer
        delays learned from the hand-offs before those months.
    observed : float
        The share of those months' hand-offs answered within the SLA.
    sla_hours : float
        The SLA.
    """

    months: str
    handoffs_per_month: float
    predicted: float
    observed: float
    sla_hours: float

    @property
    def difference(self) -> float:
        """Predicted minus observed (a share)."""
        return self.predicted - self.observed

    @property
    def holds(self) -> bool:
        """Whether the prediction is within :data:`CHECK_TOLERANCE` of what happened."""
        return abs(self.difference) <= CHECK_TOLERANCE

    @property
    def sentence(self) -> str:
        """The check in one sentence."""
        text = (
            f"Checked against the export: at its own volume ({self.handoffs_per_month:,.0f} "
            f"hand-offs a month, {self.months}) the model predicts {pct(self.predicted)} "
            f"answered within {self.sla_hours:g} hours, and {pct(self.observed)} were."
        )
        if not self.holds:
            text += (
                f" That is {abs(self.difference) * 100:.0f} points apart: the model misses "
                "something about how this team answers, so read its figures with care."
            )
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON.

        Returns
        -------
        dict
        """
        return {
            "months": self.months,
            "handoffs_per_month": self.handoffs_per_month,
            "predicted": self.predicted,
            "observed": self.observed,
            "difference": self.difference,
            "holds": self.holds,
        }


def params_pattern(
    params: QuarterParams,
    handoff_stage: str,
    before: pd.Timestamp | None = None,
    history: ActualsHistory | None = None,
) -> HandoffPattern | None:
    """The hand-off pattern of a parameters file's actuals, from their learned reading.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters (``actuals`` may be None).
    handoff_stage : str
        The stage whose entry is the hand-off.
    before : pandas.Timestamp, optional
        Learn only from hand-offs before this moment (the check's hold-out).
    history : ActualsHistory, optional
        The actuals already learned (:func:`alignlib.history.learning.actuals_history`), so a
        caller asking twice reads them once.

    Returns
    -------
    HandoffPattern or None
        None without actuals, when they cannot be read, or without times of day.
    """
    if params.actuals is None:
        return None
    if history is None:
        from alignlib.history.learning import actuals_history

        # The learned reading of the actuals, not a second read.
        history = actuals_history(params)
    if history is None:
        return None
    table = history.ingest.table
    column = f"entered_{handoff_stage}"
    if column not in table.columns:
        return None
    handoffs = table[column]
    as_of = pd.Timestamp(history.ingest.as_of)
    if before is not None:
        handoffs = handoffs.where(handoffs < before)
        as_of = min(as_of, pd.Timestamp(before))
    timezone = params.sla.timezone if params.sla is not None else None
    return handoff_pattern(handoffs, table.get("first_response"), as_of=as_of, timezone=timezone)


def working_week_for(
    params: QuarterParams, pattern: HandoffPattern | None
) -> tuple[WorkingWeek, str]:
    """The working hours of a plan and where they come from.

    ``sla.working_hours`` when given (``params``); otherwise the capacity section's
    hours from 09:00 on its working days (``capacity``), unless at least
    :data:`AROUND_THE_CLOCK_SHARE` of the actuals' first responses are logged outside
    them: then the team answers around the clock (``actuals``).

    Parameters
    ----------
    params : QuarterParams
        With ``capacity`` and ``sla`` sections.
    pattern : HandoffPattern or None
        The actuals' pattern.

    Returns
    -------
    tuple of (WorkingWeek, str)
    """
    cap, sla = params.capacity, params.sla
    assert cap is not None and sla is not None
    if sla.working_hours is not None:
        return parse_working_hours(sla.working_hours), "params"
    office = WorkingWeek(
        working_days_per_week(cap.working_days_per_month), 9.0, cap.working_hours_per_day
    )
    if pattern is not None and pattern.response_shares is not None:
        outside = float(pattern.response_shares[~office.minutes()].sum())
        if outside >= AROUND_THE_CLOCK_SHARE and not office.around_the_clock:
            return parse_working_hours("24/7"), "actuals"
    return office, "capacity"


def _plan_hourly_capacity(
    params: QuarterParams, handoffs_per_month: float, pattern: HandoffPattern | None
) -> HourlyCapacity:
    """The hourly model of a plan's ``capacity`` and ``sla`` at a month's hand-offs.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters with ``capacity`` and ``sla`` sections.
    handoffs_per_month : float
        Hand-offs in the month modelled.
    pattern : HandoffPattern or None
        The learned weekly arrival pattern and answer delays (None: even arrivals).

    Returns
    -------
    HourlyCapacity
        Without the check against the export (:func:`sla_check`).
    """
    cap, sla = params.capacity, params.sla
    assert cap is not None and sla is not None  # callers return None without them
    week, source = working_week_for(params, pattern)
    return hourly_capacity(
        handoffs_per_month,
        responders=cap.responders or cap.reps,
        responses_per_rep_per_day=cap.responses_per_rep_per_day,
        working_hours_per_day=cap.working_hours_per_day,
        working_days_per_month=cap.working_days_per_month,
        sla_hours=sla.lead_response_hours,
        compliance_target=sla.compliance_target,
        pattern=pattern,
        week=week,
        working_hours_source=source,
        timezone=sla.timezone,
    )


def sla_check(
    params: QuarterParams, months: int = CHECK_MONTHS, history: ActualsHistory | None = None
) -> SLACheck | None:
    """Run the hourly model at the export's own volume and compare with its compliance.

    The last ``months`` complete months before the export are held out: the arrival
    pattern and the answer delays are learned from the hand-offs before them, the model
    predicts those months' compliance at their average volume, and
    :func:`alignlib.metrics.sla` says what the export shows for them.

    Parameters
    ----------
    params : QuarterParams
        With ``capacity``, ``sla`` and ``actuals``.
    months : int
        Months compared.
    history : ActualsHistory, optional
        The actuals already learned (read once by the caller).

    Returns
    -------
    SLACheck or None
        None without those sections, times of day, or hand-offs in those months.
    """
    from alignlib import metrics
    from alignlib.history.learning import actuals_history

    cap, sla = params.capacity, params.sla
    if cap is None or sla is None or params.actuals is None:
        return None
    history = actuals_history(params) if history is None else history
    if history is None or f"entered_{cap.handoff_stage}" not in history.ingest.table:
        return None
    ingest = history.ingest
    as_of = pd.Timestamp(ingest.as_of)
    last = as_of.to_period("M") - 1
    first = last - (months - 1)
    start = first.start_time
    pattern = params_pattern(params, cap.handoff_stage, before=start, history=history)
    if pattern is None:
        return None
    report = metrics.sla(
        ingest.table, as_of, sla.lead_response_hours, handoff_stage=cap.handoff_stage
    )
    by_month = report.by_month
    window = by_month.loc[(by_month.index >= first) & (by_month.index <= last)]
    handoffs = float(window["handoffs"].sum()) if len(window) else 0.0
    if handoffs <= 0:
        return None
    observed = float((window["compliance"] * window["handoffs"]).sum() / handoffs)
    model = _plan_hourly_capacity(params, handoffs / months, pattern)
    label = str(first) if months == 1 else f"{first} to {last}"
    return SLACheck(
        label, handoffs / months, model.predicted_compliance, observed, sla.lead_response_hours
    )


def hourly_capacity_for(params: QuarterParams, handoffs_per_month: float) -> HourlyCapacity | None:
    """The hourly SLA check of a plan: its busiest month's hand-offs against ``capacity``.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters: ``capacity`` (reps, ``responders``, rates, hours) and ``sla``
        (response hours, compliance target, ``working_hours``, ``timezone``); the
        pattern and the answer delays come from ``actuals``.
    handoffs_per_month : float
        Hand-offs in the plan's busiest month.

    Returns
    -------
    HourlyCapacity or None
        None without a ``capacity`` or an ``sla`` section; with :class:`SLACheck`
        against the export where it has hand-offs with times of day.
    """
    import dataclasses

    cap, sla = params.capacity, params.sla
    if cap is None or sla is None:
        return None
    history = None
    if params.actuals is not None:
        from alignlib.history.learning import actuals_history

        history = actuals_history(params)  # read once for the pattern and the check
    pattern = params_pattern(params, cap.handoff_stage, history=history)
    model = _plan_hourly_capacity(params, handoffs_per_month, pattern)
    office = WorkingWeek(
        working_days_per_week(cap.working_days_per_month), 9.0, cap.working_hours_per_day
    )
    office_share = None
    if pattern is not None and pattern.response_shares is not None:
        office_share = float(pattern.response_shares[~office.minutes()].sum())
    return dataclasses.replace(model, check=sla_check(params), office_response_share=office_share)
