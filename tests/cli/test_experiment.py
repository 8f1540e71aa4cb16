"""`alignlib experiment`: readable text, one JSON object, clean errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from alignlib.cli import main

EXPORT = Path(__file__).parents[1] / "fixtures" / "experiments" / "routing_export.csv"


def _json(capsys) -> dict:
    out = capsys.readouterr().out
    return json.loads(out)  # exactly one object: json.loads fails on trailing text


def test_experiment_counts_text(capsys):
    assert main(["experiment", "--control", "200/1000", "--variant", "240/1000"]) == 0
    out = capsys.readouterr().out
    assert "Variant raises conversion from 20.0% to 24.0% (+20%)" in out
    assert "98% chance it is better" in out
    assert "Newcombe" in out and "Katz log" in out and "pooled two-proportion z-test" in out
    assert "Assignment matches the planned shares" in out


def test_experiment_counts_json_matches_statsmodels(capsys):
    argv = ["experiment", "--control", "200/1000", "--variant", "v2=240/1000", "--json"]
    assert main([*argv, "--stage", "sal", "--planned-n", "1500"]) == 0
    data = _json(capsys)
    r = data["comparison"]["variants"][0]
    assert r["variant_name"] == "v2" and r["stage"] == "sal" and r["next_stage"] == "sql"
    low, high = confint_proportions_2indep(240, 1000, 200, 1000, compare="diff", method="newcomb")
    assert r["ci"] == pytest.approx([low, high])
    z, p = proportions_ztest([240, 200], [1000, 1000])
    assert r["z"] == pytest.approx(z) and r["p_value"] == pytest.approx(p)
    assert r["sequential"]["read_early"] is True
    assert data["srm"]["flag"] is False
    assert "SAL->SQL" in data["headline"]


def test_experiment_several_variants_holm(capsys):
    argv = ["experiment", "--control", "200/1000", "--variant", "a=240/1000"]
    argv += ["--variant", "b=215/1000", "--json"]
    assert main(argv) == 0
    data = _json(capsys)
    assert data["comparison"]["correction"] == "holm"
    ps = [v["p_value"] for v in data["comparison"]["variants"]]
    adjusted = [v["p_value_adjusted"] for v in data["comparison"]["variants"]]
    assert adjusted[0] == pytest.approx(min(1, 2 * min(ps)))
    assert adjusted[1] == pytest.approx(max(adjusted[0], min(1, max(ps))))


def test_experiment_srm_flag_in_text(capsys):
    argv = ["experiment", "--control", "500/5000", "--variant", "600/5400"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "DO NOT TRUST" in out and "cannot be trusted" in out


def test_experiment_zero_conversions_is_defined(capsys):
    assert main(["experiment", "--control", "0/50", "--variant", "0/50", "--json"]) == 0
    r = _json(capsys)["comparison"]["variants"][0]
    assert r["diff"] == 0 and r["p_value"] == 1 and r["test"] == "fisher"
    assert r["prob_beat_control"] == pytest.approx(0.5)
    assert r["relative_lift"] is None


def _params_with_experiments(params_dict):
    params_dict["experiments"] = [
        {
            "name": "routing",
            "stage": "sal",
            "description": "Route SALs to the next free AE.",
            "control": {"conversions": 412, "n": 1020},
            "variants": {"instant": {"conversions": 468, "n": 1005}},
            "expected_shares": [0.5, 0.5],
            "planned_n_per_arm": 1100,
        },
        {"name": "routing_export", "stage": "sal", "export": str(EXPORT)},
    ]
    return params_dict


def test_experiment_params_file_text(params_dict, write_params, capsys):
    path = write_params(_params_with_experiments(params_dict))
    assert main(["experiment", str(path), "--trials", "4000"]) == 0
    out = capsys.readouterr().out
    assert "revenue impact: Shipping Instant (SAL->SQL)" in out  # variant ids read as words
    assert "Experiment routing (SAL->SQL)" in out
    assert "Experiment routing_export (SAL->SQL)" in out
    assert "more weeks to the planned sample" in out  # from the plan's SAL volume
    assert "SAL->Won" in out  # funnel depth from the export


def test_experiment_params_file_json(params_dict, write_params, capsys):
    path = write_params(_params_with_experiments(params_dict))
    assert main(["experiment", str(path), "--json", "--trials", "4000"]) == 0
    data = _json(capsys)
    assert [e["name"] for e in data["experiments"]] == ["routing", "routing_export"]
    depth = data["experiments"][1]["funnel_depth"]
    assert depth["stages"] == ["sql", "opportunity", "won"]
    impact = data["experiments"][0]["impact"]
    assert impact["trials"] == 4000 and impact["variant_name"] == "instant"
    assert impact["expected_delta"] > 0
    assert 0 <= impact["prob_hit_control"] <= impact["prob_hit_variant"] <= 1


def test_experiment_params_file_no_impact(params_dict, write_params, capsys):
    path = write_params(_params_with_experiments(params_dict))
    assert main(["experiment", str(path), "--json", "--no-impact"]) == 0
    assert all(e["impact"] is None for e in _json(capsys)["experiments"])


def test_experiment_params_file_without_experiments(params_dict, write_params, capsys):
    path = write_params(params_dict)
    # nothing to read out is not a pass: exit 1, with the reason on stderr
    assert main(["experiment", str(path)]) == 1
    captured = capsys.readouterr()
    assert "No experiments" in captured.out
    assert "has no experiments" in captured.err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--control", "2000/1000", "--variant", "1/2"], "more than n"),
        (["--control", "0/0", "--variant", "1/2"], "n must be positive"),
        (["--control", "20%", "--variant", "1/2"], "CONVERSIONS/N"),
        (["--control", "1/10"], "at least one --variant"),
        (["--control", "1/10", "--variant", "a=1/2", "--variant", "a=1/3"], "used twice"),
        (["--control", "1/10", "--variant", "1/10", "--shares", "0.6,0.6"], "sum to 1"),
        (["--control", "1/10", "--variant", "1/10", "--alpha", "2"], "alpha"),
    ],
)
def test_experiment_bad_input_exits_2_without_traceback(argv, fragment, capsys):
    assert main(["experiment", *argv]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


# ------------------------------------------------------------------ issue 10: hostile counts


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--control", "-1/10", "--variant", "1/10"], "--control: counts must be whole numbers"),
        (["--control", "1/10", "--variant", "-1/10"], "--variant: counts must be whole numbers"),
        (["--control", "1/-10", "--variant", "1/10"], "'1/-10'"),
        (["--control", "2.5/10", "--variant", "1/10"], ">= 0: '2.5/10'"),
        (["--control", "-x", "--variant", "1/10"], "CONVERSIONS/N"),
    ],
)
def test_values_starting_with_a_dash_reach_the_counts_check(argv, fragment, capsys):
    assert main(["experiment", *argv]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "expected one argument" not in err and "Traceback" not in err


def test_an_option_after_an_option_is_still_a_usage_error(capsys):
    assert main(["experiment", "--control", "--json"]) == 2
    assert "expected one argument" in capsys.readouterr().err


def test_counts_of_a_trillion_return_quickly(capsys):
    start = time.monotonic()
    argv = ["--control", "1000000000000/1000000000000", "--variant", "999999999999/1000000000000"]
    assert main(["experiment", *argv]) == 0
    out = capsys.readouterr().out
    assert "1,000,000,000,000/1,000,000,000,000" in out and "z-test" in out
    assert time.monotonic() - start < 10
