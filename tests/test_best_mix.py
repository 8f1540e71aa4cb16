"""The channel-mix optimiser: against a hand-solved fractional knapsack, a brute-force grid,
and the edges (one channel, a channel at its max, min_share forcing, no costs, infeasible)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignlib.params import load_params
from alignlib.planning.best_mix import MixChannel, optimise_mix, solve_mix


def _ch(name, cost, revenue, max_leads=math.inf, min_share=0.0, share=0.5):
    return MixChannel(name, name.title(), share, cost, revenue, max_leads, min_share)


def _greedy(channels, target):
    """Independent: without min_share the LP is a fractional knapsack, cheapest cost per
    booked dollar first, each channel filled to its max."""
    leads = {}
    left = target
    for c in sorted(channels, key=lambda c: c.cost_per_lead / c.revenue_per_lead):
        take = min(c.max_leads, left / c.revenue_per_lead)
        leads[c.name] = take
        left -= take * c.revenue_per_lead
    return leads, sum(leads[c.name] * c.cost_per_lead for c in channels)


def test_least_budget_is_the_cheapest_per_booked_dollar_first():
    channels = [
        _ch("search", 100, 300, max_leads=1_000),  # 0.333 per $ booked
        _ch("events", 250, 1_000, max_leads=500),  # 0.25: first
        _ch("social", 50, 100),  # 0.5: last
    ]
    mix = solve_mix(channels, target=1_000_000)
    leads, budget = _greedy(channels, 1_000_000)
    # events 500 x 1,000 = 500k, search 1,000 x 300 = 300k, social 2,000 x 100 = 200k
    assert leads == {"events": 500, "search": 1_000, "social": 2_000}
    assert mix.feasible
    assert mix.optimal_budget == pytest.approx(budget) == pytest.approx(325_000)
    assert mix.table["optimal_leads"].to_dict() == pytest.approx(leads)
    assert mix.table.loc["events", "limit"] == "max" and mix.table.loc["search", "limit"] == "max"
    assert mix.optimal_bookings == pytest.approx(1_000_000)


@settings(max_examples=40, deadline=None)
@given(
    spec=st.lists(
        st.tuples(st.integers(10, 300), st.integers(50, 2_000), st.integers(100, 3_000)),
        min_size=1,
        max_size=3,
    ),
    target=st.integers(100_000, 1_000_000),
)
def test_least_budget_matches_the_greedy_solution(spec, target):
    channels = [_ch(f"c{i}", c, r, m) for i, (c, r, m) in enumerate(spec)]
    mix = solve_mix(channels, target=target)
    if sum(r * m for _, r, m in spec) < target:
        assert not mix.feasible and "can book at most" in mix.message
        return
    _, budget = _greedy(channels, target)
    assert mix.optimal_budget == pytest.approx(budget, rel=1e-6)


def test_min_share_against_a_brute_force_grid():
    channels = [
        _ch("cheap", 20, 100, min_share=0.0),
        _ch("pricey", 200, 400, min_share=0.3),
        _ch("mid", 60, 200, max_leads=2_000, min_share=0.1),
    ]
    target = 600_000
    mix = solve_mix(channels, target=target)
    best = math.inf
    step = 25
    for a, b in itertools.product(range(0, 6_001, step), range(0, 3_001, step)):
        # The third channel's leads that just reach the target, if any.
        rest = target - 100 * a - 400 * b
        c = max(rest / 200, 0.0)
        if c > 2_000:
            continue
        total = a + b + c
        if total == 0 or b < 0.3 * total - 1e-9 or c < 0.1 * total - 1e-9:
            continue
        best = min(best, 20 * a + 200 * b + 60 * c)
    assert mix.feasible
    assert mix.optimal_budget <= best + 1e-6
    assert mix.optimal_budget == pytest.approx(best, rel=0.01)
    shares = mix.table["optimal_share"]
    assert shares["pricey"] >= 0.3 - 1e-9 and shares["mid"] >= 0.1 - 1e-9
    assert mix.table.loc["pricey", "limit"] == "min share"


def test_one_channel_takes_every_lead():
    mix = solve_mix([_ch("only", 10, 50, share=1.0)], target=5_000)
    assert mix.optimal_leads == pytest.approx(100) and mix.optimal_budget == pytest.approx(1_000)
    assert mix.saving == pytest.approx(0)


def test_infeasible_names_the_binding_constraint():
    capped = [_ch("a", 10, 100, max_leads=10), _ch("b", 10, 100, max_leads=20)]
    mix = solve_mix(capped, target=10_000)
    assert not mix.feasible and "$3,000" in mix.message and "max_leads_per_month" in mix.message
    over = [_ch("a", 10, 100, min_share=0.7), _ch("b", 10, 100, min_share=0.5)]
    mix = solve_mix(over, target=10_000)
    assert not mix.feasible and "min_share" in mix.message and "120.0%" in mix.message


def test_channels_without_a_cost_keep_todays_share():
    channels = [
        _ch("a", 10, 100, share=0.5),
        _ch("b", 30, 100, share=0.3),
        _ch("free", None, 100, share=0.2),
    ]
    mix = solve_mix(channels, target=10_000)
    assert mix.feasible and any("cannot be optimised" in n and "Free" in n for n in mix.notes)
    assert mix.table.loc["free", "optimal_share"] == pytest.approx(0.2)
    assert mix.table.loc["free", "limit"] == "kept"
    assert mix.table.loc["b", "optimal_leads"] == pytest.approx(0)
    none = solve_mix([_ch("x", None, 100)], target=1_000)
    assert not none.feasible and "No channel has a cost" in none.message


def test_most_bookings_for_a_budget():
    channels = [_ch("a", 10, 100, max_leads=50), _ch("b", 20, 150)]
    mix = solve_mix(channels, target=1, budget=1_500)
    # a first (10 a booked dollar-per-cost of 10), 50 leads = $500; then b: $1,000 / 20 = 50.
    assert mix.table["optimal_leads"].to_dict() == pytest.approx({"a": 50, "b": 50})
    assert mix.optimal_bookings == pytest.approx(50 * 100 + 50 * 150)
    free = solve_mix([_ch("a", 0, 100)], target=1, budget=1_000)
    assert not free.feasible and "no upper bound" in free.message


def test_optimise_mix_of_a_params_file(params_dict, write_params):
    params_dict["channels"]["paid_search"]["max_leads_per_month"] = 600
    params_dict["channels"]["events"]["min_share"] = 0.2
    params = load_params(write_params(params_dict))
    mix = optimise_mix(params)
    # Blended funnel: both channels book the same per lead; search is cheaper up to its
    # cap of 1,800 a quarter, events take the rest (at least 20%).
    per_lead = 0.3 * 0.6 * 0.5 * 0.5 * 0.25 * 20_000
    leads = 1_200_000 / per_lead
    assert mix.table.loc["paid_search", "optimal_leads"] == pytest.approx(1_800)
    assert mix.optimal_leads == pytest.approx(leads)
    assert mix.today_budget == pytest.approx(5_334 * 160)
    assert mix.optimal_budget == pytest.approx(1_800 * 100 + (leads - 1_800) * 250)
    assert mix.saving == pytest.approx(mix.today_budget - mix.optimal_budget)
    assert mix.to_dict()["optimal"]["leads"] == pytest.approx(leads)
    frame = mix.to_frame()
    assert frame.loc["total", "optimal_leads"] == pytest.approx(leads)
    assert np.isfinite(frame.loc["total", "today_budget"])
    assert mix.saving < 0 and "more, as today's mix is over" in mix.message
    assert any("Paid search than its max_leads_per_month" in n for n in mix.notes)
