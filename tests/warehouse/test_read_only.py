"""A source ``query:`` can never write (issue 21, case 3): one SELECT, read-only transaction.

Run against the suite's real PostgreSQL server and a DuckDB file: each hostile query
fails with a clear error naming the key, and the table it aimed at is still there.
"""

from __future__ import annotations

import duckdb
import pytest
import sqlalchemy as sa

from alignlib import crm
from alignlib.errors import DataError
from tests.warehouse._warehouse_helpers import warehouse_params

TABLE = "exports.salesforce_opportunities"

HOSTILE = {
    "stacked": f"SELECT * FROM {TABLE}; DROP TABLE {TABLE}; COMMIT; SELECT * FROM {TABLE}",
    "stacked_set": (
        "SELECT 1 AS x; COMMIT; SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; "
        f"DROP TABLE {TABLE}"
    ),
    "cte_delete": f"WITH d AS (DELETE FROM {TABLE} RETURNING *) SELECT * FROM d",
    "select_into": f"SELECT * INTO exports.stolen FROM {TABLE}",
    "read_write": "SET TRANSACTION READ WRITE",
    "drop": f"DROP TABLE {TABLE}",
}


def _rows(url: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {TABLE}")).scalar() or 0)
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_postgresql_query_cannot_write(tmp_path, postgres_url, name):
    before = _rows(postgres_url)
    params = warehouse_params(
        tmp_path,
        {"url": postgres_url, "query": HOSTILE[name]},
        base="2026Q4-enterprise.yaml",
        format="salesforce",
    )
    with pytest.raises(DataError) as err:
        crm.load_actuals(params)
    msg = str(err.value)
    assert "actuals.sql.query" in msg
    assert _rows(postgres_url) == before > 0
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table("stolen", schema="exports")
    engine.dispose()


def test_stacked_statements_are_named_as_the_problem(tmp_path, postgres_url, duckdb_file):
    for url in (postgres_url, f"duckdb:///{duckdb_file}"):
        params = warehouse_params(
            tmp_path,
            {"url": url, "query": HOSTILE["stacked"]},
            base="2026Q4-enterprise.yaml",
            format="salesforce",
        )
        with pytest.raises(DataError, match="must be one SELECT statement"):
            crm.load_actuals(params)


@pytest.mark.parametrize("query", [HOSTILE["drop"], f"COPY {TABLE} TO '/tmp/alignlib-x.csv'"])
def test_a_duckdb_query_must_be_one_select(tmp_path, duckdb_file, query):
    params = warehouse_params(
        tmp_path,
        {"url": f"duckdb:///{duckdb_file}", "query": query},
        base="2026Q4-enterprise.yaml",
        format="salesforce",
    )
    with pytest.raises(DataError, match="must be one SELECT statement, not a"):
        crm.load_actuals(params)
    con = duckdb.connect(str(duckdb_file), read_only=True)
    assert con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0] > 0
    con.close()


def test_a_plain_select_still_reads(tmp_path, postgres_url):
    params = warehouse_params(
        tmp_path,
        {"url": postgres_url, "query": "SELECT * FROM exports.hubspot_contacts;"},
    )
    assert crm.load_actuals(params).accepted > 0
