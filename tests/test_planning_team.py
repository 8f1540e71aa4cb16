"""The sales team's capacity: hand-checked cases, a brute-force simulation of the team, hires."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignlib.params import SalesTeam
from alignlib.planning.team import (
    add_months,
    attainment_from_actuals,
    hire_share,
    hires_needed,
    monthly_capacity,
    quarter_capacity,
    quarter_months,
)

JAN = pd.Period("2027-01", freq="M")


@dataclass(frozen=True)
class _Row:
    start: dt.date
    count: int


YEAR = ("2027Q1", "2027Q2", "2027Q3", "2027Q4")


def _team(**kw) -> SalesTeam:
    values = {"reps": 10, "quota_per_rep": 300_000, "attainment": 0.8} | kw
    return SalesTeam.model_validate(values)


def test_hand_checked_ten_reps_book_2_4_million_a_quarter():
    team = _team()
    for quarter in YEAR:
        capacity, reps = quarter_capacity(team, 0.8, quarter, JAN)
        assert capacity == pytest.approx(2_400_000)
        assert reps == pytest.approx(10)


def test_hand_checked_three_april_hires_at_half_productivity():
    team = _team(ramp=[0.5, 0.5, 0.5], hires=[{"start": "2027-04-01", "count": 3}])
    caps = [quarter_capacity(team, 0.8, q, JAN)[0] for q in YEAR]
    # Q2: 3 hires x 3 months x 100,000 x 0.8 x 0.5 = 360,000 on top; Q3: ramped, 720,000.
    assert caps == pytest.approx([2_400_000, 2_760_000, 3_120_000, 3_120_000])
    assert quarter_capacity(team, 0.8, "2027Q2", JAN)[1] == pytest.approx(11.5)


def test_a_start_mid_month_works_the_rest_of_that_month():
    team = _team(ramp=[0.5])
    # 16 of April's 30 days at half productivity, then full.
    assert hire_share(team, dt.date(2027, 4, 15), pd.Period("2027-04", "M")) == pytest.approx(
        0.5 * 16 / 30
    )
    assert hire_share(team, dt.date(2027, 4, 15), pd.Period("2027-05", "M")) == 1.0
    assert hire_share(team, dt.date(2027, 4, 15), pd.Period("2027-03", "M")) == 0.0


def test_attrition_compounds_to_the_yearly_rate():
    team = _team(attrition_per_year=0.2)
    frame = monthly_capacity(team, 0.8, [JAN, JAN + 12], JAN)
    assert frame["ramped_reps"].tolist() == pytest.approx([10.0, 8.0])
    assert frame["capacity"].iloc[0] == pytest.approx(10 * 100_000 * 0.8)


def _brute_force_days(team: SalesTeam, attainment: float, quarter: str, reference) -> float:
    """Day by day, rep by rep, no attrition: what each rep books on each working day."""
    people = [None] * team.reps + [h.start for h in team.hires for _ in range(h.count)]
    total = 0.0
    for month in quarter_months(quarter):
        days = calendar.monthrange(month.year, month.month)[1]
        for day in range(1, days + 1):
            today = dt.date(month.year, month.month, day)
            for start in people:
                if start is None:
                    share = 1.0
                elif today < start:
                    continue
                else:
                    k = (month - pd.Period(start, "M")).n
                    share = team.ramp[k] if k < len(team.ramp) else 1.0
                total += team.quota_per_rep / 3 * attainment * share / days
    return total


@settings(max_examples=25, deadline=None)
@given(
    reps=st.integers(0, 12),
    ramp=st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), max_size=4),
    hires=st.lists(
        st.tuples(st.dates(dt.date(2026, 6, 1), dt.date(2027, 12, 31)), st.integers(1, 4)),
        max_size=3,
    ),
    quarter=st.sampled_from(YEAR),
)
def test_capacity_matches_a_day_by_day_count_of_each_rep(reps, ramp, hires, quarter):
    team = _team(
        reps=reps, ramp=ramp, hires=[{"start": s.isoformat(), "count": c} for s, c in hires]
    )
    capacity, _ = quarter_capacity(team, 0.7, quarter, JAN)
    assert capacity == pytest.approx(_brute_force_days(team, 0.7, quarter, JAN), rel=1e-9)


def test_capacity_matches_a_month_by_month_simulation_of_reps_leaving():
    """Each rep leaves at a month's end with the monthly chance the yearly rate implies."""
    team = _team(
        reps=8,
        ramp=[0.25, 0.5, 0.75],
        attrition_per_year=0.3,
        hires=[{"start": "2027-02-01", "count": 4}, {"start": "2027-07-01", "count": 2}],
    )
    rng = np.random.default_rng(24)
    runs = 20_000
    leave = 1 - (1 - team.attrition_per_year) ** (1 / 12)
    groups = [(JAN, team.reps, False)] + [
        (pd.Period(h.start, "M"), h.count, True) for h in team.hires
    ]
    booked = {q: np.zeros(runs) for q in YEAR}
    for first, count, ramps in groups:
        present = np.ones((runs, count), dtype=bool)
        for month in pd.period_range(first, "2027-12", freq="M"):
            k = (month - first).n
            share = (team.ramp[k] if k < len(team.ramp) else 1.0) if ramps else 1.0
            if month >= JAN:
                booked[f"{month.year}Q{month.quarter}"] += (
                    present.sum(axis=1) * team.quota_per_rep / 3 * 0.8 * share
                )
            present &= rng.random(present.shape) >= leave
    for quarter in YEAR:
        expected, _ = quarter_capacity(team, 0.8, quarter, JAN)
        simulated = booked[quarter]
        se = simulated.std() / np.sqrt(runs)
        assert abs(simulated.mean() - expected) < 4 * se + 1e-6


