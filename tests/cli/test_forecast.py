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


def test_forecast_text_says_what_its_rows_hold(capsys):
    """Issue 20: no "leads still to come" under a table whose rows say $0, and a quarter
    over by the data date says the landing is what was booked."""
    import types

    import pandas as pd

    from alignlib.cli.forecast import _what_is_left

    zero = types.SimpleNamespace(mean=0.0)
    base = dict(
        quarter="2026Q3",
        quarter_start=pd.Timestamp("2026-07-01"),
        quarter_end=pd.Timestamp("2026-09-30"),
        booked_deals=12,
        volume_source="plan",
    )
    over = types.SimpleNamespace(
        **base,
        as_of=pd.Timestamp("2026-11-01"),
        open_deals=0,
        open_pipeline=zero,
        not_yet_created=zero,
    )
    assert _what_is_left(over, "USD") == (
        "12 deals booked in 2026Q3, which ended before the data date: the landing is what "
        "was booked, nothing is still to come."
    )
    late = types.SimpleNamespace(
        **base,
        as_of=pd.Timestamp("2026-09-20"),
        open_deals=3,
        open_pipeline=types.SimpleNamespace(mean=1500.0),
        not_yet_created=zero,
    )
    text = _what_is_left(late, "USD")
    assert "3 open with a chance to win inside the quarter ($1,500 on average)" in text
    assert "no lead still to come (the plan's volume) closes inside the quarter" in text
