"""The ``sales_team`` and ``targets`` params: what loads, and every bad value named with its line."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from alignlib.errors import ParamsError
from alignlib.params import load_params

TEAM = {
    "reps": 10,
    "quota_per_rep": 300_000,
    "attainment": 0.8,
    "ramp": [0.25, 0.5, 0.75],
    "attrition_per_year": 0.1,
    "hires": [{"start": "2027-04-01", "count": 3}],
    "hiring_lead_months": 2,
}


def _problems(exc: pytest.ExceptionInfo[ParamsError]) -> str:
    return "\n".join(str(p) for p in exc.value.problems)


def _line(text: str, key: str, after: str = "") -> int:
    rows = text.splitlines()
    start = next(i for i, row in enumerate(rows) if row.startswith(after)) if after else 0
    return next(i + 1 for i in range(start, len(rows)) if rows[i].strip().startswith(key))


def test_sales_team_loads_typed(params_dict, write_params):
    params_dict["sales_team"] = TEAM
    params_dict["targets"] = {"2027Q1": 1_500_000}
    p = load_params(write_params(params_dict))
    team = p.sales_team
    assert team is not None
    assert (team.reps, team.quota_per_rep, team.attainment) == (10, 300_000, 0.8)
    assert team.ramp == (0.25, 0.5, 0.75)
    assert team.hires[0].start == dt.date(2027, 4, 1) and team.hires[0].count == 3
    assert team.hiring_lead_months == 2
    assert p.targets == {"2027Q1": 1_500_000}


def test_sales_team_defaults(params_dict, write_params):
    params_dict["sales_team"] = {"reps": 4, "quota_per_rep": 100_000, "attainment": 1}
    team = load_params(write_params(params_dict)).sales_team
    assert team is not None
    assert team.ramp == () and team.hires == () and team.attrition_per_year == 0
    assert team.hiring_lead_months == 3


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("reps", -1, "greater than or equal to 0"),
        ("reps", 2.5, "valid integer"),
        ("quota_per_rep", 0, "greater than 0"),
        ("attainment", 0, "greater than 0"),
        ("attainment", 4, "less than or equal to 3"),
        ("attrition_per_year", 1, "less than 1"),
        ("attrition_per_year", -0.1, "greater than or equal to 0"),
        ("ramp", [0.5, 1.5], "from 0 to 1 (got 1.5)"),
        ("ramp", "fast", "valid tuple"),
        ("hiring_lead_months", -2, "greater than or equal to 0"),
    ],
)
def test_bad_team_values_name_key_and_line(params_dict, write_params, key, value, message):
    params_dict["sales_team"] = {**TEAM, key: value}
    text = yaml.safe_dump(params_dict, sort_keys=False)
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(text))
    problems = _problems(exc)
    assert f"sales_team.{key}" in problems
    assert f"(line {_line(text, key + ':', after='sales_team:')})" in problems
    assert message in problems


@pytest.mark.parametrize(
    ("hire", "where", "message"),
    [
        ({"start": "2027-13-01", "count": 1}, "sales_team.hires.0.start", "valid date"),
        ({"start": "2027-04-01", "count": 0}, "sales_team.hires.0.count", "greater than 0"),
        ({"count": 2}, "sales_team.hires.0.start", "required key is missing"),
        (
            {"start": "2027-04-01", "count": 1, "role": "AE"},
            "sales_team.hires.0.role",
            "unknown key",
        ),
    ],
)
def test_bad_hires_are_named(params_dict, write_params, hire, where, message):
    params_dict["sales_team"] = {**TEAM, "hires": [hire]}
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    problems = _problems(exc)
    assert where in problems and message in problems


def test_unknown_team_key_suggests_the_right_one(params_dict, write_params):
    params_dict["sales_team"] = {**TEAM, "quota_per_reps": 1}
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    assert "did you mean 'quota_per_rep'?" in _problems(exc)


def test_missing_required_team_keys(params_dict, write_params):
    params_dict["sales_team"] = {"attainment": 0.8}
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    problems = _problems(exc)
    assert "sales_team.reps" in problems and "sales_team.quota_per_rep" in problems


def test_attainment_left_out_without_actuals_is_a_problem(params_dict, write_params):
    params_dict["sales_team"] = {k: v for k, v in TEAM.items() if k != "attainment"}
    text = yaml.safe_dump(params_dict, sort_keys=False)
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(text))
    problems = _problems(exc)
    assert f"sales_team.attainment (line {_line(text, 'sales_team:')})" in problems
    assert "no bookings per owner to learn it from" in problems


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"2027Q5": 1_000_000}, "should match pattern"),
        ({"2027-Q1": 1_000_000}, "should match pattern"),
        ({"2027Q1": 0}, "greater than 0"),
        ({"2027Q1": "lots"}, "valid number"),
    ],
)
def test_bad_targets_are_named(params_dict, write_params, targets, message):
    params_dict["targets"] = targets
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    problems = _problems(exc)
    assert "targets" in problems and message in problems


def test_target_given_twice_for_the_params_quarter_must_agree(params_dict, write_params):
    params_dict["targets"] = {"2026Q4": 1_000_000}
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    assert "differs from target.bookings (1,200,000)" in _problems(exc)
    params_dict["targets"] = {"2026Q4": 1_200_000}
    assert load_params(write_params(params_dict)).targets["2026Q4"] == 1_200_000


def test_a_scenario_can_change_the_team(params_dict, write_params):
    params_dict["sales_team"] = TEAM
    params_dict["scenarios"]["hire_more"] = {
        "overrides": {"sales_team": {"hires": [{"start": "2027-01-01", "count": 5}]}}
    }
    p = load_params(write_params(params_dict)).with_scenario("hire_more")
    assert p.sales_team is not None
    assert p.sales_team.hires[0].count == 5 and p.sales_team.reps == 10


def test_a_scenario_with_a_bad_team_value_fails_at_load(params_dict, write_params):
    params_dict["sales_team"] = TEAM
    params_dict["scenarios"]["bad"] = {"overrides": {"sales_team": {"attainment": -1}}}
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    assert "scenarios.bad.overrides.sales_team.attainment" in _problems(exc)
