"""alignlib ingest: JSON and text output, rejects file, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

FIX = Path(__file__).parents[1] / "fixtures" / "crm"


def test_cli_ingest_json(tmp_path, capsys):
    from alignlib.cli import main

    rejects = tmp_path / "x.rejects-contains-personal-data.csv"
    code = main(
        [
            "ingest",
            str(FIX / "hubspot_small.csv"),
            "--format",
            "hubspot",
            "--json",
            "--rejects",
            str(rejects),
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"rows", "accepted", "rejected", "reached", "problems"} <= set(out)
    assert (out["rows"], out["accepted"], out["rejected"]) == (16, 9, 7)  # no SAL mapping
    assert out["reached"]["lead"] == 8 and len(out["problems"]) == 7
    assert rejects.exists() and out["rejects_file"] == str(rejects)
    assert "@example.com" not in json.dumps(out)


def test_cli_ingest_with_params_and_salesforce(tmp_path, capsys, monkeypatch):
    from alignlib.cli import main
    from alignlib.paths import DEFAULT_PARAMS

    monkeypatch.setenv("ALIGNLIB_OUTPUTS", str(tmp_path))
    code = main(["ingest", str(FIX / "hubspot_small.csv"), "--params", str(DEFAULT_PARAMS)])
    text = capsys.readouterr().out
    assert code == 0 and "accepted 10" in text and "rejected 6" in text
    assert "hubspot_small.rejects-contains-personal-data.csv" in text
    assert (tmp_path / "ingest" / "hubspot_small.rejects-contains-personal-data.csv").exists()
    code = main(
        [
            "ingest",
            str(FIX / "salesforce_leads_small.csv"),
            "--format",
            "salesforce",
            "--opportunities",
            str(FIX / "salesforce_opportunities_small.csv"),
            "--json",
            "--rejects",
            str(tmp_path / "sf.rejects-contains-personal-data.csv"),
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["reached"]["won"] == 1 and out["rows"] == 8


def test_cli_ingest_unreadable_exits_2(tmp_path, capsys):
    from alignlib.cli import main

    assert main(["ingest", str(tmp_path / "missing.csv")]) == 2
    assert "file not found" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("Record ID,Email\n1,a@example.com\n")
    assert main(["ingest", str(bad), "--json"]) == 2
    err = capsys.readouterr().err
    assert "Create Date" in err and "Traceback" not in err


# ------------------------------------------------------------------ issue 10: rejects paths


def _ingest_fails(argv, capsys) -> str:
    from alignlib.cli import main

    assert main(["ingest", str(FIX / "hubspot_small.csv"), *argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_rejects_under_a_file(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    target = tmp_path / "f" / "x.rejects-contains-personal-data.csv"
    err = _ingest_fails(["--rejects", str(target)], capsys)
    assert f"--rejects {target}: {tmp_path / 'f'} is a file, not a folder" in err


def test_rejects_at_a_folder(tmp_path, capsys):
    err = _ingest_fails(["--rejects", str(tmp_path)], capsys)
    assert f"--rejects {tmp_path} is a folder; give a file name inside it" in err
    assert list(tmp_path.iterdir()) == []


def test_rejects_not_writable(tmp_path, capsys, monkeypatch):
    import alignlib.cli._args as cli_args

    monkeypatch.setattr(cli_args.os, "access", lambda p, m: False)
    target = tmp_path / "x.rejects-contains-personal-data.csv"
    assert f"--rejects {target}: not writable" in _ingest_fails(["--rejects", str(target)], capsys)


def test_the_export_is_a_folder(tmp_path, capsys):
    from alignlib.cli import main

    assert main(["ingest", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "Traceback" not in err
