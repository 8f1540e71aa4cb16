"""Report helpers: parameters lookup, plan tables, what-if, anonymised SLA, trend tables."""

from __future__ import annotations

import pandas as pd
import pytest

from alignlib import paths, reports, whatif
from alignlib.errors import InputError
from alignlib.params import load_params
from alignlib.planning import build_plan, reverse_funnel


@pytest.fixture(scope="module")
def params():
    return load_params(paths.DEFAULT_PARAMS)


@pytest.fixture(scope="module")
def plan(params):
    return build_plan(params)


def test_resolve_params_path_finds_names_relative_to_notebooks_and_params(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert reports.resolve_params_path("../params/2026Q4.yaml") == paths.DEFAULT_PARAMS.resolve()
    assert reports.resolve_params_path("2026Q4.yaml") == paths.DEFAULT_PARAMS.resolve()
    with pytest.raises(InputError, match="not found"):
        reports.resolve_params_path("nope.yaml")


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


def test_whatif_without_changes_is_the_plan(params, plan) -> None:
    r = whatif.whatif(params, trials=500, seed=1)
    assert r["required_leads"] == plan.funnel.leads
    assert r["budget"] == pytest.approx(plan.budget)
    assert 0.0 <= r["p_hit"] <= 1.0


def test_whatif_changes_follow_the_reverse_funnel(params) -> None:
    target = params.target.bookings * 1.2
    rates = {"mql": 0.7}
    r = whatif.whatif(params, target=target, rates=rates, deal_size=30_000, trials=500, seed=1)
    point = list(params.rates)
    point[list(params.stage_names).index("mql")] = 0.7
    assert r["required_leads"] == reverse_funnel(target, 30_000, params.stage_names, point).leads
    more = whatif.whatif(params, leads=r["leads"] * 2, trials=500, seed=1)
    less = whatif.whatif(params, leads=r["leads"] // 2, trials=500, seed=1)
    assert more["p_hit"] >= less["p_hit"]
    with pytest.raises(InputError, match="conversion rate of 'mql'"):
        whatif.whatif(params, rates={"mql": 1.5}, trials=100)


def test_whatif_panel_recomputes_when_a_slider_moves(params, plan) -> None:
    import ipywidgets as w

    panel = whatif.whatif_panel(params, trials=300, seed=1)
    sliders = {c.description: c for c in panel.children if isinstance(c, w.FloatSlider)}
    (leads,) = [c for c in panel.children[-2].children if isinstance(c, w.IntSlider)]
    assert leads.value == plan.funnel.leads
    # a 20% higher target re-plans: the lead slider follows the new requirement
    sliders["Bookings target"].value = params.target.bookings * 1.2
    expected = reverse_funnel(
        params.target.bookings * 1.2, params.deal_size.mean, params.stage_names, params.rates
    ).leads
    assert leads.value == expected
    assert {"Bookings target", "Average deal size", "MQL → SAL rate"} <= set(sliders)


def test_whatif_table_static_version(params) -> None:
    table = whatif.whatif_table(params, trials=300, seed=1)
    assert "As planned" in table.index
    assert table.loc["Target +10%", "leads_needed"] > table.loc["Target -10%", "leads_needed"]
    assert table["p_hit"].between(0, 1).all()


def test_sla_owner_table_hides_names(params) -> None:
    td = reports.trend_data(params)
    table = reports.sla_owner_table(td)
    owners = set(td.ingest.table["owner"].dropna().astype(str))
    assert not owners & set(table.index)
    assert table.index[0] == "Rep A"
    assert table["handoffs"].is_monotonic_decreasing
    growth = reports.growth_table(td)
    assert isinstance(growth, pd.DataFrame) and len(growth) == 2 * len(params.stage_names) - 1


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
    # A change of channel mix moves cost, not volume or odds.
    assert table.loc["shift_to_events", "leads"] == table.loc["base", "leads"]
    assert table.loc["shift_to_events", "budget"] > table.loc["base", "budget"]


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("mql_threshold", "MQL threshold"),
        ("fast_response_routing", "Fast response routing"),
        ("sla-4h_test", "SLA 4h test"),
    ],
)
def test_pretty_name_keeps_funnel_acronyms(name, heading) -> None:
    assert reports.pretty_name(name) == heading
