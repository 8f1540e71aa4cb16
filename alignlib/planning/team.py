"""The sales team's bookings capacity: reps, ramp, attrition and hires, month by month.

Per month, each rep contributes ``quota_per_rep / 3 x attainment x ramp share`` (1 once
ramped), times the share of the team still there after attrition; a quarter's capacity
is the sum of its months. Also the hires that close a quarter's capacity gap, and the
attainment the actuals' bookings per owner imply.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from alignlib.docstrings import shared_doc

if TYPE_CHECKING:
    from alignlib.params.schema import SalesTeam


class Hire(Protocol):
    """Hires starting on one date: the params' ``sales_team.hires`` rows, or recommended ones."""

    @property
    def start(self) -> dt.date:
        """The hires' first day."""
        ...

    @property
    def count(self) -> int:
        """How many start."""
        ...


#: Complete quarters of actuals from which attainment is learned (the most recent ones).
ATTAINMENT_QUARTERS = 4


#: The capacity of a team's months: the team, the month its reps are counted in, its hires.
_capacity_doc = shared_doc(
    parameters={
        "team : SalesTeam": "The team.",
        "reference : pandas.Period": "The month ``team.reps`` is counted in.",
        "hires : sequence of Hire, optional": "Hires instead of ``team.hires``.",
    }
)


def _month(day: dt.date | pd.Period) -> pd.Period:
    return day if isinstance(day, pd.Period) else pd.Period(day, freq="M")


def survival(team: SalesTeam, months: float) -> float:
    """Share of a group of reps still on the team ``months`` months later.

    Parameters
    ----------
    team : SalesTeam
        Its ``attrition_per_year``.
    months : float
        Months elapsed (0 or more; negative counts as 0).

    Returns
    -------
    float
        ``(1 - attrition_per_year) ** (months / 12)``: 1 without attrition.
    """
    return (1.0 - team.attrition_per_year) ** (max(months, 0.0) / 12.0)


def hire_share(team: SalesTeam, start: dt.date, month: pd.Period) -> float:
    """A hire's productive share in ``month``: ramp, part of the first month, attrition.

    The month the hire starts is ramp month 0, worked for the days from ``start`` to the
    month's end (a start on the 1st works the whole month); ramp month ``k`` is ``ramp[k]``,
    1 after the ramp. Attrition counts from the start month.

    Parameters
    ----------
    team : SalesTeam
        Ramp and attrition.
    start : datetime.date
        The hire's first day.
    month : pandas.Period
        A month (``freq="M"``).

    Returns
    -------
    float
        From 0 (before the start) to 1 (ramped, no attrition).
    """
    first = _month(start)
    k = (month - first).n
    if k < 0:
        return 0.0
    share = team.ramp[k] if k < len(team.ramp) else 1.0
    if k == 0:
        days = calendar.monthrange(start.year, start.month)[1]
        share *= (days - start.day + 1) / days
    return share * survival(team, k)


def ramped_reps(
    team: SalesTeam,
    month: pd.Period,
    reference: pd.Period,
    hires: Sequence[Hire] | None = None,
) -> float:
    """Full-productivity equivalent headcount in ``month``.

    Parameters
    ----------
    team : SalesTeam
        The team: ``reps`` ramped on ``reference``, and its ``hires``.
    month : pandas.Period
        The month.
    reference : pandas.Period
        The month ``team.reps`` is counted in ("today"); attrition of today's reps counts
        from it.
    hires : sequence of Hire, optional
        Hires instead of ``team.hires`` (e.g. with recommended hires added).

    Returns
    -------
    float
        Today's reps after attrition plus each hire's :func:`hire_share`.
    """
    hires = team.hires if hires is None else hires
    today = team.reps * survival(team, (month - reference).n)
    return today + sum(h.count * hire_share(team, h.start, month) for h in hires)


