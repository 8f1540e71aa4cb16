"""The annual page's contents: the default year, the scenarios beside the plan, the tables."""

from __future__ import annotations

import pytest

from alignlib.history.learning import learn_params
from alignlib.params import load_params
from alignlib.reports import annual as report

TEAM = {
    "reps": 10,
    "quota_per_rep": 300_000,
    "attainment": 0.8,
    "ramp": [0.5, 0.5, 0.5],
    "hires": [{"start": "2027-04-01", "count": 3}],
}


def _params(params_dict, write_params, team=TEAM, quarter="2027Q1"):
    params_dict["quarter"] = quarter
    params_dict["target"]["bookings"] = 2_400_000
    params_dict["targets"] = {"2027Q2": 2_600_000, "2027Q3": 3_000_000, "2027Q4": 3_300_000}
    if team is not None:
        params_dict["sales_team"] = team
    params_dict["simulation"] = {"trials": 2000, "seed": 11}
    return learn_params(load_params(write_params(params_dict)))


@pytest.mark.parametrize(
    ("quarter", "year"), [("2026Q4", 2027), ("2027Q1", 2027), ("2027Q3", 2027)]
)
def test_default_year_is_the_next_quarters(params_dict, write_params, quarter, year):
    params_dict["targets"] = {}
    params_dict["quarter"] = quarter
    assert report.default_year(load_params(write_params(params_dict))) == year


def test_scenarios_change_what_they_say_and_nothing_else(params_dict, write_params):
    view = report.annual_view(_params(params_dict, write_params), 2027)
    by_name = {s.name: s for s in view.scenarios}
    assert list(by_name) == ["plan", "hire_earlier", "raise_attainment", "shift_budget"]
    plan = by_name["plan"]
    assert plan.capacity == pytest.approx((2_400_000, 2_760_000, 3_120_000, 3_120_000))
    assert plan.carried == pytest.approx(2_400_000 + 2_600_000 + 3_000_000 + 3_120_000)
    # attainment 0.85 instead of 0.8: every quarter's capacity in proportion, demand unchanged
    raised = by_name["raise_attainment"]
    assert raised.capacity == pytest.approx(tuple(c * 0.85 / 0.8 for c in plan.capacity))
    assert raised.demand == plan.demand and raised.p_hit_year == plan.p_hit_year
    assert raised.hires_needed == 0  # 3,315,000 carries Q4's 3,300,000
    # the three hires start 1 January instead of 1 April: half-productive in Q1, ramped by Q2
    earlier = by_name["hire_earlier"]
    assert earlier.capacity == pytest.approx((2_760_000, 3_120_000, 3_120_000, 3_120_000))
    # 10% of the leads of the shortest quarter (Q4) move to the one with most room (Q2)
    shifted = by_name["shift_budget"]
    q = view.plan.quarters
    moved = round(q[3].leads * 0.1)
    assert shifted.demand[3] == pytest.approx(q[3].target * (q[3].leads - moved) / q[3].leads)
    assert shifted.demand[1] == pytest.approx(q[1].target * (q[1].leads + moved) / q[1].leads)
    assert shifted.demand[0] == q[0].target and shifted.demand[2] == q[2].target
    assert "2027Q4" in shifted.description and "2027Q2" in shifted.description
    assert 0 <= shifted.p_hit_year <= 1


def test_tables_of_the_page(params_dict, write_params):
    view = report.annual_view(_params(params_dict, write_params), 2027)
    year = report.year_table(view.plan)
    assert list(year.index) == ["2027Q1", "2027Q2", "2027Q3", "2027Q4", "Year"]
    assert year.loc["Year", "target"] == 11_300_000
    assert year.loc["Year", "bookings_capacity"] == pytest.approx(11_400_000)
    assert year.loc["Year", "leads"] == sum(q.leads for q in view.plan.quarters)
    hiring = report.hiring_table(view)
    assert hiring["kind"].tolist() == ["planned", "needed"]
    assert hiring["opens_by"].astype(str).tolist() == ["2027-01-01", "2027-05-01"]
    table = report.scenario_table(view)
    assert table.loc["plan", "capacity"] == pytest.approx(11_400_000)
    assert (table["note"] == "").all()
    sentence = report.year_sentence(view.plan)
    assert "$11,300,000" in sentence and "1 quarter falls short" in sentence


def test_without_a_team_the_page_says_so_and_skips_team_scenarios(params_dict, write_params):
    view = report.annual_view(_params(params_dict, write_params, team=None), 2027)
    assert any("No sales team section" in n for n in view.notes)
    table = report.scenario_table(view)
    assert table.loc["hire_earlier", "note"] == "skipped: needs a sales team in the parameters"
    assert table.loc["shift_budget", "note"].startswith("skipped: needs a sales team")
    assert "bookings_capacity" not in report.year_table(view.plan).columns
    assert report.hiring_table(view).empty
    assert "sales team" not in report.year_sentence(view.plan)


def test_attainment_that_cannot_be_learned_leaves_the_team_out_with_a_note(
    params_dict, write_params
):
    params = _params(params_dict, write_params)
    team = params.sales_team.model_copy(update={"attainment": None})
    params = params.model_copy(update={"sales_team": team})  # no actuals to learn from
    view = report.annual_view(params, 2027)
    assert view.team is None and view.plan.bookings_capacity is None
    assert view.notes and "sales_team.attainment" in view.notes[0]
