"""The reverse funnel and the quarter plan: known values, invariants, property tests."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignlib.errors import InputError
from alignlib.params import load_params
from alignlib.planning import build_plan, compare_scenarios, monthly_phasing, reverse_funnel

STAGES = ["lead", "mql", "sql", "opportunity", "won"]


def test_known_values_are_not_pushed_up_by_float_noise():
    # 14 deals at 40%, 50%, 35%, 10% need exactly 35, 70, 200 and 2,000 (not 2,001).
    f = reverse_funnel(14 * 25_000, 25_000, STAGES, [0.10, 0.35, 0.50, 0.40])
    assert f.required == (2000, 200, 70, 35, 14)
    assert f.leads == 2000 and f.wins == 14
    frame = f.to_frame()
    assert list(frame.index) == STAGES
    assert frame.loc["sql", "required"] == 70
    assert frame.loc["lead", "rate_to_won"] == pytest.approx(0.007)


def test_each_stage_rounds_up_once_from_the_exact_value():
    # Cascading ceilings would give ceil(ceil(ceil(10/0.3)/0.3)/0.3) = 373; exact is 370.37.
    f = reverse_funnel(10 * 1000, 1000, ["a", "b", "c", "won"], [0.3, 0.3, 0.3])
    assert f.exact[0] == pytest.approx(10 / 0.027)
    assert f.required == (371, 112, 34, 10)


def test_counts_are_exact_fractions():
    f = reverse_funnel(3 * 100, 100, ["lead", "won"], [(1, 3)])
    assert f.required == (9, 3)
    assert f.rates == (pytest.approx(1 / 3),)


def test_rate_of_one_passes_volume_through():
    f = reverse_funnel(5_000, 1_000, ["sql", "opportunity", "won"], [1.0, 0.5])
    assert f.required == (10, 10, 5)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0, 1000, STAGES, [0.1] * 4), "target revenue"),
        ((1e6, -5, STAGES, [0.1] * 4), "deal size"),
        ((1e6, 1000, STAGES, [0.1] * 3), "need 4 conversion rates"),
        ((1e6, 1000, STAGES, [0.1, 0.0, 0.1, 0.1]), "stage 'mql'.*\\(0, 1\\]"),
        ((1e6, 1000, STAGES, [0.1, 1.5, 0.1, 0.1]), "stage 'mql'"),
        ((1e6, 1000, STAGES, [(5, 3), 0.1, 0.1, 0.1]), "stage 'lead'.*converted=5"),
        ((1e6, 1000, STAGES, [math.nan, 0.1, 0.1, 0.1]), "must be a number"),
        ((1e6, 1000, ["won"], []), "at least two stages"),
    ],
)
def test_bad_input_is_a_clear_error(args, match):
    with pytest.raises(InputError, match=match):
        reverse_funnel(*args)


rates_strategy = st.lists(
    st.floats(min_value=0.001, max_value=1.0, allow_nan=False), min_size=1, max_size=7
)


@settings(max_examples=300, deadline=None)
@given(
    target=st.floats(min_value=1_000, max_value=1e9),
    deal=st.floats(min_value=100, max_value=1e6),
    rates=rates_strategy,
)
def test_forward_pass_reaches_the_target_and_nothing_is_over_rounded(target, deal, rates):
    stages = [f"s{i}" for i in range(len(rates) + 1)]
    f = reverse_funnel(target, deal, stages, rates)
    exact_rates = [Fraction(repr(r)) for r in rates]
    for i, required in enumerate(f.required):
        # Bookings one contact entering stage i is worth, in exact arithmetic.
        per_contact = math.prod(exact_rates[i:], start=Fraction(1)) * Fraction(repr(deal))
        # Forward pass from every stage books at least the target...
        assert required * per_contact >= Fraction(repr(target))
        # ...and one fewer would not: each stage is the smallest whole volume that works.
        if required > 1:
            assert (required - 1) * per_contact < Fraction(repr(target))
    assert f.forward_revenue() >= target * (1 - 1e-12)


@settings(max_examples=200, deadline=None)
@given(
    target=st.floats(min_value=1_000, max_value=1e8),
    extra=st.floats(min_value=0, max_value=1e8),
    rates=rates_strategy,
)
def test_more_target_never_needs_fewer_leads(target, extra, rates):
    stages = [f"s{i}" for i in range(len(rates) + 1)]
    low = reverse_funnel(target, 10_000, stages, rates)
    high = reverse_funnel(target + extra, 10_000, stages, rates)
    assert all(h >= lo for h, lo in zip(high.required, low.required, strict=True))


def test_volumes_never_grow_down_the_funnel():
    f = reverse_funnel(1e6, 20_000, STAGES, [0.3, 0.6, 0.5, 0.25])
    assert list(f.required) == sorted(f.required, reverse=True)


# -- monthly phasing ----------------------------------------------------------------------

MONTHS = list(pd.period_range("2026-10", "2026-12", freq="M"))


def test_without_lags_volume_follows_the_phasing():
    required = pd.Series([1000.0, 100.0], index=["lead", "won"])
    out = monthly_phasing(
        required, pd.Series([0.0, 0.0], index=required.index), MONTHS, [0.2, 0.3, 0.5]
    )
    assert list(out.index) == MONTHS
    np.testing.assert_allclose(out["lead"], [200, 300, 500])
    np.testing.assert_allclose(out["won"], [20, 30, 50])


def test_lags_push_volume_into_earlier_months_and_totals_are_kept():
    required = pd.Series([900.0, 90.0], index=["lead", "won"])
    lags = pd.Series([31.0, 0.0], index=required.index)  # exactly October's length
    out = monthly_phasing(required, lags, MONTHS, [1 / 3, 1 / 3, 1 / 3])
    assert out["lead"].sum() == pytest.approx(900)
    assert out["won"].sum() == pytest.approx(90)
    # October's wins (1 Oct - 1 Nov) shifted back 31 days enter 31 Aug - 1 Oct:
    # one day's worth in August, thirty in September. November's 30 days land in October.
    per_month = 300
    assert out.loc[pd.Period("2026-08", "M"), "lead"] == pytest.approx(per_month / 31)
    assert out.loc[pd.Period("2026-09", "M"), "lead"] == pytest.approx(per_month * 30 / 31)
    assert out.loc[pd.Period("2026-10", "M"), "lead"] == pytest.approx(per_month + per_month / 31)
    assert out.loc[pd.Period("2026-11", "M"), "lead"] == pytest.approx(per_month * 30 / 31)
    assert out.loc[pd.Period("2026-12", "M"), "lead"] == pytest.approx(0, abs=1e-9)
    assert out.index[0] == pd.Period("2026-08", "M")  # empty leading months are dropped


# -- the quarter plan ------------------------------------------------------------------------


@pytest.fixture
def plan_params(params_dict, write_params):
    return load_params(write_params(params_dict))


def test_plan_ties_together(plan_params):
    plan = build_plan(plan_params)
    f = plan.funnel
    # 1.2M at 20k = 60 wins; rates 0.3, 0.6, 0.5, 0.5, 0.25.
    assert f.wins == 60
    assert f.required == (5334, 1600, 960, 480, 240, 60)
    # Monthly volumes add up to the quarter's required volumes.
    np.testing.assert_allclose(plan.monthly.sum().to_numpy(), f.required)
    # Volume before October is what must already be in the funnel at the start.
    before = plan.monthly.loc[plan.monthly.index < pd.Period("2026-10", "M")].sum()
    pd.testing.assert_series_equal(plan.in_funnel_at_start, before)
    assert plan.in_funnel_at_start["won"] == 0
    assert plan.in_funnel_at_start["lead"] > 0  # 74 days of lag: leads start before October


def test_channels_and_costs(plan_params):
    plan = build_plan(plan_params)
    ch = plan.channels
    assert ch["leads"].sum() == pytest.approx(5334)
    assert ch.loc["paid_search", "budget"] == pytest.approx(5334 * 0.6 * 100)
    assert ch.loc["events", "budget"] == pytest.approx(5334 * 0.4 * 250)
    assert plan.budget == pytest.approx(5334 * (60 + 100))
    assert plan.costs["cost_per_mql"] == pytest.approx(plan.budget / 1600)
    assert plan.cac == pytest.approx(plan.budget / 60)
    assert ch.loc["events", "label"] == "Events"
    assert ch.loc["paid_search", "label"] == "Paid search"


def test_coverage_checks_the_rule_against_the_win_rate(plan_params):
    plan = build_plan(plan_params)
    c = plan.coverage
    assert c.win_rate == pytest.approx(0.25)
    assert c.implied_coverage == pytest.approx(4.0)
    assert c.pipeline_needed == pytest.approx(3.6e6)
    assert c.planned_pipeline == pytest.approx(240 * 20_000)
    assert c.target_below_implied
    assert "3.0x coverage target is below the 4.0x" in c.message
    assert "75% of target" in c.message
    assert c.message in plan.warnings


def test_capacity_flags_when_sales_cannot_keep_up(params_dict, write_params):
    plan = build_plan(load_params(write_params(params_dict)))
    cap = plan.capacity
    assert cap.followup_capacity_per_month == 5 * 10 * 20
    assert cap.peak_handoffs_per_month == pytest.approx(plan.monthly_targets["mql"].max())
    assert cap.reps_needed == math.ceil(plan.monthly_targets["opportunity"].max() / 10)
    params_dict["capacity"]["reps"] = 1
    params_dict["capacity"]["responses_per_rep_per_day"] = 1
    small = build_plan(load_params(write_params(params_dict))).capacity
    assert small.exceeds_followup_capacity and small.reps_short > 0
    assert any("SLA" in m for m in small.messages)
    assert any("reps" in m for m in small.messages)


def test_plan_json_is_complete(plan_params):
    d = build_plan(plan_params).to_dict()
    assert [s["stage"] for s in d["stages"]] == list(plan_params.stage_names)
    assert d["stages"][0]["required"] == 5334
    assert d["stages"][-1]["conversion_rate"] is None
    assert {"budget", "monthly", "channels", "coverage", "capacity", "costs"} <= d.keys()
    assert d["monthly"][0]["month"] < d["monthly"][-1]["month"]


def test_scenarios_side_by_side(plan_params):
    table = compare_scenarios(plan_params)
    assert list(table.columns) == ["base", "conservative", "conservative vs base"]
    base = build_plan(plan_params)
    cons = build_plan(plan_params.with_scenario("conservative"))
    assert table.loc["required_lead", "base"] == base.funnel.leads
    assert table.loc["required_lead", "conservative"] == cons.funnel.leads
    assert table.loc["budget", "conservative vs base"] == pytest.approx(cons.budget - base.budget)
    # Lower acceptance and smaller deals need more leads.
    assert table.loc["required_lead", "conservative vs base"] > 0
    assert cons.scenario == "conservative"


def test_steady_state_targets_without_lags_equal_the_phasing():
    from alignlib.planning import steady_state_targets

    required = pd.Series([1000.0, 100.0], index=["lead", "won"])
    zero = pd.Series([0.0, 0.0], index=required.index)
    targets = steady_state_targets(required, zero, MONTHS, [0.2, 0.3, 0.5])
    pd.testing.assert_frame_equal(
        targets, monthly_phasing(required, zero, MONTHS, [0.2, 0.3, 0.5]), check_names=False
    )


def test_steady_state_targets_fill_every_quarter_month(plan_params):
    plan = build_plan(plan_params)
    targets = plan.monthly_targets
    assert list(targets.index) == plan_params.months
    # This quarter's deals need no leads in December, but next quarter's do.
    assert plan.monthly.loc[pd.Period("2026-12", "M"), "lead"] == pytest.approx(0, abs=1e-9)
    assert targets.loc[pd.Period("2026-12", "M"), "lead"] > 0
    # Over a quarter the targets add up to the required volumes (to within the
    # difference in month lengths between neighbouring quarters).
    np.testing.assert_allclose(targets.sum().to_numpy(), plan.funnel.required, rtol=0.03)
    # The last stage's targets are exactly this quarter's wins by month.
    np.testing.assert_allclose(targets["won"], plan.monthly.loc[plan_params.months, "won"])
    # Capacity is checked against the busiest target month.
    assert plan.capacity.peak_handoffs_per_month == pytest.approx(targets["mql"].max())


def test_monthly_table_is_whole_and_adds_up_to_the_required_volumes(plan_params):
    plan = build_plan(plan_params)
    table = plan.monthly_table()
    assert all(pd.api.types.is_integer_dtype(t) for t in table.dtypes)
    assert table.sum().tolist() == list(plan.funnel.required)
    assert table.index[-1] == "Dec 2026"
    # No month is more than one contact away from its exact volume.
    assert (abs(table.to_numpy() - plan.monthly.to_numpy()) < 1).all()
