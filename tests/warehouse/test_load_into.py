"""``warehouse load --into`` and ``ingest --rejects`` never replace what they should not
(issue 21, cases 4 and 5)."""

from __future__ import annotations

import hashlib
import shutil

import duckdb
import pytest

from alignlib import paths
from alignlib.cli import main

SAMPLE = paths.PROJECT_ROOT / "data" / "sample"


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["text", "export", "empty"])
def test_a_path_that_is_not_a_duckdb_database_is_refused(tmp_path, capsys, kind):
    if kind == "text":
        target = tmp_path / "notes.duckdb"
        target.write_text("my notes, not a database\n")
    elif kind == "export":
        target = tmp_path / "hubspot_contacts.csv"
        shutil.copy(SAMPLE / "hubspot_contacts.csv", target)
    else:
        target = tmp_path / "empty.duckdb"
        target.write_bytes(b"")
    before = _digest(target)
    assert main(["warehouse", "load", str(SAMPLE), "--into", str(target)]) == 2
    err = capsys.readouterr().err
    assert str(target) in err and "is not a DuckDB database" in err and "--into" in err
    assert _digest(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temporary left


def test_an_existing_database_keeps_its_other_tables_and_is_told_what_was_replaced(
    tmp_path, capsys
):
    db = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE my_forecasts AS SELECT 42 AS q4")
    con.execute("CREATE SCHEMA exports")
    con.execute("CREATE TABLE exports.my_notes AS SELECT 'keep me' AS note")
    con.execute("CREATE TABLE exports.hubspot_contacts AS SELECT 1 AS old")
    con.close()
    assert main(["warehouse", "load", str(SAMPLE), "--into", str(db)]) == 0
    out = capsys.readouterr().out
    replaced = [ln for ln in out.splitlines() if "replaced: it held" in ln]
    assert len(replaced) == 1 and replaced[0].startswith("exports.hubspot_contacts")
    assert "it held 1 rows" in replaced[0] and "1 of them replaced" in out
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT q4 FROM my_forecasts").fetchone() == (42,)
    assert con.execute("SELECT note FROM exports.my_notes").fetchone() == ("keep me",)
    assert con.execute("SELECT count(*) FROM hubspot.contact").fetchone()[0] == 52296
    assert con.execute("SELECT count(*) FROM exports.hubspot_contacts").fetchone()[0] == 52296
    con.close()
    # Loading again replaces every table it owns, and says so.
    assert main(["warehouse", "load", str(SAMPLE), "--into", str(db)]) == 0
    out = capsys.readouterr().out
    n_tables = len([ln for ln in out.splitlines() if " rows" in ln and "." in ln.split()[0]])
    assert f"{n_tables} of them replaced" in out and n_tables >= 6


def test_a_postgresql_load_says_what_it_replaced_and_keeps_other_tables(postgres_url, capsys):
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS exports.my_notes AS SELECT 1 AS x"))
    assert main(["warehouse", "load", str(SAMPLE), "--into", postgres_url]) == 0
    out = capsys.readouterr().out
    assert "exports.hubspot_contacts" in out and "replaced: it held 52,296 rows" in out
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT x FROM exports.my_notes")).scalar() == 1
    engine.dispose()


@pytest.mark.parametrize("how", ["same", "dotdot", "symlink"])
def test_ingest_refuses_to_write_rejects_over_its_input(tmp_path, capsys, how):
    export = tmp_path / "contacts.csv"
    shutil.copy(SAMPLE / "hubspot_contacts.csv", export)
    before = _digest(export)
    rejects = {
        "same": export,
        "dotdot": tmp_path / "sub" / ".." / "contacts.csv",
        "symlink": tmp_path / "link.csv",
    }[how]
    (tmp_path / "sub").mkdir()
    if how == "symlink":
        rejects.symlink_to(export)
    assert main(["ingest", str(export), "--rejects", str(rejects)]) == 2
    err = capsys.readouterr().err
    assert "--rejects" in err and "the export this command reads" in err
    assert _digest(export) == before


def test_ingest_refuses_rejects_over_the_parameters_file(tmp_path, capsys):
    params = paths.PARAMS_DIR / "2026Q4.yaml"
    copy = tmp_path / "2026Q4.yaml"
    copy.write_text(f"extends: {params}\n")
    before = _digest(copy)
    code = main(
        [
            "ingest",
            str(SAMPLE / "hubspot_contacts.csv"),
            "--params",
            str(copy),
            "--rejects",
            str(copy),
        ]
    )
    assert code == 2 and "the parameters file" in capsys.readouterr().err
    assert _digest(copy) == before
