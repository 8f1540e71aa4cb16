"""`alignlib forecast`: readable text, the JSON contract, clear errors."""

from __future__ import annotations

import json

from alignlib import paths
from alignlib.cli import main

SAMPLE = str(paths.PARAMS_DIR / "2026Q4.yaml")


def test_forecast_text_and_json(capsys):
    assert main(["forecast", SAMPLE, "--trials", "2000"]) == 0
    out = capsys.readouterr().out
    assert "Where 2026Q4 will land, as of 2026-11-19" in out
    assert "open pipeline" in out and "P(hit) = " in out
    assert "Open deals that matter most" in out
    assert main(["forecast", SAMPLE, "--trials", "2000", "--as-of", "2026-10-15", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("booked", "open_pipeline", "not_yet_created", "landing"):
        assert {"p10", "p50", "p90"} <= set(data[key])
    assert 0 <= data["p_hit"] <= 1 and data["as_of"] == "2026-10-15"


def test_forecast_enterprise_sample(capsys):
    path = str(paths.PARAMS_DIR / "2026Q4-enterprise.yaml")
    assert main(["forecast", path, "--trials", "1000", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["quarter"] == "2026Q4"


def test_forecast_errors(params_dict, write_params, capsys):
    assert main(["forecast", str(write_params(params_dict))]) == 2
    assert "forecast needs actuals" in capsys.readouterr().err
    assert main(["forecast", SAMPLE, "--as-of", "someday"]) == 2
    assert "--as-of" in capsys.readouterr().err
    assert main(["forecast", SAMPLE, "--trials", "0"]) == 2
