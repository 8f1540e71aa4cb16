"""alignlib.crm.sql and crm.replicated: the sample from DuckDB and from a real PostgreSQL
server gives the same table, problems, counts and metrics as the CSV exports."""

from __future__ import annotations

import dataclasses

import duckdb
import pytest

from alignlib import crm
from alignlib.errors import DataError
from alignlib.params import load_params
from alignlib.paths import PARAMS_DIR
from tests.warehouse._warehouse_helpers import assert_same_numbers, warehouse_params


@pytest.fixture(scope="module")
def csv_hubspot():
    return crm.load_actuals(load_params(PARAMS_DIR / "2026Q4.yaml"))


@pytest.fixture(scope="module")
def csv_salesforce():
    return crm.load_actuals(load_params(PARAMS_DIR / "2026Q4-enterprise.yaml"))


@pytest.fixture(params=["duckdb", "postgresql"])
def url(request, duckdb_file):
    if request.param == "duckdb":
        return f"duckdb:///{duckdb_file}"
    return request.getfixturevalue("postgres_url")


def test_a_table_with_the_export_columns_gives_the_csv_numbers(tmp_path, url, csv_hubspot):
    params = warehouse_params(tmp_path, {"url": url, "table": "exports.hubspot_contacts"})
    got = crm.load_actuals(params)
    assert_same_numbers(csv_hubspot, got)
    assert set(got.problems_frame["file"]) == {"exports.hubspot_contacts"}
    assert got.source.startswith("exports.hubspot_contacts in ")


def test_a_query_gives_the_csv_numbers(tmp_path, duckdb_file, csv_hubspot):
    sql = {"url": f"duckdb:///{duckdb_file}", "query": "SELECT * FROM exports.hubspot_contacts"}
    assert_same_numbers(csv_hubspot, crm.load_actuals(warehouse_params(tmp_path, sql)))


def test_the_replicated_hubspot_contact_gives_the_csv_numbers(tmp_path, url, csv_hubspot):
    params = warehouse_params(tmp_path, {"url": url, "schema": "hubspot"})
    assert_same_numbers(csv_hubspot, crm.load_actuals(params))


def test_replicated_salesforce_objects_give_the_csv_numbers(tmp_path, url, csv_salesforce):
    params = warehouse_params(
        tmp_path, {"url": url, "schema": "salesforce"}, base="2026Q4-enterprise.yaml"
    )
    assert_same_numbers(csv_salesforce, crm.load_actuals(params))


def test_salesforce_tables_with_the_export_columns(tmp_path, duckdb_file, csv_salesforce):
    sql = {
        "url": f"duckdb:///{duckdb_file}",
        "table": "exports.salesforce_leads",
        "tables": {"opportunity": "exports.salesforce_opportunities"},
    }
    params = warehouse_params(tmp_path, sql, base="2026Q4-enterprise.yaml")
    assert_same_numbers(csv_salesforce, crm.load_actuals(params))


def test_the_shipped_warehouse_params_file_reads_the_duckdb_file(
    tmp_path, duckdb_file, csv_hubspot
):
    shipped = load_params(PARAMS_DIR / "2026Q4-warehouse.yaml")
    assert shipped.actuals.sql.url == "duckdb:///../outputs/crm.duckdb"
    # The same file, with its relative URL resolved beside a copy of the DuckDB file.
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "crm.duckdb").write_bytes(duckdb_file.read_bytes())
    (tmp_path / "params").mkdir()
    text = (PARAMS_DIR / "2026Q4-warehouse.yaml").read_text()
    copy = tmp_path / "params" / "2026Q4-warehouse.yaml"
    copy.write_text(text.replace("extends: 2026Q4.yaml", f"extends: {PARAMS_DIR / '2026Q4.yaml'}"))
    got = crm.load_actuals(load_params(copy))
    assert_same_numbers(csv_hubspot, got)
    assert str(tmp_path / "outputs" / "crm.duckdb") in got.source


def test_soft_deleted_rows_are_left_out_and_counted(tmp_path, duckdb_file, csv_hubspot):
    db = tmp_path / "deleted.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"ATTACH '{duckdb_file}' AS src (READ_ONLY)")
    con.execute("CREATE SCHEMA hubspot")
    con.execute("CREATE TABLE hubspot.contact AS SELECT * FROM src.hubspot.contact")
    con.execute(
        "INSERT INTO hubspot.contact SELECT * REPLACE (id || '9' AS id, true AS _fivetran_deleted)"
        " FROM src.hubspot.contact LIMIT 3"
    )
    con.close()
    got = crm.load_actuals(
        warehouse_params(tmp_path, {"url": f"duckdb:///{db}", "schema": "hubspot"})
    )
    first = got.problems_frame.iloc[0]
    assert first["reason"] == "3 soft-deleted rows left out"
    assert first["file"] == "contact" and first["action"] == "left out"
    rest = dataclasses.replace(
        got, problems_frame=got.problems_frame.iloc[1:].reset_index(drop=True)
    )
    assert_same_numbers(csv_hubspot, rest)


