"""`alignlib annual`: the year as tables or one JSON object with the keys the issue names."""

from __future__ import annotations

import json

import pytest

from alignlib.cli import main

TEAM = {
    "reps": 10,
    "quota_per_rep": 300_000,
    "attainment": 0.8,
    "ramp": [0.5, 0.5, 0.5],
    "hires": [{"start": "2027-04-01", "count": 3}],
}


def _file(params_dict, write_params, team=TEAM):
    params_dict["quarter"] = "2027Q1"
    params_dict["target"]["bookings"] = 2_400_000
    params_dict["targets"] = {"2027Q2": 2_600_000, "2027Q3": 3_000_000, "2027Q4": 3_300_000}
    if team is not None:
        params_dict["sales_team"] = team
    params_dict["simulation"] = {"trials": 2000, "seed": 3}
    return str(write_params(params_dict))


def test_json_has_exactly_the_named_keys(params_dict, write_params, capsys):
    assert main(["annual", _file(params_dict, write_params), "--year", "2027", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"quarters", "hires_needed", "p_hit_year"}
    assert [set(r) for r in out["quarters"]] == [
        {
            "quarter", "target", "leads", "budget", "pipeline_created",
            "bookings_capacity", "ramped_reps", "gap",
        }
    ] * 4  # fmt: skip
    assert [r["bookings_capacity"] for r in out["quarters"]] == pytest.approx(
        [2_400_000, 2_760_000, 3_120_000, 3_120_000]
    )
    assert out["hires_needed"] == [{"start": "2027-08-01", "count": 1, "opens_by": "2027-05-01"}]
    assert 0 <= out["p_hit_year"] <= 1


def test_same_seed_same_chance_and_trials_override(params_dict, write_params, capsys):
    path = _file(params_dict, write_params)
    runs = []
    for seed in ("9", "9"):
        assert (
            main(["annual", path, "--year", "2027", "--json", "--seed", seed, "--trials", "500"])
            == 0
        )
        runs.append(json.loads(capsys.readouterr().out)["p_hit_year"])
    assert runs[0] == runs[1]
    assert (runs[0] * 500) == pytest.approx(round(runs[0] * 500))  # a share of 500 trials


def test_tables_name_the_gap_and_the_hires(params_dict, write_params, capsys):
    assert main(["annual", _file(params_dict, write_params), "--year", "2027"]) == 0
    out = capsys.readouterr().out
    assert "The year 2027" in out and "$11,300,000" in out
    assert "$2,760,000" in out and "$180,000" in out
    assert "2027-08-01" in out and "Attainment 80% of quota (from the file)" in out


def test_without_a_team_the_hires_are_left_out(params_dict, write_params, capsys):
    assert main(["annual", _file(params_dict, write_params, team=None), "--year", "2027"]) == 0
    assert "No sales_team section" in capsys.readouterr().out


@pytest.mark.parametrize("year", ["27", "next", "20277"])
def test_a_bad_year_is_a_usage_error(params_dict, write_params, capsys, year):
    assert main(["annual", _file(params_dict, write_params), "--year", year]) == 2
    assert "year" in capsys.readouterr().err


def test_bad_trials_are_refused(params_dict, write_params, capsys):
    code = main(["annual", _file(params_dict, write_params), "--year", "2027", "--trials", "0"])
    assert code == 2
    assert "--trials: 0 must be a whole number > 0" in capsys.readouterr().err


def test_validate_says_what_attainment_the_actuals_teach(capsys):
    from alignlib.paths import DEFAULT_PARAMS

    assert main(["validate", str(DEFAULT_PARAMS)]) == 0
    out = capsys.readouterr().out
    # the sample's nine owners booked $7,806,600 over the four quarters before 2026Q4 (to the thousand)
    assert (
        "sales_team.attainment: 72.3% learned from the actuals' bookings per owner "
        "($7,807,000 over 36 owner-quarters, 2025Q4 to 2026Q3)"
    ) in out
