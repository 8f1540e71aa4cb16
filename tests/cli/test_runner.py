"""The one runner: every verb's failure is one message, a JSON error with --json, exit 2,
a traceback only with --debug; an outcome is printed as text or JSON with its status."""

from __future__ import annotations

import argparse
import json

import pytest

from alignlib.cli import build_parser, main
from alignlib.cli._runner import Outcome, Text, emit, error_object
from alignlib.errors import DataError, ParamsError, Problem

MISSING = "missing.yaml"

#: A failing command line for every verb, and what its message must name.
FAILING = {
    "annual": (["annual", MISSING, "--year", "2027"], MISSING),
    "backtest": (["backtest", MISSING], MISSING),
    "experiment": (["experiment", "--control", "5/3", "--variant", "1/3"], "--control"),
    "forecast": (["forecast", MISSING], MISSING),
    "ingest": (["ingest", "missing.csv"], "missing.csv"),
    "plan": (["plan", MISSING], MISSING),
    "run": (["run", "--report", "nope"], "nope"),
    "sample": (["sample", "--out", "a_file"], "a_file"),
    "sample-size": (["sample-size", "--baseline", "2", "--mde", "0.05"], "baseline"),
    "simulate": (["simulate", MISSING], MISSING),
    "validate": (["validate", MISSING], MISSING),
    "warehouse": (["warehouse", "load", "missing_folder", "--into", " "], "--into"),
}


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALIGNLIB_OUTPUTS", str(tmp_path / "outputs"))
    (tmp_path / "a_file").write_text("not a folder")
    return tmp_path


def test_every_verb_has_a_failing_case_here():
    verbs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(verbs.choices) == set(FAILING)


@pytest.mark.parametrize("verb", sorted(FAILING))
def test_a_failure_is_one_message_and_exit_2(verb, folder, capsys):
    argv, named = FAILING[verb]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert named in captured.err and "error" in captured.err
    assert "Traceback" not in captured.err and "internal error" not in captured.err
    assert captured.out == ""


@pytest.mark.parametrize("verb", sorted(FAILING))
def test_with_json_the_failure_is_one_json_object_too(verb, folder, capsys):
    argv, named = FAILING[verb]
    assert main([*argv, "--json"]) == 2
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert named in captured.err and "Traceback" not in captured.err
    if verb == "validate":  # several files: each one's verdict, not one error
        assert out["files"] == [
            {
                "path": MISSING,
                "ok": False,
                "problems": [{"location": "", "message": "file not found"}],
            }
        ]
        return
    assert out["ok"] is False and out["exit_code"] == 2
    assert named in out["error"]["message"] and not out["error"]["message"].startswith("error:")


@pytest.mark.parametrize("verb", sorted(set(FAILING) - {"validate"}))
def test_debug_adds_the_traceback(verb, folder, capsys):
    argv, named = FAILING[verb]
    assert main([*argv, "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and named in err


def test_a_params_error_in_json_names_the_file_and_each_problem(folder, capsys):
    (folder / "bad.yaml").write_text("quarter: 2026Q9\n")
    assert main(["plan", "bad.yaml", "--json"]) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["type"] == "ParamsError" and error["file"] == "bad.yaml"
    assert error["problems"] and all({"location", "message"} <= set(p) for p in error["problems"])
    assert any(p["location"].startswith("quarter") for p in error["problems"])


def test_a_usage_error_with_json_is_a_json_error(capsys):
    assert main(["plan", "--json"]) == 2
    captured = capsys.readouterr()
    assert "usage: alignlib plan" in captured.err
    assert "the following arguments are required: params" in captured.err
    error = json.loads(captured.out)["error"]
    assert error["type"] == "UsageError" and "required: params" in error["message"]


def test_an_unknown_option_is_a_usage_error_without_json(capsys):
    assert main(["plan", "x.yaml", "--nope"]) == 2
    captured = capsys.readouterr()
    assert "unrecognized arguments: --nope" in captured.err and captured.out == ""


def test_trials_and_seed_are_checked_for_every_verb_that_takes_them(capsys):
    assert main(["simulate", MISSING, "--trials", "0"]) == 2
    assert capsys.readouterr().err == "error: --trials: 0 must be a whole number > 0\n"
    assert main(["sample", "--out", "x", "--seed", "-1"]) == 2
    assert capsys.readouterr().err == "error: --seed: -1 must be a whole number >= 0\n"


def test_a_verb_without_an_action_is_refused(capsys):
    assert main(["warehouse"]) == 2
    assert "required: ACTION" in capsys.readouterr().err


def test_emit_prints_text_or_json_and_the_notes_in_both(capsys):
    outcome = Outcome({"n": 1, "x": float("nan")}, "one line\n", code=2, notes=("verb: why",))
    assert emit(outcome, as_json=False) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("one line\n", "verb: why\n")
    assert emit(outcome, as_json=True) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"n": 1, "x": None} and captured.err == "verb: why\n"


def test_a_note_hides_a_password(capsys):
    emit(Outcome({}, "", notes=("cannot reach postgresql://me:S3cret@db/crm",)), as_json=False)
    assert "S3cret" not in capsys.readouterr().err


def test_text_writes_as_the_verbs_printed():
    import pandas as pd

    out = Text()
    out.line("first")
    out.heading("Section")
    out.table(pd.DataFrame({"amount": [1234.5]}), {"amount": "money"})
    assert str(out) == "first\n\nSection\n-------\n   amount\n0  $1,234\n"
    assert str(Text()) == ""


def test_error_object_fields():
    params = ParamsError("p.yaml", [Problem("target.bookings", "must be > 0")])
    assert error_object(params, "p.yaml: 1 problem(s)", 2) == {
        "ok": False,
        "exit_code": 2,
        "error": {
            "type": "ParamsError",
            "message": "p.yaml: 1 problem(s)",
            "file": "p.yaml",
            "problems": [{"location": "target.bookings", "message": "must be > 0"}],
        },
    }
    data = error_object(DataError("x.csv", "no rows"), "x.csv: no rows", 2)
    assert data["error"]["file"] == "x.csv" and "problems" not in data["error"]
    bug = error_object(ValueError("row 12: ben@example.com"), "internal error: ValueError", 1)
    assert "example.com" not in json.dumps(bug) and bug["exit_code"] == 1


@pytest.mark.parametrize("verb", ["plan", "experiment", "validate"])
def test_a_url_given_as_a_path_keeps_its_password(verb, capsys):
    # a Path folds '//' to '/': the message no longer holds a URL, but still its password
    url = "postgresql://u:S3cret@PWtail@127.0.0.1:1/x"
    assert main([verb, url, "--json"]) == 2
    captured = capsys.readouterr()
    assert "S3cret" not in captured.out + captured.err
    assert "PWtail" not in captured.out + captured.err
    assert "***" in captured.err and "file not found" in captured.err