def test_the_url_may_come_from_an_environment_variable(
    tmp_path, duckdb_file, monkeypatch, csv_hubspot
):
    monkeypatch.setenv("CRM_WAREHOUSE_URL", f"duckdb:///{duckdb_file}")
    params = warehouse_params(tmp_path, {"url": "${CRM_WAREHOUSE_URL}", "schema": "hubspot"})
    assert_same_numbers(csv_hubspot, crm.load_actuals(params))


def _error(params) -> str:
    with pytest.raises(DataError) as exc:
        crm.load_actuals(params)
    return str(exc.value)


def test_a_missing_variable_names_the_file_key_and_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("CRM_NOT_SET", raising=False)
    params = warehouse_params(tmp_path, {"url": "${CRM_NOT_SET}", "schema": "hubspot"})
    msg = _error(params)
    assert str(params.source_path) in msg
    assert "actuals.sql.url" in msg and "CRM_NOT_SET" in msg and "not set" in msg


@pytest.mark.parametrize(
    "url, words",
    [
        ("not a url at all", "not a database URL"),
        ("nosuchdb://u:hunter2secret@h/db", "unknown kind of database"),
        ("duckdb:///no/such/file.duckdb", "DuckDB file not found"),
    ],
)
def test_bad_urls_are_one_clear_error(tmp_path, url, words):
    params = warehouse_params(tmp_path, {"url": url, "schema": "hubspot"})
    msg = _error(params)
    assert str(params.source_path) in msg and "actuals.sql.url" in msg and words in msg
    assert "hunter2secret" not in msg


def test_missing_tables_and_columns_name_the_key(tmp_path, duckdb_file):
    url = f"duckdb:///{duckdb_file}"
    msg = _error(warehouse_params(tmp_path, {"url": url, "table": "exports.nope"}))
    assert "actuals.sql.table" in msg and "'nope' not found in schema 'exports'" in msg
    msg = _error(warehouse_params(tmp_path, {"url": url, "schema": "nowhere"}))
    assert "actuals.sql.tables.contact" in msg and "'contact' not found" in msg
    msg = _error(
        warehouse_params(tmp_path, {"url": url, "table": "salesforce.opportunity_history"})
    )
    assert "actuals.sql.table" in msg and "missing required column" in msg
    assert "Record ID" in msg
    msg = _error(
        warehouse_params(
            tmp_path, {"url": url, "query": "SELECT nope FROM exports.hubspot_contacts"}
        )
    )
    assert "actuals.sql.query" in msg and "could not be read" in msg


def test_a_wrong_password_never_shows_the_password(tmp_path, postgres):
    wrong = postgres.url.replace(postgres.password, "wrong-Secret-42")
    for url in (wrong, postgres.url.replace("/crm", "/nosuchdb")):
        msg = _error(warehouse_params(tmp_path, {"url": url, "schema": "hubspot"}))
        assert "actuals.sql.url" in msg and "could not connect" in msg
        assert "wrong-Secret-42" not in msg and postgres.password not in msg
        assert "***" in msg
    msg = _error(warehouse_params(tmp_path, {"url": postgres.url, "table": "exports.nope"}))
    assert postgres.password not in msg and "'nope' not found" in msg


def test_the_cli_loads_the_sample_into_duckdb(tmp_path, capsys):
    from alignlib.cli import main

    out = tmp_path / "crm.duckdb"
    sample = str(PARAMS_DIR.parent / "data" / "sample")
    assert main(["warehouse", "load", sample, "--into", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "hubspot.contact" in printed and "salesforce.opportunity_history" in printed
    con = duckdb.connect(str(out), read_only=True)
    assert con.execute("SELECT count(*) FROM hubspot.contact").fetchone()[0] == 52296
    con.close()


def test_the_cli_expands_a_variable_and_masks_a_password(tmp_path, monkeypatch, capsys):
    from alignlib.cli import main

    sample = str(PARAMS_DIR.parent / "data" / "sample")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRM_NOT_SET", raising=False)
    assert main(["warehouse", "load", sample, "--into", "${CRM_NOT_SET}"]) == 2
    assert "environment variable CRM_NOT_SET is not set" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("CRM_URL", "postgresql://u:hunter2secret@127.0.0.1:1/x")
    assert main(["warehouse", "load", sample, "--into", "${CRM_URL}"]) == 2
    err = capsys.readouterr().err
    assert "could not write" in err and "u:***@127.0.0.1" in err and "hunter2secret" not in err
