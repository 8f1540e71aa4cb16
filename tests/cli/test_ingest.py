"""alignlib ingest: JSON and text output, rejects file, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
    assert (out["rows"], out["accepted"], out["rejected"]) == (16, 11, 5)  # no SAL mapping
    assert out["reached"]["lead"] == 10 and len(out["problems"]) == 7
    # Two rows kept without one bad field each (an MQL date out of order, a negative amount).
    assert (out["accepted_whole"], out["kept_with_dropped_field"]) == (9, 2)
    assert set(out["dropped_fields"]) == {
        "Became a Marketing Qualified Lead Date",
        "Recent Deal Amount",
    }
    amount = out["dropped_fields"]["Recent Deal Amount"]
    assert (amount["count"], amount["value"], amount["row"]) == (1, "-500", 15)
    assert amount["reason"] == "negative amount"
    assert rejects.exists() and out["rejects_file"] == str(rejects)
    assert "@example.com" not in json.dumps(out)


def test_cli_ingest_with_params_and_salesforce(tmp_path, capsys, monkeypatch):
    from alignlib.cli import main
    from alignlib.paths import DEFAULT_PARAMS

    monkeypatch.setenv("ALIGNLIB_OUTPUTS", str(tmp_path))
    code = main(["ingest", str(FIX / "hubspot_small.csv"), "--params", str(DEFAULT_PARAMS)])
    text = capsys.readouterr().out
    assert code == 0 and "accepted 12" in text and "rejected 4" in text
    assert (
        "1 row kept without its Recent Deal Amount: '-500' is a negative amount (e.g. row 15)"
        in text
    )
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


# Issue 11: --suggest, exit codes, grouped problems, outcomes and won amount.
def _run(argv, capsys):
    from alignlib.cli import main

    code = main(["ingest", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_exit_2_when_every_row_is_rejected(tmp_path, capsys):
    path = tmp_path / "leads.csv"
    rejects = tmp_path / "x.rejects-contains-personal-data.csv"
    path.write_text(
        "id,created,result\n" + "".join(f"x{i},2026-01-0{i + 1},Engaging\n" for i in range(3))
    )
    params = tmp_path / "p.yaml"
    params.write_text(
        "quarter: 2026Q1\ntarget: {bookings: 1000}\n"
        "conversion_rates: {lead: 0.3, mql: 0.3, sal: 0.3, sql: 0.3, opportunity: 0.3}\n"
        "deal_size: {mean: 1000, spread: 100}\n"
        "actuals:\n  crm_export: leads.csv\n  format: csv\n"
        "  columns: {id: id, created: created, outcome: result}\n"
    )
    code, out, err = _run([path, "--params", params, "--rejects", rejects], capsys)
    assert code == 2
    assert "no row accepted: all 3 rows rejected" in err
    # One line for the label, with its count and the line to add; not one per row.
    lines = [x for x in out.splitlines() if "Engaging" in x]
    assert len(lines) == 1
    assert (
        "unknown outcome 'Engaging' on 3 rows: add  outcome_mapping: {\"Engaging\": open}"
        in lines[0]
    )


def test_exit_2_above_max_rejected_and_0_below(tmp_path, capsys):
    rejects = tmp_path / "x.rejects-contains-personal-data.csv"
    base = [FIX / "hubspot_small.csv", "--format", "hubspot", "--rejects", rejects, "--json"]
    code, out, _ = _run(base, capsys)  # 5 of 16 rejected: 31.25%
    assert code == 0 and json.loads(out)["ok"] is True
    code, out, err = _run([*base, "--max-rejected", "30%"], capsys)
    assert code == 2 and json.loads(out)["ok"] is False
    assert "31.2% of rows rejected (5 of 16), above --max-rejected 30%" in err
    code, _, _ = _run([*base, "--max-rejected", "0.32"], capsys)
    assert code == 0
    from alignlib.cli import main

    assert main(["ingest", str(FIX / "hubspot_small.csv"), "--max-rejected", "150%"]) == 2
    assert "--max-rejected" in capsys.readouterr().err


def test_json_outcomes_and_won_amount_match_a_hand_count(tmp_path, capsys):
    rejects = tmp_path / "x.rejects-contains-personal-data.csv"
    code, out, _ = _run(
        [
            FIX / "salesforce_report_opportunity_only.csv",
            "--format",
            "salesforce",
            "--json",
            "--rejects",
            rejects,
            "--max-rejected",
            "1",
        ],
        capsys,
    )
    data = json.loads(out)
    # By hand: C1 (12,000) and C5 (9,000) won; C2 lost; C4 open; C3 and C6 'Engaging' rejected.
    assert data["outcomes"] == {"won": 2, "lost": 1, "open": 1}
    assert data["won_amount"] == 21_000
    assert {"rows", "accepted", "rejected", "reached", "problems", "rejects_file"} <= set(data)
    assert (data["rows"], data["accepted"], data["rejected"]) == (6, 4, 2)
    assert code == 0 and data["rejected_share"] == pytest.approx(2 / 6)


def test_default_rejects_go_to_the_working_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ALIGNLIB_OUTPUTS", raising=False)
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run([FIX / "hubspot_small.csv", "--format", "hubspot"], capsys)
    assert code == 0
    written = tmp_path / "outputs" / "ingest" / "hubspot_small.rejects-contains-personal-data.csv"
    assert written.exists() and str(written.relative_to(tmp_path)) in out


# What a user does with the "# check" lines, per fixture: (draft text, replacement).
_CHECKED = {
    "hubspot_deals_small.csv": [
        ('"Appointment Scheduled": null', '"Appointment Scheduled": discovery'),
        ('"Presentation Scheduled": null', '"Presentation Scheduled": demo'),
    ],
    # the draft's note: add the opportunities export to join
    "salesforce_report_leads.csv": [
        ("  format: salesforce\n", "  format: salesforce\n  opportunities: {opps}\n")
    ],
}


@pytest.mark.parametrize(
    ("fixture", "stages", "accepted", "reached"),
    [
        (
            "salesforce_report_opportunity_only.csv",
            ("opportunity", "won"),
            6,
            {"opportunity": 6, "won": 2},
        ),
        (
            "hubspot_deals_small.csv",
            ("discovery", "demo", "won"),
            5,
            {"discovery": 5, "demo": 3, "won": 1},
        ),
        ("generic_small.csv", None, 7, None),
        (
            "salesforce_report_leads.csv",
            None,
            6,
            {"lead": 6, "mql": 5, "sal": 4, "sql": 3, "opportunity": 3, "won": 1},
        ),
        ("hubspot_small.csv", None, 13, None),  # 3 rows rejected: duplicates, no created date
    ],
)
def test_suggest_prints_yaml_that_loads_the_export(
    tmp_path, capsys, fixture, stages, accepted, reached
):
    import yaml

    from alignlib import crm
    from alignlib.params import load_params
    from tests.crm._shapes_helpers import params_for

    export = tmp_path / fixture
    export.write_bytes((FIX / fixture).read_bytes())
    argv = [export, "--suggest"]
    if stages is not None:
        draft_params = tmp_path / "stages.yaml"
        draft_params.write_text(yaml.safe_dump(params_for(stages, None)))
        argv += ["--params", draft_params]
    code, out, _ = _run(argv, capsys)
    assert code == 0
    for secret in ("@example.com", "qz "):  # fixtures' names end in "qz": none is printed
        assert secret not in out
    draft = yaml.safe_load(out)
    assert set(draft) == {"actuals"} and draft["actuals"]["crm_export"] == str(export)
    # Pasted into a params file (with its stages), the draft loads the export.
    names = stages or ("lead", "mql", "sal", "sql", "opportunity", "won")
    params_file = tmp_path / "2026Q1.yaml"
    opps = FIX / "salesforce_report_opportunities.csv"
    for before, after in _CHECKED.get(fixture, []):
        assert before in out
        out = out.replace(before, after.format(opps=json.dumps(str(opps))))
    params_file.write_text(yaml.safe_dump(params_for(names, None)) + out)
    p = load_params(params_file)
    r = crm.load_actuals(p)
    assert r.accepted == accepted, r.problems_frame
    if reached is not None:
        assert r.reached() == reached


def test_suggest_guesses_unknown_labels_and_marks_them(tmp_path, capsys):
    code, out, _ = _run([FIX / "salesforce_report_opportunity_only.csv", "--suggest"], capsys)
    assert code == 0
    assert "Salesforce opportunities export on its own (report export, field labels)" in out
    assert '"Engaging": open  # check' in out and '"Closed Won": won  # 2 rows' in out
    assert '"Create Date"' not in out and '"Created Date": month/day/year' in out
    code, out, _ = _run([FIX / "generic_small.csv", "--suggest"], capsys)
    assert "format: csv" in out and 'id: "contact_id"' in out and 'amount: "deal_value"' in out
    assert '"maybe": open  # check' in out


# ------------------------------------------ issue 20: the read is shown when learning fails

_LEARN_PARAMS = """\
quarter: 2026Q2
stages:
  - {{name: lead, label: Lead, owner: marketing}}
  - {{name: won, label: Won, owner: sales}}
