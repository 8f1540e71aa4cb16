"""Figures after rejections (issue 21, cases 11 to 13): every verb that reads actuals holds
them to the same limits as ``ingest``, says what the rejections removed, and refuses a
stage that lost every row, or an export with no closed deal to learn win rates from."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from alignlib import crm, paths
from alignlib.cli import main
from alignlib.errors import DataError
from alignlib.history.learning import learn_params, read_actuals
from alignlib.params import load_params

SAMPLE = paths.PROJECT_ROOT / "data" / "sample" / "hubspot_contacts.csv"


def _export(folder: Path, name: str, change) -> Path:
    """The sample export changed by ``change`` and a params file extending 2026Q4 reading it."""
    df = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    df = change(df)
    csv = folder / f"{name}.csv"
    df.to_csv(csv, index=False)
    params = folder / f"{name}.yaml"
    params.write_text(
        f"extends: {paths.PARAMS_DIR / '2026Q4.yaml'}\n"
        f"actuals:\n  crm_export: {csv}\n"
        "simulation:\n  trials: 500\n"
    )
    return params


def _won(df: pd.DataFrame) -> pd.Series:
    return df["Lifecycle Stage"].eq("Customer") | df["Became a Customer Date"].ne("")


def _negative(df: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    """``rows`` made unusable: no readable created date (a bad amount costs only the amount)."""
    df = df.copy()
    df.loc[rows, "Create Date"] = "2025-13-01 08:00"
    return df


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("usable")
    return {
        "no_won": _export(folder, "no_won", lambda df: _negative(df, _won(df))),
        "most_won": _export(
            folder, "most_won", lambda df: _negative(df, df["Lifecycle Stage"].eq("Customer"))
        ),
        "one_id": _export(folder, "one_id", lambda df: df.assign(**{"Record ID": "1"})),
        "open_only": _export(
            folder,
            "open_only",
            lambda df: df[~_won(df) & df["Closed Lost Date"].eq("")],
        ),
    }


def test_a_stage_that_lost_every_row_is_an_error_in_every_verb(exports, capsys):
    params = load_params(exports["no_won"])
    with pytest.raises(DataError, match="every one of the 608 rows that reached won was rejected"):
        crm.load_actuals(params)
    # Learned without it: the reading's error is raised again, never a figure from zeros.
    learned = learn_params(params)
    with pytest.raises(DataError, match="reached won was rejected"):
        read_actuals(learned)
    for verb in ("forecast", "backtest"):
        assert main([verb, str(exports["no_won"])]) == 2, verb
        err = capsys.readouterr().err
        assert "608 rows that reached won was rejected" in err and "no_won.csv" in err
    assert main(["ingest", str(exports["no_won"].with_suffix(".csv")), "--json"]) == 2
    assert "reached won was rejected" in capsys.readouterr().err


def test_figures_after_rejections_say_what_they_removed(exports, capsys):
    path = exports["most_won"]
    assert main(["forecast", str(path), "--trials", "500"]) == 0
    out = capsys.readouterr().out
    assert "579 of the 608 that reached won" in out and "rows rejected" in out
    assert main(["forecast", str(path), "--trials", "500", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["rejected"]["by_stage"]["won"] == 579 and got["rejected"]["rows"] >= 579
    from alignlib.reports.common import rejected_note

    note = rejected_note(read_actuals(learn_params(load_params(path))))
    assert "579 of the 608 that reached won" in note


def test_every_verb_holds_the_rejected_share_limit(exports, capsys):
    path = exports["one_id"]  # every Record ID is "1": one row of 52,296 accepted
    for verb in ("forecast", "backtest"):
        assert main([verb, str(path)]) == 2, verb
        assert "of rows rejected" in capsys.readouterr().err
    with pytest.raises(DataError, match="of rows rejected"):
        read_actuals(learn_params(load_params(path)))
    # The plan still runs on the file's rates, and says why it left the actuals out.
    from alignlib.planning import build_plan

    plan = build_plan(learn_params(load_params(path)))
    assert any("of rows rejected" in w for w in plan.warnings)


def test_the_limit_is_the_files_or_the_options(exports, capsys):
    path = exports["most_won"]  # 1.3% of rows rejected
    assert main(["forecast", str(path), "--trials", "500", "--max-rejected", "1%"]) == 2
    assert "above --max-rejected 1%" in capsys.readouterr().err
    strict = path.with_name("strict.yaml")
    strict.write_text(f"extends: {path}\nactuals:\n  max_rejected: 0.01\n")
    assert main(["backtest", str(strict)]) == 2
    assert "of rows rejected" in capsys.readouterr().err


def test_an_export_without_closed_deals_cannot_be_forecast(exports, capsys):
    path = exports["open_only"]
    for verb in ("forecast", "backtest"):
        assert main([verb, str(path)]) == 2, verb
        err = capsys.readouterr().err
        assert "win rates cannot be learned" in err and "open_only.csv" in err


def test_run_holds_the_limit_in_the_snapshot_it_computes(exports, monkeypatch):
    """``run --weekly`` reads the quarter snapshot: no "no data" scorecard from unusable actuals."""
    from alignlib.errors import InputError
    from alignlib.history.learning import load_learned
    from alignlib.snapshot import quarter_snapshot

    monkeypatch.delenv("ALIGNLIB_MAX_REJECTED", raising=False)
    snap = quarter_snapshot(load_learned(exports["one_id"]), trials=200)
    with pytest.raises(InputError, match="the actuals cannot be used: .*of rows rejected"):
        snap.require("scorecard")
    ok = quarter_snapshot(load_learned(exports["most_won"]), trials=200)
    card = ok.require("scorecard")
    assert "579 of the 608 that reached won" in card.rejections
    from alignlib.reports.scorecard import scorecard_html

    assert "579 of the 608 that reached won" in scorecard_html(card)  # the page and e-mail
    monkeypatch.setenv("ALIGNLIB_MAX_REJECTED", "0.01")  # as `run --max-rejected 1%` sets it
    strict = quarter_snapshot(load_learned(exports["most_won"]), trials=200)
    with pytest.raises(InputError, match="above --max-rejected 1%"):
        strict.require("scorecard")


def test_run_passes_max_rejected_to_what_it_starts(monkeypatch, tmp_path):
    import os
    from types import SimpleNamespace

    seen = {}

    def fake_batch(*args, **kwargs):
        seen["limit"] = os.environ.get("ALIGNLIB_MAX_REJECTED")
        return SimpleNamespace(ok=True, failed=[], summary=lambda: "ok", to_dict=lambda: {})

    monkeypatch.delenv("ALIGNLIB_MAX_REJECTED", raising=False)
    monkeypatch.setattr("alignlib.batch.run_batch", fake_batch)
    args = ["run", str(paths.PARAMS_DIR / "2026Q4.yaml"), "--out", str(tmp_path), "--weekly"]
    assert main([*args, "--max-rejected", "5%"]) == 0
    assert seen["limit"] == "0.05" and "ALIGNLIB_MAX_REJECTED" not in os.environ