def test_hires_needed_close_every_gap_with_the_fewest_hires_at_the_latest_start():
    team = _team(reps=6, ramp=[0.25, 0.5, 0.75], attrition_per_year=0.1, hiring_lead_months=2)
    targets = [1_500_000, 1_900_000, 2_300_000, 2_300_000]
    needed = hires_needed(team, 0.8, YEAR, targets, JAN)
    assert needed, "a team of 6 books about 1.44M a quarter: it must hire"
    hires = list(needed)
    for quarter, target in zip(YEAR, targets, strict=True):
        capacity, _ = quarter_capacity(team, 0.8, quarter, JAN, hires)
        assert capacity >= target - 1e-6
    for i, h in enumerate(needed):
        earlier = hires[:i]  # the hires found for the quarters before count toward this one
        target = targets[YEAR.index(h.quarter)]
        assert h.gap == pytest.approx(
            target - quarter_capacity(team, 0.8, h.quarter, JAN, earlier)[0]
        )

        def capacity_with(start, count, earlier=earlier, quarter=h.quarter):
            rows = [*earlier, _Row(start, count)]
            return quarter_capacity(team, 0.8, quarter, JAN, rows)[0]

        assert capacity_with(h.start, h.count) >= target - 1e-6
        # latest: a month later the same hires fall short; fewest: one fewer never closes it,
        # whenever they start (fully ramped by the quarter is the most a hire books in it)
        assert capacity_with(add_months(h.start, 1), h.count) < target
        for months_before in range(0, 24):
            start = add_months(dt.date(h.start.year, h.start.month, 1), -months_before)
            assert capacity_with(start, h.count - 1) < target
        assert h.start.day == 1
        assert h.opens_by == add_months(h.start, -2)


def test_no_hires_needed_when_the_team_carries_the_year():
    assert hires_needed(_team(), 0.8, YEAR, [2_400_000] * 4, JAN) == ()


def _deals(rows):
    frame = pd.DataFrame(rows, columns=["owner", "outcome", "close_date", "amount", "created"])
    frame["close_date"] = pd.to_datetime(frame["close_date"])
    frame["created"] = pd.to_datetime(frame["created"])
    return frame


def test_attainment_is_bookings_per_active_owner_against_quota():
    table = _deals(
        [
            ("Ana", "won", "2026-01-15", 200_000, "2025-11-01"),
            ("Ana", "won", "2026-02-15", 100_000, "2025-12-01"),
            ("Ben", "won", "2026-03-01", 150_000, "2025-12-01"),
            ("Cy", "lost", None, None, "2026-02-01"),  # active in Q1 (a record created), booked 0
            ("Ana", "won", "2026-05-01", 240_000, "2026-02-01"),
            ("Ben", "won", "2026-08-01", 999_999, "2026-05-01"),  # Q3: not complete on 20 Jul
            ("", "won", "2026-02-01", 500_000, "2026-01-01"),  # no owner: not counted
        ]
    )
    learned = attainment_from_actuals(table, pd.Timestamp("2026-07-20"), 300_000)
    assert learned is not None
    assert learned.quarters == ("2026Q1", "2026Q2")
    # Q1: Ana and Ben won deals, Cy's record was created: 3 active, 450,000 booked.
    # Q2: Ana won 240,000; Ben's Q3 deal was created in Q2, so he is active: 2 active.
    assert learned.owner_quarters == 3 + 2
    assert learned.bookings == pytest.approx(690_000)
    assert learned.attainment == pytest.approx(690_000 / (5 * 300_000))


