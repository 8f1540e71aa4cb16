"""`alignlib backtest`: readable text, the JSON contract, clear errors."""

from __future__ import annotations

import json

import pandas as pd

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


def test_backtest_of_no_scorable_quarter_does_not_pass(write_params, tmp_path, capsys):
    # two months of history: no past quarter has six months before it
    created = pd.date_range("2026-08-01", "2026-09-30", freq="D")
    export = tmp_path / "short.csv"
    pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(len(created))],
            "created": created.strftime("%Y-%m-%d"),
            "won": [d.strftime("%Y-%m-%d") if i % 5 == 0 else "" for i, d in enumerate(created)],
            "amount": [5_000 if i % 5 == 0 else None for i in range(len(created))],
        }
    ).to_csv(export, index=False)
    path = write_params(
        {
            "quarter": "2026Q4",
            "stages": [
                {"name": "lead", "label": "Lead", "owner": "marketing"},
                {"name": "won", "label": "Won", "owner": "sales"},
            ],
            "target": {"bookings": 100_000},
            "deal_size": {"mean": 5_000},
            "actuals": {
                "crm_export": str(export),
                "format": "csv",
                "columns": {
                    "id": "id",
                    "created": "created",
                    "entered_won": "won",
                    "amount": "amount",
                },
            },
        }
    )
    assert main(["backtest", str(path), "--trials", "200"]) == 1
    captured = capsys.readouterr()
    assert "no past quarter" in captured.err and "could be scored" in captured.err
    assert main(["backtest", str(path), "--trials", "200", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["n_quarters"] == 0