@_capacity_doc
def monthly_capacity(
    team: SalesTeam,
    attainment: float,
    months: Sequence[pd.Period],
    reference: pd.Period,
    hires: Sequence[Hire] | None = None,
) -> pd.DataFrame:
    """Ramped reps and bookings capacity per month.

    Parameters
    ----------
    attainment : float
        Share of quota a ramped rep books (the team's, or learned).
    months : sequence of pandas.Period
        The months.

    Returns
    -------
    pandas.DataFrame
        Index the months; ``ramped_reps`` and ``capacity``
        (``quota_per_rep / 3 x attainment x ramped_reps``).
    """
    reps = [ramped_reps(team, m, reference, hires) for m in months]
    per_rep = team.quota_per_rep / 3.0 * attainment
    frame = pd.DataFrame(
        {"ramped_reps": reps, "capacity": [per_rep * r for r in reps]},
        index=pd.PeriodIndex(list(months), freq="M", name="month"),
    )
    return frame


def quarter_months(quarter: str) -> list[pd.Period]:
    """The three months of a quarter label (``2027Q2``).

    Parameters
    ----------
    quarter : str
        ``YYYYQn``.

    Returns
    -------
    list of pandas.Period
    """
    q = pd.Period(quarter, freq="Q")
    return list(pd.period_range(q.asfreq("M", "start"), q.asfreq("M", "end"), freq="M"))


@_capacity_doc
def quarter_capacity(
    team: SalesTeam,
    attainment: float,
    quarter: str,
    reference: pd.Period,
    hires: Sequence[Hire] | None = None,
) -> tuple[float, float]:
    """A quarter's bookings capacity (the sum of its months) and its mean ramped reps.

    Parameters
    ----------
    attainment : float
        Share of quota a ramped rep books.
    quarter : str
        ``YYYYQn``.

    Returns
    -------
    tuple of float
        ``(capacity, ramped_reps)``; ramped reps averaged over the quarter's months.
    """
    frame = monthly_capacity(team, attainment, quarter_months(quarter), reference, hires)
    return float(frame["capacity"].sum()), float(frame["ramped_reps"].mean())