def test_attainment_reads_the_last_four_complete_quarters():
    rows = [("Ana", "won", f"{y}-{m:02d}-10", 100_000, f"{y}-{m:02d}-01")
            for y in (2025, 2026) for m in (2, 5, 8, 11)]  # fmt: skip
    learned = attainment_from_actuals(_deals(rows), pd.Timestamp("2026-12-31"), 100_000)
    assert learned is not None
    assert learned.quarters == ("2026Q1", "2026Q2", "2026Q3", "2026Q4")
    assert learned.attainment == pytest.approx(1.0)


def test_no_won_deals_with_owners_teach_no_attainment():
    table = _deals(
        [("", "won", "2026-01-15", 1, "2026-01-01"), ("Ana", "lost", None, None, "2026-01-01")]
    )
    assert attainment_from_actuals(table, pd.Timestamp("2026-07-01"), 100_000) is None
    assert attainment_from_actuals(table.iloc[:0], pd.Timestamp("2026-07-01"), 100_000) is None


def test_hires_cannot_start_before_a_role_opened_today_could():
    team = _team(reps=6, ramp=[0.5, 0.5, 0.5], hiring_lead_months=3)
    targets = [2_000_000] * 4
    free = hires_needed(team, 0.8, YEAR, targets, JAN)
    assert free[0].start < dt.date(2027, 1, 1)  # unconstrained: ramped before Q1
    # a role opened on 1 Jan starts 1 Apr at the soonest: Q1's gap stays, Q2 needs more
    late = hires_needed(team, 0.8, YEAR, targets, JAN, earliest=dt.date(2027, 4, 1))
    assert [h.quarter for h in late][0] == "2027Q2"
    assert all(h.start >= dt.date(2027, 4, 1) for h in late)
    # from 1 April at half productivity: 560,000 short needs ceil(560,000 / 120,000) = 5
    assert late[0].count == 5 and late[0].start == dt.date(2027, 4, 1)
    assert late[0].opens_by == dt.date(2027, 1, 1)
    # a mid-month earliest day means the next month's first
    mid = hires_needed(team, 0.8, YEAR, targets, JAN, earliest=dt.date(2027, 3, 15))
    assert min(h.start for h in mid) == dt.date(2027, 4, 1)
    # nothing can start in time for a quarter that ends first
    assert hires_needed(team, 0.8, ("2027Q1",), [2_000_000], JAN, dt.date(2027, 4, 1)) == ()


@settings(max_examples=30, deadline=None)
@given(
    reps=st.integers(0, 8),
    ramp=st.lists(st.sampled_from([0.0, 0.2, 0.5, 0.8, 1.0]), max_size=5),
    attrition=st.sampled_from([0.0, 0.1, 0.35]),
    targets=st.lists(st.floats(100_000, 4_000_000), min_size=4, max_size=4),
)
def test_needed_hires_are_the_fewest_at_the_latest_start_for_any_team(
    reps, ramp, attrition, targets
):
    team = _team(reps=reps, ramp=ramp, attrition_per_year=attrition)
    needed = hires_needed(team, 0.8, YEAR, targets, JAN)
    hires = list(needed)
    for quarter, target in zip(YEAR, targets, strict=True):
        assert quarter_capacity(team, 0.8, quarter, JAN, hires)[0] >= target - 1e-6
    for i, h in enumerate(needed):
        earlier = hires[:i]
        target = targets[YEAR.index(h.quarter)]

        def capacity(start, count, earlier=earlier, quarter=h.quarter):
            return quarter_capacity(team, 0.8, quarter, JAN, [*earlier, _Row(start, count)])[0]

        assert capacity(add_months(h.start, 1), h.count) < target - 1e-6
        first = quarter_months(h.quarter)[0].start_time.date()
        for back in range(len(ramp) + 13):
            assert capacity(add_months(first, -back), h.count - 1) < target - 1e-6
