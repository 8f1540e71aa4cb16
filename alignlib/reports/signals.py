"""One sentence where two signals on a page seem to disagree, and a notice for stale data.

A page that says "Sales has the capacity to work this plan" above "predicted 4-hour
compliance is 36%", or "bookings on track" beside a chance of 42%, reads as a
contradiction unless it says why both hold. Each function here returns that sentence
when the signals disagree and ``None`` when they agree, so a page shows it only then.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from alignlib import format as fmt

if TYPE_CHECKING:
    from alignlib.planning.sales_capacity import CapacityCheck

#: Days between a page's data and its render (or the week it reports) before it says so.
STALE_AFTER_DAYS = 7


def _day(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def capacity_hours_sentence(check: CapacityCheck | None) -> str | None:
    """Why the monthly capacity check and the hour-by-hour SLA check disagree, if they do.

    The monthly check adds up a month's hand-offs against a month of follow-up; the SLA
    is kept or missed hand-off by hand-off, so hand-offs that arrive in a peak or
    outside working hours miss it even when the month has hours to spare (and a month
    short of hours can still answer each hand-off in time while the queue lasts).

    Parameters
    ----------
    check : CapacityCheck or None
        The plan's capacity check (``plan.capacity``).

    Returns
    -------
    str or None
        One sentence when the monthly check passes and the hourly one fails, or the
        reverse; None when they agree or either is missing.
    """
    if check is None or check.hourly is None:
        return None
    hourly = check.hourly
    monthly_ok = not check.exceeds_followup_capacity
    hourly_ok = not hourly.below_target
    if monthly_ok == hourly_ok:
        return None
    stage = fmt.stage_label(check.handoff_stage)
    sla = f"{hourly.sla_hours:g}-hour"
    totals = (
        f"the monthly check adds up the busiest month's {fmt.count(check.peak_handoffs_per_month)} "
        f"{stage}s against the {fmt.count(check.followup_capacity_per_month)} sales can answer "
        "in a month"
    )
    if monthly_ok:
        causes = []
        if hourly.out_of_hours_breach_share > 0:
            causes.append(
                f"{fmt.pct(hourly.out_of_hours_share)} arrive outside working hours "
                f"({hourly.working_week}) while the SLA clock runs"
            )
        if hourly.wait_exceeds_peak >= 0.01:
            causes.append(
                f"at the busiest hour ({hourly.peak_hour}) {fmt.pct(hourly.wait_exceeds_peak)} "
                "wait in a queue longer than the SLA"
            )
        why = " and ".join(causes) or "hand-offs arrive in peaks the month's total hides"
        return (
            f"Why both hold: {totals}, but the SLA is kept or missed one {stage} at a time, "
            f"hour by hour, and {why}; so the month has the hours while only "
            f"{fmt.pct(hourly.predicted_compliance)} are answered within {hourly.sla_hours:g} "
            "hours."
        )
    return (
        f"Why both hold: {totals} at the planned answers per rep per day, and finds too few; "
        f"hour by hour the {hourly.responders} people answering meet each {stage} as it "
        f"arrives, so {fmt.pct(hourly.predicted_compliance)} meet the {sla} SLA (they keep up "
        "only by answering more a day than the plan counts on)."
    )


def pace_chance_sentence(
    bookings: Any, chance: Any, *, p_hit_at_plan: float | None = None, target: str = ""
) -> str | None:
    """Why bookings can be on track to date while the chance of the target is low (or the reverse).

    Pace compares what is booked with what the plan expected by now; the chance asks
    whether the whole quarter reaches the target, counting what the open pipeline and
    leads not yet created can still add, and starts from the chance the plan itself had.

    Parameters
    ----------
    bookings : Kpi
        The scorecard's bookings KPI (status, quarter to date, plan to date).
    chance : Kpi
        The scorecard's chance KPI (``this_week`` is the chance).
    p_hit_at_plan : float, optional
        The chance the plan gave at plan time.
    target : str
        The target as the page writes it (``$2.4M``).

    Returns
    -------
    str or None
        One sentence when one is on track and the other is not; None when they agree or a
        figure is missing.
    """
    from alignlib.reports.scorecard import Status

    if bookings is None or chance is None or chance.this_week is None:
        return None
    if Status.NO_DATA in (bookings.status, chance.status) or bookings.attainment is None:
        return None
    pace_ok = bookings.status is Status.ON_TRACK
    chance_ok = chance.status is Status.ON_TRACK
    if pace_ok == chance_ok:
        return None
    the_target = target or "the target"
    plan_time = (
        f" (the plan gave {fmt.pct(p_hit_at_plan)} at plan time)"
        if p_hit_at_plan is not None and not math.isnan(p_hit_at_plan)
        else ""
    )
    # short: it sits beside the bookings line of a scorecard printed on one page
    odds = f"{_article(chance.this_week)} {fmt.pct(chance.this_week)} chance"
    if pace_ok:
        rest = f" of {target}" if target else ""
        return (
            f"Why on track at {odds}: pace counts bookings to date; the chance, what is still "
            f"to come{rest}{plan_time}."
        )
    return (
        f"Why behind at {odds}: pace counts bookings to date; the chance, the open deals that "
        f"can still close in time for {the_target}."
    )


def _article(share: float) -> str:
    """``a`` or ``an`` before a percentage as said aloud ("an 80%", "an 8%", "an 11%")."""
    spoken = fmt.pct(share)
    return "an" if spoken.startswith("8") or spoken[:2] in ("11", "18") else "a"


def chance_goal_sentence(
    chance: float, goal: float, p_hit_at_plan: float | None, *, on_track: bool
) -> str:
    """The end of the scorecard's chance line: against what the plan is actually sized for.

    The plan's volumes are the point-estimate funnel (they gave ``p_hit_at_plan`` at plan
    time); ``goal`` (``simulation.confidence``) is the chance the parameters aim for, which
    only the plan sized for confidence reaches. Saying "the 80% the plan is sized for" of a
    plan sized at 43% is wrong; this names both.

    Parameters
    ----------
    chance : float
        The chance now.
    goal : float
        ``simulation.confidence``.
    p_hit_at_plan : float or None
        The chance the plan gave at plan time.
    on_track : bool
        Whether the chance KPI is on track against ``goal``.

    Returns
    -------
    str
        ``"."`` when on track, else ``", below the 43% at plan time (goal 80%)."``.
    """
    if on_track:
        return "."
    if p_hit_at_plan is None or math.isnan(p_hit_at_plan):
        return f", below the {fmt.pct(goal)} goal."
    versus = "below" if chance < p_hit_at_plan - 0.005 else "not below"
    return f", {versus} the {fmt.pct(p_hit_at_plan)} at plan time (goal {fmt.pct(goal)})."


def week_data_notice(
    week_start: Any,
    week_ending: Any,
    as_of: Any,
    rendered_on: Any = None,
    *,
    days: int = STALE_AFTER_DAYS,
    brief: bool = False,
) -> str | None:
    """One line for the top of a weekly page whose week, export and render are far apart.

    Parameters
    ----------
    week_start, week_ending : date
        The week the page reports (both days included).
    as_of : date or None
        When the export was taken.
    rendered_on : date, optional
        When the page is made (default today, UTC).
    days : int
        How far apart (in days) the week's end, the export and the render may be before
        the page says so.
    brief : bool
        Only the page's date (``"Older data: page of 6 Dec 2026"``), for a line that already
        names the week and the export (a printed scorecard has no room for more).

    Returns
    -------
    str or None
        ``"Older data: week of 9-15 Nov 2026, export of 19 Nov 2026, page of 6 Dec 2026,
        21 days after the week."``; None when all three fall within ``days`` of each other.
    """
    end = _day(week_ending)
    made = _day(rendered_on) if rendered_on is not None else _today()
    export = _day(as_of) if as_of is not None else None
    moments = [end, made] + ([export] if export is not None else [])
    if (max(moments) - min(moments)).days <= days:
        return None
    export_text = f"export of {fmt.date_text(export)}, " if export is not None else ""
    late = (made - end).days
    after = f", {late} days after the week" if late > days else ""
    if brief:
        return f"Older data: page of {fmt.date_text(made)}"
    return (
        f"Older data: week of {fmt.week_text(week_start, end)}, {export_text}page of "
        f"{fmt.date_text(made)}{after}."
    )


def data_age_notice(
    as_of: Any, rendered_on: Any = None, *, days: int = STALE_AFTER_DAYS
) -> str | None:
    """One line for the top of a page whose export is more than ``days`` older than the page.

    Parameters
    ----------
    as_of : date or None
        When the export was taken (None: no actuals, nothing to say).
    rendered_on : date, optional
        When the page is made (default today, UTC).
    days : int
        Days of age a page carries without saying so.

    Returns
    -------
    str or None
        ``"Older data: every figure is from the export of 19 Nov 2026, 17 days before this
        page was made (6 Dec 2026)."``; None when the export is recent.
    """
    if as_of is None or fmt.is_missing(as_of):
        return None
    export = _day(as_of)
    made = _day(rendered_on) if rendered_on is not None else _today()
    age = (made - export).days
    if age <= days:
        return None
    return (
        f"Older data: every figure is from the export of {fmt.date_text(export)}, {age} days "
        f"before this page was made ({fmt.date_text(made)})."
    )
