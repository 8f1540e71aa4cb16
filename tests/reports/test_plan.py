"""Plan report: plan, monthly and channel tables, scenarios."""

from __future__ import annotations

import pytest

from alignlib import paths, reports
from alignlib.params import load_params
from alignlib.planning import build_plan


@pytest.fixture(scope="module")
def params():
    return load_params(paths.DEFAULT_PARAMS)


@pytest.fixture(scope="module")
def plan(params):
    return build_plan(params)


def test_plan_table_matches_the_reverse_funnel(plan) -> None:
    table = reports.plan_table(plan)
    assert table["required"].tolist() == list(plan.funnel.required)
    assert table.index.tolist() == list(plan.funnel.stages)
    assert table["label"].iloc[0] == plan.stage_labels[plan.funnel.stages[0]]


def test_monthly_table_marks_months_before_the_quarter(plan) -> None:
    table = reports.monthly_table(plan)
    before = [c for c in table.columns if c.endswith("(before)")]
    assert before and all(c < "Oct" or "2026" in c for c in before)
    assert "Oct 2026" in table.columns
    assert (table["quarter total"] >= table.drop(columns="quarter total").max(axis=1)).all()


def test_channel_table_total_row(plan) -> None:
    table = reports.channel_table(plan)
    assert table.loc["total", "budget"] == pytest.approx(plan.budget)
    assert table.loc["total", "share"] == pytest.approx(1.0)


def test_scenarios_show_the_risk_of_not_re_planning(params) -> None:
    table = reports.scenario_table(params, trials=4_000, seed=3)
    assert list(table.index) == ["base", *params.scenarios]
    # The base plan is its own base plan.
    assert table.loc["base", "p_hit_base_plan"] == table.loc["base", "p_hit"]
    # A stretch target or a weaker funnel, met with the base plan's leads, is less likely
    # than when re-planned for it (common seed: the difference is not noise).
    for name in ("stretch", "conservative"):
        assert table.loc[name, "p_hit_base_plan"] < table.loc[name, "p_hit"] - 0.1
        assert table.loc[name, "leads"] > table.loc["base", "leads"]
    # Channels convert differently (issue 12): moving share from paid social into events,
    # which book more per lead, needs fewer leads, at a higher cost per lead.
    assert table.loc["shift_to_events", "leads"] < table.loc["base", "leads"]
    assert table.loc["shift_to_events", "budget"] > table.loc["base", "budget"]


def test_hourly_capacity_beside_the_monthly_check(params, plan) -> None:
    # Issue 12: the monthly totals read fine; the hourly SLA check does not.
    cap = plan.capacity
    assert cap is not None and not cap.exceeds_followup_capacity
    h = cap.hourly
    assert h is not None and h.below_target and h.responders == params.capacity.reps
    assert h.handoffs_per_month == cap.peak_handoffs_per_month
    table = reports.hourly_capacity_table(plan)
    assert table.loc["Predicted compliance (target)", "value"].endswith("(90%)")
    assert cap.to_dict()["hourly"]["predicted_compliance"] == h.predicted_compliance
    # Without an sla section there is no hourly check, and no table.
    no_sla = build_plan(params.model_copy(update={"sla": None}))
    assert no_sla.capacity is not None and no_sla.capacity.hourly is None
    assert reports.hourly_capacity_table(no_sla).empty


def test_sensitivity_tables_keep_uncertainty_and_levers_apart():
    from alignlib.params import load_params
    from alignlib.paths import DEFAULT_PARAMS
    from alignlib.reports.plan import sensitivity_table
    from alignlib.simulation import sensitivity_from_params

    sens = sensitivity_from_params(load_params(DEFAULT_PARAMS), trials=2_000, seed=3)
    uncertainty = sensitivity_table(sens, "uncertainty")
    levers = sensitivity_table(sens, "levers")
    # The same inputs, asked two different questions: a range of what the history allows,
    # and a -/+10% move a plan could make.
    assert set(uncertainty.index) == set(levers.index)
    assert set(uncertainty["how"]).isdisjoint(levers["how"])
    assert all("10%" in how for how in levers["how"])


def test_the_plan_page_says_by_how_much_its_own_simulation_misses_the_target_and_why() -> None:
    import numpy as np

    from alignlib import paths, reports
    from alignlib.format import money_compact
    from alignlib.history.learning import load_learned
    from alignlib.snapshot import quarter_snapshot

    snap = quarter_snapshot(load_learned(paths.DEFAULT_PARAMS), trials=20_000)
    result, plan = snap.at_plan, snap.plan
    note = reports.plan_reach_note(result, plan)
    mean, se = result.revenue.mean(), result.revenue.std(ddof=1) / np.sqrt(result.trials)
    gap = mean - plan.target
    assert f"books {money_compact(mean, plan.currency)} on average" in note
    if abs(gap) > 3 * se:
        assert money_compact(abs(gap), plan.currency) in note
        assert f"carries in {result.won_carried_in.mean():,.1f} deals" in note
        outside = (result.revenue_after + result.revenue_before).mean() / plan.avg_deal_size
        assert f"{outside:,.1f} of this quarter's deals close outside it" in note
        # the shortfall is the deals the carry-in lacks, to within the simulation's error
        lacking = (outside - result.won_carried_in.mean()) * plan.avg_deal_size
        assert abs(-gap - lacking) < 0.25 * abs(gap) + 4 * se
    else:
        assert "within the simulation's error" in note


def test_monthly_table_and_flags_mark_months_past_the_data_date(plan) -> None:
    """Issue 20: a plan for a quarter the export's date has passed says so."""
    import pandas as pd

    from alignlib.planning.plan import past_months

    as_of = pd.Timestamp("2026-11-19")
    table = reports.monthly_table(plan, as_of)
    past = [c for c in table.columns if c.endswith("(past)")]
    months = [p for p in plan.monthly.index if p < as_of.to_period("M")]
    assert past == [f"{p:%b %Y} (past)" for p in months]
    assert "Nov 2026" in table.columns and "Dec 2026" in table.columns
    flag = past_months(plan.monthly, as_of)
    assert flag is not None and flag.startswith(f"{len(months)} month(s) of the plan")
    assert past_months(plan.monthly, pd.Timestamp("2020-01-01")) is None
