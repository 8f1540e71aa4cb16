"""`alignlib validate` and `alignlib plan`: readable output, one JSON object, clean errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from alignlib.cli import main
from alignlib.paths import DEFAULT_PARAMS


def test_validate_ok_and_bad(params_dict, write_params, capsys):
    good = write_params(params_dict, "good.yaml")
    params_dict["conversion_rates"]["sal"] = 2
    bad = write_params(params_dict, "bad.yaml")
    assert main(["validate", str(good)]) == 0
    assert "ok:" in capsys.readouterr().out
    assert main(["validate", str(good), str(bad)]) == 2
    captured = capsys.readouterr()
    assert "ok:" in captured.out
    assert "bad.yaml" in captured.err and "conversion_rates.sal" in captured.err
    assert "Traceback" not in captured.err


def test_cli_exits_nonzero_without_a_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "alignlib", "plan", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "missing.yaml" in result.stderr and "file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_plan_prints_readable_tables(params_dict, write_params, capsys):
    assert main(["plan", str(write_params(params_dict))]) == 0
    out = capsys.readouterr().out
    for heading in (
        "Required volume by stage",
        "by month",
        "Channels",
        "Budget and coverage",
        "Sales capacity",
    ):
        assert heading in out
    assert "5,334" in out  # required leads, with a thousands separator


def test_plan_json_is_one_object(params_dict, write_params, capsys):
    assert main(["plan", str(write_params(params_dict)), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["stages"][0] == {
        "stage": "lead",
        "label": "Lead",
        "conversion_rate": 0.3,
        "required": 5334,
        "exact": pytest.approx(5333.33, abs=0.01),
        "in_funnel_at_start": pytest.approx(data["stages"][0]["in_funnel_at_start"]),
    }
    assert data["budget"] == pytest.approx(5334 * 160)
    assert data["coverage"]["implied_coverage"] == pytest.approx(4.0)


def test_plan_scenario_and_compare(params_dict, write_params, capsys):
    path = str(write_params(params_dict))
    assert main(["plan", path, "--scenario", "conservative", "--json"]) == 0
    scenario = json.loads(capsys.readouterr().out)
    assert scenario["scenario"] == "conservative" and scenario["avg_deal_size"] == 18_000
    assert main(["plan", path, "--compare", "--json"]) == 0
    comparison = json.loads(capsys.readouterr().out)["scenarios"]
    assert set(comparison) == {"base", "conservative", "conservative vs base"}
    assert main(["plan", path, "--compare"]) == 0
    assert "conservative vs base" in capsys.readouterr().out
    assert main(["plan", path, "--scenario", "nope"]) == 2
    assert "no scenario 'nope'" in capsys.readouterr().err


def test_default_quarter_plans_from_the_sample_data(capsys):
    assert main(["plan", str(DEFAULT_PARAMS), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["quarter"] == "2026Q4"
    assert data["stages"][-1]["required"] * data["avg_deal_size"] >= data["target"]


def test_plan_of_a_two_stage_funnel_without_channels_costs_or_capacity(
    params_dict, write_params, capsys
):
    """Issue 11: what has no inputs is left out, in one line each."""
    for key in ("capacity", "sla", "scenarios", "lag_days", "pipeline"):
        del params_dict[key]
    params_dict["stages"] = [
        {"name": "opportunity", "label": "Opportunity", "owner": "sales"},
        {"name": "won", "label": "Won", "owner": "sales"},
    ]
    params_dict["conversion_rates"] = {"opportunity": 0.25}
    params_dict["channels"] = {"partners": {"share": 1.0}}
    assert main(["plan", str(write_params(params_dict))]) == 0
    out = capsys.readouterr().out
    assert "No capacity section: the capacity check is left out." in out
    assert "No channel costs in the parameters or a spend file: budget and CAC are left out." in out
    assert "nan" not in out.lower()
    params_dict["channels"] = {}
    assert main(["plan", str(write_params(params_dict))]) == 0
    assert "No channels in the parameters or the actuals" in capsys.readouterr().out


def test_plan_optimise_mix(params_dict, write_params, capsys):
    params_dict["channels"]["paid_search"]["max_leads_per_month"] = 2_000
    path = str(write_params(params_dict))
    assert main(["plan", path, "--optimise-mix"]) == 0
    out = capsys.readouterr().out
    assert "Channel mix: today and least-cost" in out and "less." in out
    assert main(["plan", path, "--optimise-mix", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["objective"] == "least_budget" and data["feasible"]
    assert data["optimal"]["budget"] < data["today"]["budget"]
    assert main(["plan", path, "--optimise-mix", "--budget", "500,000", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["objective"] == "most_bookings"
    assert data["optimal"]["budget"] == pytest.approx(500_000)
    assert data["optimal"]["bookings"] >= data["today"]["bookings"]
    assert main(["plan", path, "--budget", "5"]) == 2
    assert "--budget goes with --optimise-mix" in capsys.readouterr().err
    params_dict["channels"]["events"]["max_leads_per_month"] = 10
    params_dict["channels"]["paid_search"]["max_leads_per_month"] = 10
    assert main(["plan", str(write_params(params_dict)), "--optimise-mix"]) == 1
    assert "can book at most" in capsys.readouterr().out