@dataclass(frozen=True)
class HireNeeded:
    """Hires that close one quarter's capacity gap, and when their roles must open.

    Attributes
    ----------
    quarter : str
        The quarter whose gap they close.
    start : datetime.date
        The latest start date (a month's first day) at which ``count`` hires close it.
    count : int
        The fewest hires that can close it (each as productive as a hire can be in it).
    opens_by : datetime.date
        ``start`` less ``hiring_lead_months``: when the roles must be opened.
    gap : float
        The quarter's gap before these hires (bookings).
    """

    quarter: str
    start: dt.date
    count: int
    opens_by: dt.date
    gap: float


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole ``months`` (the day of month kept, or the month's last day).

    Parameters
    ----------
    day : datetime.date
        The date.
    months : int
        Months to add (negative: earlier).

    Returns
    -------
    datetime.date
    """
    month0 = day.year * 12 + day.month - 1 + months
    year, month = divmod(month0, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def hires_needed(
    team: SalesTeam,
    attainment: float,
    quarters: Sequence[str],
    targets: Sequence[float],
    reference: pd.Period,
    earliest: dt.date | None = None,
) -> tuple[HireNeeded, ...]:
    """The hires that close each quarter's capacity gap, at the latest start that does.

    Quarters are taken in order; hires found for one quarter count toward the next ones
    (with their ramp and attrition). For a quarter still short by ``gap``, ``count`` is the
    fewest hires that close it, starting on the first of a month no sooner than
    ``earliest`` (a role opened today starts a hiring lead time from now), and ``start``
    the latest first-of-month at which that many still close it. A quarter that ends
    before a hire can start has no hires (its gap stays).

    Parameters
    ----------
    team : SalesTeam
        The team with its planned hires.
    attainment : float
        Share of quota a ramped rep books.
    quarters : sequence of str
        ``YYYYQn`` labels, in order.
    targets : sequence of float
        Bookings target per quarter.
    reference : pandas.Period
        The month ``team.reps`` is counted in.
    earliest : datetime.date, optional
        The soonest a hire can start (None: any time, however early).

    Returns
    -------
    tuple of HireNeeded
        Empty when the team (with its planned hires) carries every quarter.
    """
    hires: list[Hire] = list(team.hires)
    out: list[HireNeeded] = []
    per_rep = team.quota_per_rep / 3.0 * attainment
    soonest = None if earliest is None else _month(earliest) + int(earliest.day > 1)
    for quarter, target in zip(quarters, targets, strict=True):
        capacity, _ = quarter_capacity(team, attainment, quarter, reference, hires)
        gap = target - capacity
        if gap <= 1e-6 * max(target, 1.0):
            continue
        months = quarter_months(quarter)
        # From fully ramped well before the quarter to its last month, by first-of-month.
        first = months[0] - (len(team.ramp) + 12)
        if soonest is not None:
            first = max(first, soonest)
        if first > months[-1]:
            continue
        starts = [(first + k).start_time.date() for k in range((months[-1] - first).n + 1)]
        per_hire = [per_rep * sum(hire_share(team, s, m) for m in months) for s in starts]
        best = max(per_hire)
        if best <= 0:  # only with a ramp of zeros through the quarter's last month
            continue
        count = math.ceil(gap / best - 1e-9)
        start = max(s for s, c in zip(starts, per_hire, strict=True) if count * c >= gap - 1e-6)
        needed = HireNeeded(
            quarter=quarter,
            start=start,
            count=count,
            opens_by=add_months(start, -team.hiring_lead_months),
            gap=gap,
        )
        hires.append(needed)
        out.append(needed)
    return tuple(out)


@dataclass(frozen=True)
class LearnedAttainment:
    """Attainment learned from the actuals: bookings per active owner against quota.

    Attributes
    ----------
    attainment : float
        ``bookings / (owner_quarters x quota_per_rep)``.
    quarters : tuple of str
        The complete quarters read.
    owner_quarters : int
        Owners active (a record created, or a deal won, in the quarter) summed over them.
    bookings : float
        Won bookings closed in them.
    """

    attainment: float
    quarters: tuple[str, ...]
    owner_quarters: int
    bookings: float


def attainment_from_actuals(
    table: pd.DataFrame,
    as_of: pd.Timestamp,
    quota_per_rep: float,
    quarters: int = ATTAINMENT_QUARTERS,
) -> LearnedAttainment | None:
    """The share of quota an owner books per quarter, from the actuals' won deals.

    Over the latest ``quarters`` complete quarters (ended by ``as_of``) with won bookings:
    won amounts by close date against ``quota_per_rep`` for every owner active in the
    quarter (a record of theirs created, or a deal of theirs won, in it). Owners who were
    still ramping count as they booked, so the figure is what the team books, not what a
    fully ramped rep would.

    Parameters
    ----------
    table : pandas.DataFrame
        The normalised actuals (``owner``, ``outcome``, ``close_date``, ``amount``,
        ``created``).
    as_of : pandas.Timestamp
        The data date.
    quota_per_rep : float
        Bookings per ramped rep per quarter.
    quarters : int
        Complete quarters to read.

    Returns
    -------
    LearnedAttainment or None
        None when no complete quarter has a won deal with an owner, amount and close date.
    """
    if table.empty or "owner" not in table.columns:
        return None
    owner = table["owner"].astype(object)
    has_owner = owner.notna() & (owner.astype(str).str.strip() != "")
    won = (
        has_owner
        & (table["outcome"] == "won")
        & table["close_date"].notna()
        & table["amount"].notna()
    )
    if not won.any():
        return None
    close_q = table.loc[won, "close_date"].dt.to_period("Q")
    last_complete = pd.Period(pd.Timestamp(as_of), freq="Q")
    if pd.Timestamp(as_of).normalize() < last_complete.end_time.normalize():
        last_complete -= 1
    booked = (
        table.loc[won, "amount"]
        .groupby(close_q)
        .sum()
        .loc[lambda s: (s.index <= last_complete) & (s > 0)]
    )
    chosen = sorted(booked.index)[-quarters:]
    if not chosen:
        return None
    created_q = table["created"].dt.to_period("Q")
    owner_quarters = 0
    for q in chosen:
        active = set(owner[has_owner & (created_q == q)]) | set(
            owner[won].loc[close_q[close_q == q].index]
        )
        owner_quarters += len(active)
    bookings = float(np.sum([booked[q] for q in chosen]))
    return LearnedAttainment(
        attainment=bookings / (owner_quarters * quota_per_rep),
        quarters=tuple(str(q) for q in chosen),
        owner_quarters=owner_quarters,
        bookings=bookings,
    )