target:
  bookings: 100000
deal_size: {{mean: 1000, spread: 100}}
actuals:
  crm_export: {export}
  format: csv
  columns: {{id: id, created: created{more}}}
"""


def _learn_case(tmp_path, won: bool) -> tuple[Path, Path]:
    export = tmp_path / "leads.csv"
    rows = ["id,created,result"]
    rows += [
        f"L{i},2025-{1 + i % 9:02d}-{1 + i % 27:02d},{'won' if won and i % 3 == 0 else 'lost'}"
        for i in range(60)
    ]
    rows.append("L1,2025-01-02,won")  # a repeated id: rejected
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    params = tmp_path / "p.yaml"
    more = ", outcome: result, close_date: created" if won else ""
    params.write_text(_LEARN_PARAMS.format(export=export, more=more), encoding="utf-8")
    return export, params


def test_ingest_params_shows_the_read_then_names_the_learning_problem(tmp_path, capsys):
    from alignlib.cli import main

    export, params = _learn_case(tmp_path, won=False)
    rejects = str(tmp_path / "r.rejects-contains-personal-data.csv")
    code = main(["ingest", str(export), "--params", str(params), "--rejects", rejects])
    captured = capsys.readouterr()
    assert code == 2
    assert "accepted 60" in captured.out and "rejected 1" in captured.out
    assert "Contacts reaching each stage" in captured.out
    assert "cannot learn:" in captured.out and "conversion_rates" in captured.out
    assert "cannot be learned from the actuals" in captured.err
    code = main(["ingest", str(export), "--params", str(params), "--json", "--rejects", rejects])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert code == 2 and out["accepted"] == 60 and out["reached"] == {"lead": 60, "won": 0}
    assert out["learning"]["ok"] is False and "conversion_rates" in out["learning"]["problem"]


def test_ingest_params_says_what_it_learned(tmp_path, capsys):
    from alignlib.cli import main

    export, params = _learn_case(tmp_path, won=True)
    rejects = str(tmp_path / "r.rejects-contains-personal-data.csv")
    code = main(["ingest", str(export), "--params", str(params), "--json", "--rejects", rejects])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out["learning"]
    assert out["learning"] == {
        "ok": True,
        "learned": ["conversion_rates", "lag_days", "channels"],
        "problem": None,
    }
    assert out["reached"]["won"] == out["outcomes"]["won"] == 20
