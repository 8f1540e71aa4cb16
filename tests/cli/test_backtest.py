"""`alignlib backtest`: readable text, the JSON contract, clear errors."""

from __future__ import annotations

import json

from alignlib import paths
from alignlib.cli import main

SAMPLE = str(paths.PARAMS_DIR / "2026Q4.yaml")


def test_backtest_text_and_json(capsys):
    assert main(["backtest", SAMPLE, "--trials", "500"]) == 0
    out = capsys.readouterr().out
    assert "Backtest of 6 past quarters" in out
    assert "inside our 80% range" in out and "Scores" in out
    assert main(["backtest", SAMPLE, "--trials", "500", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"quarters", "coverage_50", "coverage_80", "crps", "bias"} <= set(data)
    assert {"quarter", "as_of", "p10", "p50", "p90", "actual", "p_hit"} <= set(data["quarters"][0])
    assert len(data["quarters"]) == 24


def test_backtest_without_actuals(params_dict, write_params, capsys):
    assert main(["backtest", str(write_params(params_dict))]) == 2
    assert "backtest needs actuals" in capsys.readouterr().err
