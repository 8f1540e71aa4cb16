"""Signals that disagree carry one sentence saying why; stale data is said at the top.

Each sentence is checked both ways on the library function: present when the two
signals disagree, absent when they agree; then on the scorecard built from them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest

from alignlib.planning.response_queue import MINUTES_PER_WEEK, HandoffPattern, hourly_capacity
from alignlib.planning.sales_capacity import CapacityCheck
from alignlib.reports import scorecard as sc
from alignlib.reports import signals
from tests.reports._printable_helpers import two_stage_params, two_stage_table

# -- months of capacity against hours of response -----------------------------------------


def _check(peak_handoffs: float, followup: float, *, responders: int) -> CapacityCheck:
    hourly = hourly_capacity(
        peak_handoffs,
        responders=responders,
        responses_per_rep_per_day=16,
        working_hours_per_day=8,
        working_days_per_month=21,
        sla_hours=4,
        compliance_target=0.9,
        # round the clock: three quarters arrive outside Mon-Fri 09:00-17:00
        pattern=HandoffPattern(np.full(MINUTES_PER_WEEK, 1 / MINUTES_PER_WEEK), 10_000),
    )
    return CapacityCheck(
        reps=responders,
        peak_opportunities_per_month=50,
        reps_needed=responders,
        handoff_stage="mql",
        peak_handoffs_per_month=peak_handoffs,
        followup_capacity_per_month=followup,
        sla_hours=4,
        hourly=hourly,
    )


def test_month_has_the_hours_but_the_sla_is_missed_hour_by_hour() -> None:
    check = _check(800, 4_000, responders=12)
    assert not check.exceeds_followup_capacity and check.hourly is not None
    assert check.hourly.below_target
    sentence = signals.capacity_hours_sentence(check)
    assert sentence is not None
    assert sentence.startswith("Why both hold:")
    assert "outside working hours" in sentence and "hour by hour" in sentence
    assert f"{check.hourly.predicted_compliance:.0%}" in sentence


def test_no_sentence_when_month_and_hours_agree() -> None:
    check = _check(800, 4_000, responders=12)
    assert check.hourly is not None
    both_fine = replace(check, hourly=replace(check.hourly, predicted_compliance=0.95))
    assert not both_fine.hourly.below_target  # type: ignore[union-attr]
    assert signals.capacity_hours_sentence(both_fine) is None
    both_short = replace(check, peak_handoffs_per_month=5_000)
    assert both_short.exceeds_followup_capacity and check.hourly.below_target
    assert signals.capacity_hours_sentence(both_short) is None
    assert signals.capacity_hours_sentence(replace(check, hourly=None)) is None
    assert signals.capacity_hours_sentence(None) is None


def test_month_short_but_every_hand_off_answered_in_time() -> None:
    check = _check(800, 4_000, responders=12)
    assert check.hourly is not None
    fine_hourly = replace(check.hourly, predicted_compliance=0.95)
    short_month = replace(check, followup_capacity_per_month=500, hourly=fine_hourly)
    sentence = signals.capacity_hours_sentence(short_month)
    assert sentence is not None and "finds too few" in sentence and "95%" in sentence


# -- pace against chance -----------------------------------------------------------------


def _kpi(key: str, status: sc.Status, this_week: float, qtd: float, plan: float) -> sc.Kpi:
    return sc.Kpi(key, key, "pct", this_week, None, qtd, plan, status)


ON_PACE = _kpi("bookings", sc.Status.ON_TRACK, 0.0, 1_248_000, 1_200_000)  # 104% of plan
BEHIND_PACE = _kpi("bookings", sc.Status.BEHIND, 0.0, 700_000, 1_200_000)
LOW_CHANCE = _kpi("p_hit", sc.Status.BEHIND, 0.42, 0.42, 0.8)
HIGH_CHANCE = _kpi("p_hit", sc.Status.ON_TRACK, 0.85, 0.85, 0.8)


def test_on_pace_with_a_low_chance_says_why() -> None:
    sentence = signals.pace_chance_sentence(ON_PACE, LOW_CHANCE, p_hit_at_plan=0.43, target="$2.4M")
    assert sentence is not None
    assert "on track at a 42% chance" in sentence and "bookings to date" in sentence
    assert "the plan gave 43% at plan time" in sentence and "$2.4M" in sentence


def test_behind_pace_with_a_high_chance_says_why() -> None:
    sentence = signals.pace_chance_sentence(BEHIND_PACE, HIGH_CHANCE)
    assert sentence is not None and "behind at an 85% chance" in sentence


@pytest.mark.parametrize(
    ("pace", "chance"), [(ON_PACE, HIGH_CHANCE), (BEHIND_PACE, LOW_CHANCE), (ON_PACE, None)]
)
def test_no_pace_sentence_when_they_agree(pace, chance) -> None:
    assert signals.pace_chance_sentence(pace, chance, p_hit_at_plan=0.43) is None


def test_the_chance_is_judged_against_what_the_plan_is_sized_for() -> None:
    low = signals.chance_goal_sentence(0.36, 0.8, 0.43, on_track=False)
    assert low == ", below the 43% at plan time (goal 80%)."
    above_plan = signals.chance_goal_sentence(0.5, 0.8, 0.43, on_track=False)
    assert "not below the 43%" in above_plan
    assert signals.chance_goal_sentence(0.85, 0.8, 0.43, on_track=True) == "."
    assert "below the 80% goal" in signals.chance_goal_sentence(0.3, 0.8, None, on_track=False)


def test_the_scorecard_agenda_carries_the_pace_sentence_only_when_they_disagree() -> None:
    params, table = two_stage_params(), two_stage_table()
    low = sc.build_scorecard(params, table, "2026-05-20", p_hit=(0.05, 0.06), p_hit_at_plan=0.3)
    high = sc.build_scorecard(params, table, "2026-05-20", p_hit=(0.99, 0.99), p_hit_at_plan=0.3)
    for card in (low, high):
        bookings, chance = card.kpi("bookings"), card.kpi("p_hit")
        assert bookings is not None and chance is not None
        pacing = " ".join(card.agenda[0].points)
        disagree = (bookings.status is sc.Status.ON_TRACK) != (chance.status is sc.Status.ON_TRACK)
        assert ("chance: pace counts" in pacing) is disagree, pacing
        assert "the plan is sized for" not in pacing
    assert "at plan time (goal" in " ".join(low.agenda[0].points)


# -- stale data --------------------------------------------------------------------------

WEEK = (dt.date(2026, 11, 9), dt.date(2026, 11, 15))


def test_a_week_reported_weeks_later_says_so_at_the_top() -> None:
    notice = signals.week_data_notice(*WEEK, dt.date(2026, 11, 19), dt.date(2026, 12, 6))
    assert notice == (
        "Older data: week of 9-15 Nov 2026, export of 19 Nov 2026, page of 6 Dec 2026, "
        "21 days after the week."
    )
    brief = signals.week_data_notice(*WEEK, dt.date(2026, 11, 19), dt.date(2026, 12, 6), brief=True)
    assert brief == "Older data: page of 6 Dec 2026"
    card = sc.build_scorecard(two_stage_params(), two_stage_table(), "2026-05-20")
    page = sc.scorecard_html(card, rendered_on=card.week_ending + dt.timedelta(days=30))
    first = page.split("</p>", 1)[0]  # the card's first line names the week, export and page
    assert "Week Mon 11 May to Sun 17 May 2026" in first and "export as of 20 May 2026" in first
    assert "Older data: page of 16 Jun 2026" in first


def test_no_notice_when_week_export_and_page_are_close() -> None:
    assert signals.week_data_notice(*WEEK, dt.date(2026, 11, 19), dt.date(2026, 11, 20)) is None
    card = sc.build_scorecard(two_stage_params(), two_stage_table(), "2026-05-20")
    page = sc.scorecard_html(card, rendered_on=card.week_ending + dt.timedelta(days=2))
    assert "Older data" not in page


def test_an_old_export_on_a_quarterly_page() -> None:
    assert signals.data_age_notice(dt.date(2026, 11, 19), dt.date(2026, 11, 25)) is None
    assert signals.data_age_notice(None, dt.date(2026, 12, 6)) is None
    notice = signals.data_age_notice(dt.date(2026, 11, 19), dt.date(2026, 12, 6))
    assert notice == (
        "Older data: every figure is from the export of 19 Nov 2026, 17 days before this page "
        "was made (6 Dec 2026)."
    )
