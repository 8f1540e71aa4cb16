"""The sample CRM in a warehouse: exports as tables, and the objects as ELT tools replicate them.

:func:`load_sample` writes a folder of sample exports into a DuckDB file (or any
database SQLAlchemy reaches, e.g. PostgreSQL) in three schemas:

- ``exports``: each export as a table of text columns with the export's own names
  (``hubspot_contacts``, ``salesforce_leads``, ``salesforce_opportunities``), for
  ``actuals.sql: {url, table}``;
- ``hubspot``: ``contact``, as Fivetran lands HubSpot contacts (``id``,
  ``property_*`` columns, internal lifecycle and source values, ``_fivetran_deleted``);
- ``salesforce``: ``lead``, ``opportunity`` and ``opportunity_history`` (snake_case
  columns, ``is_deleted``, ``_fivetran_deleted``).

Values keep the exports' text (the sample's broken rows stay broken, so every path
finds the same problems); the readers take typed columns as well.

A load writes only the tables it owns (the ones listed above), in one transaction, and
says which of them it replaced; every other table of the database is left as it was. A
path that exists and is not a DuckDB database (a text file, the export itself) is refused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from alignlib.docstrings import shared_doc
from alignlib.errors import DataError

#: Sample files -> (schema, table) of their export-shaped copy.
EXPORT_TABLES: dict[str, tuple[str, str]] = {
    "hubspot_contacts.csv": ("exports", "hubspot_contacts"),
    "salesforce_leads.csv": ("exports", "salesforce_leads"),
    "salesforce_opportunities.csv": ("exports", "salesforce_opportunities"),
}

#: When the sample was "replicated" (``_fivetran_synced``): fixed, so files are reproducible.
SYNCED = dt.datetime(2026, 11, 16, 6, 0)


@dataclass(frozen=True)
class LoadedTable:
    """One table written.

    Attributes
    ----------
    schema, table : str
        Where it is.
    rows : int
        Rows written.
    replaced_rows : int or None
        Rows of the table this load replaced; None when there was none.
    """

    schema: str
    table: str
    rows: int
    #: Rows the table held before this load replaced it (None: it did not exist).
    replaced_rows: int | None = None


def _synced(table: pd.DataFrame, *, salesforce: bool = False) -> pd.DataFrame:
    """``table`` with the columns replication adds: none of its rows deleted, synced at SYNCED.

    Parameters
    ----------
    table : pandas.DataFrame
        A replicated table; its columns are added in place.
    salesforce : bool
        A Salesforce object, which carries its own ``is_deleted`` before Fivetran's columns.

    Returns
    -------
    pandas.DataFrame
        ``table``, with ``is_deleted`` (Salesforce), ``_fivetran_deleted`` and
        ``_fivetran_synced``.
    """
    if salesforce:
        table["is_deleted"] = False
    table["_fivetran_deleted"] = False
    table["_fivetran_synced"] = pd.Timestamp(SYNCED)
    return table


def replicated_contact(export: pd.DataFrame) -> pd.DataFrame:
    """A HubSpot contacts export as Fivetran's ``contact`` table.

    Parameters
    ----------
    export : pandas.DataFrame
        The export's raw table (text columns, export names).

    Returns
    -------
    pandas.DataFrame
        ``id``, ``property_*`` columns (internal lifecycle and source values),
        ``_fivetran_deleted`` and ``_fivetran_synced``.
    """
    from alignlib.crm.replicated import (
        HUBSPOT_LIFECYCLE_VALUES,
        HUBSPOT_SOURCE_VALUES,
        hubspot_column,
    )

    out = export.copy()
    internal = {v: k for k, v in HUBSPOT_LIFECYCLE_VALUES.items()}
    sources = {v: k for k, v in HUBSPOT_SOURCE_VALUES.items()}
    if "Lifecycle Stage" in out:
        out["Lifecycle Stage"] = out["Lifecycle Stage"].map(lambda v: internal.get(v, v))
    if "Original Source" in out:
        out["Original Source"] = out["Original Source"].map(lambda v: sources.get(v, v))
    out = out.rename(columns={c: hubspot_column(c) for c in out.columns}).astype("str")
    return _synced(out)


def replicated_salesforce(export: pd.DataFrame) -> pd.DataFrame:
    """A Salesforce export (API-name headers) as its replicated object: snake_case columns.

    Parameters
    ----------
    export : pandas.DataFrame
        The export's raw table.

    Returns
    -------
    pandas.DataFrame
        With ``is_deleted``, ``_fivetran_deleted`` and ``_fivetran_synced``.
    """
    from alignlib.crm.replicated import snake

    out = export.rename(columns={c: snake(c) for c in export.columns}).astype("str")
    return _synced(out, salesforce=True)


def opportunity_history(opportunities: pd.DataFrame) -> pd.DataFrame:
    """An ``opportunity_history`` for opportunities that record no history of their own.

    Each opportunity was ``Prospecting`` from its creation; a closed one moved to its
    final stage on its close date.

    Parameters
    ----------
    opportunities : pandas.DataFrame
        The opportunities export's raw table (API-name headers).

    Returns
    -------
    pandas.DataFrame
        ``id``, ``opportunity_id``, ``created_date``, ``stage_name``, ``is_deleted``,
        ``_fivetran_deleted``, ``_fivetran_synced``.
    """
    o = opportunities
    opened = pd.DataFrame(
        {"opportunity_id": o["Id"], "created_date": o["CreatedDate"], "stage_name": "Prospecting"}
    )
    closed_rows = o["IsClosed"].str.lower().eq("true") if "IsClosed" in o else o["Id"].eq("")
    closed = pd.DataFrame(
        {
            "opportunity_id": o["Id"][closed_rows],
            "created_date": o["CloseDate"][closed_rows],
            "stage_name": o["StageName"][closed_rows],
        }
    )
    out = pd.concat([opened, closed], ignore_index=True).astype("str")
    out.insert(0, "id", [f"008{i:015d}" for i in range(len(out))])
    return _synced(out, salesforce=True)


def sample_tables(folder: str | Path) -> dict[tuple[str, str], pd.DataFrame]:
    """Every table :func:`load_sample` writes, from a folder of sample exports.

    Parameters
    ----------
    folder : str or Path
        E.g. ``data/sample`` (files missing from it are skipped).

    Returns
    -------
    dict
        ``(schema, table)`` -> rows.

    Raises
    ------
    DataError
        The folder holds none of the sample's exports.
    """
    from alignlib.crm.read import read_raw

    folder = Path(folder)
    raws = {name: read_raw(folder / name) for name in EXPORT_TABLES if (folder / name).is_file()}
    if not raws:
        raise DataError(folder, f"none of {', '.join(EXPORT_TABLES)} found")
    tables: dict[tuple[str, str], pd.DataFrame] = {}
    for name, raw in raws.items():
        tables[EXPORT_TABLES[name]] = raw.astype("str")
    if "hubspot_contacts.csv" in raws:
        tables["hubspot", "contact"] = replicated_contact(raws["hubspot_contacts.csv"])
    if "salesforce_leads.csv" in raws:
        tables["salesforce", "lead"] = replicated_salesforce(raws["salesforce_leads.csv"])
    if "salesforce_opportunities.csv" in raws:
        opps = raws["salesforce_opportunities.csv"]
        tables["salesforce", "opportunity"] = replicated_salesforce(opps)
        tables["salesforce", "opportunity_history"] = opportunity_history(opps)
    return tables


#: Where DuckDB's file header holds its magic bytes.
_DUCKDB_MAGIC = (8, b"DUCK")


def is_duckdb_file(path: str | Path) -> bool:
    """Whether ``path`` is a DuckDB database file (by its header, not its name).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    bool
        False for anything else: a text file, a CSV export, an empty file, a FIFO.
    """
    import stat

    try:
        st = Path(path).stat()
        if not stat.S_ISREG(st.st_mode):
            return False
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    offset, magic = _DUCKDB_MAGIC
    return head[offset : offset + len(magic)] == magic


#: Each writer replaces the tables it is given and says what they held before.
_WRITER = shared_doc(
    returns={"dict": "``(schema, table)`` -> rows it held, for each table that was replaced."}
)


@_WRITER
def write_duckdb(
    tables: Mapping[tuple[str, str], pd.DataFrame], path: str | Path
) -> dict[tuple[str, str], int]:
    """Write tables into a DuckDB file: a new one atomically, an existing one in one transaction.

    A new file is written beside its name and moved into place when complete. In an
    existing DuckDB file only ``tables`` are replaced; every other table stays.

    Parameters
    ----------
    tables : mapping
        ``(schema, table)`` -> rows (text columns become VARCHAR, flags BOOLEAN).
    path : str or Path
        The DuckDB file.

    Raises
    ------
    DataError
        ``path`` exists and is not a DuckDB database, or cannot be written.
    """
    import duckdb

    from alignlib.files import atomic_path

    path = Path(path)
    if os.path.lexists(path):
        if path.is_dir():
            raise DataError(path, "--into: is a folder; give a DuckDB file name")
        if not is_duckdb_file(path):
            raise DataError(
                path,
                "--into: exists and is not a DuckDB database; it is left as it is "
                "(give a new file name, or an existing DuckDB file)",
            )
        try:
            con = duckdb.connect(str(path))
        except Exception as exc:
            raise DataError(path, f"--into: could not open: {str(exc).splitlines()[0]}") from None
        try:
            con.execute("BEGIN TRANSACTION")
            replaced = _fill_duckdb(con, tables)
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        except Exception as exc:
            with contextlib.suppress(Exception):  # nothing of this load is kept
                con.execute("ROLLBACK")
            raise DataError(path, f"--into: could not write: {str(exc).splitlines()[0]}") from None
        finally:
            con.close()
        return replaced
    with atomic_path(path) as tmp:
        tmp.unlink()  # DuckDB creates its own file
        con = duckdb.connect(str(tmp))
        try:
            _fill_duckdb(con, tables)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return {}


def _fill_duckdb(
    con: Any, tables: Mapping[tuple[str, str], pd.DataFrame]
) -> dict[tuple[str, str], int]:
    """Create or replace each table; the rows each replaced table held."""
    replaced: dict[tuple[str, str], int] = {}
    for (schema, name), frame in tables.items():
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        ).fetchall()[0][0]
        if exists:
            replaced[schema, name] = int(
                con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchall()[0][0]
            )
            con.execute(f'DROP TABLE "{schema}"."{name}"')
        con.register("frame", frame)
        con.execute(f'CREATE TABLE "{schema}"."{name}" AS SELECT * FROM frame')
        con.unregister("frame")
    return replaced


@_WRITER
def write_sqlalchemy(
    tables: Mapping[tuple[str, str], pd.DataFrame], url: str
) -> dict[tuple[str, str], int]:
    """Write tables into a database SQLAlchemy reaches (replacing tables of the same names).

    PostgreSQL through psycopg is filled with ``COPY``; other databases with inserts.

    Parameters
    ----------
    tables : mapping
        ``(schema, table)`` -> rows.
    url : str
        Database URL (``${VAR}`` expanded).

    Raises
    ------
    DataError
        The database cannot be reached or written (the URL's password masked).
    """
    import sqlalchemy as sa

    from alignlib.crm.sql import _clean, expand_env, masked, with_default_driver
    from alignlib.redact import has_raw_at

    text = expand_env(url, params_path="--into", key="")
    if has_raw_at(text):
        raise DataError(
            "--into",
            f"{masked(text)}: the user name or password holds a raw '@': write it as %40",
        )
    url_obj = with_default_driver(sa.engine.make_url(text))
    engine = sa.create_engine(url_obj, poolclass=sa.pool.NullPool, hide_parameters=True)
    replaced: dict[tuple[str, str], int] = {}
    try:
        with engine.begin() as conn:
            for (schema, name), frame in tables.items():
                before = _write_one(conn, schema, name, frame)
                if before is not None:
                    replaced[schema, name] = before
    except DataError:
        raise
    except Exception as exc:
        orig = getattr(exc, "orig", None) or exc
        raise DataError(
            "--into", f"{masked(url_obj)}: could not write: {_clean(str(orig), url_obj)}"
        ) from None
    finally:
        engine.dispose()
    return replaced


def _write_one(conn: Any, schema: str, name: str, frame: pd.DataFrame) -> int | None:
    """Create or replace one table; the rows it held when it was replaced, else None."""
    import sqlalchemy as sa

    def sql_type(s: pd.Series) -> Any:
        if pd.api.types.is_bool_dtype(s):
            return sa.Boolean()
        if pd.api.types.is_datetime64_any_dtype(s):
            return sa.DateTime()
        return sa.Text()

    conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
    meta = sa.MetaData(schema=schema)
    table = sa.Table(name, meta, *[sa.Column(c, sql_type(frame[c])) for c in frame.columns])
    before = None
    if sa.inspect(conn).has_table(name, schema=schema):
        before = int(conn.execute(sa.text(f'SELECT count(*) FROM "{schema}"."{name}"')).scalar())
    table.drop(conn, checkfirst=True)
    table.create(conn)
    rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        cursor = conn.connection.driver_connection.cursor()
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        with cursor.copy(f'COPY "{schema}"."{name}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    else:
        records = [dict(zip(frame.columns, r, strict=True)) for r in rows]
        if records:
            conn.execute(table.insert(), records)
    return before


def load_sample(folder: str | Path, into: str | Path) -> list[LoadedTable]:
    """Write the sample exports of ``folder`` into a warehouse, exports and replicated objects.

    Parameters
    ----------
    folder : str or Path
        The sample exports (``data/sample``).
    into : str or Path
        A DuckDB file (a path, or ``duckdb:///path``), or any database URL
        (``postgresql+psycopg://...``; ``${VAR}`` expanded).

    Returns
    -------
    list of LoadedTable
        What was written, table by table, with the rows of each table it replaced.

    Raises
    ------
    DataError
        ``into`` exists and is not a DuckDB database (it is left as it is), or the
        database cannot be reached or written.
    """
    from alignlib.crm.sql import expand_env

    target = expand_env(str(into), params_path="--into", key="")
    tables = sample_tables(folder)
    if target.startswith("duckdb:///"):
        target = target.removeprefix("duckdb:///")
    if "://" in target:
        replaced = write_sqlalchemy(tables, target)
    else:
        replaced = write_duckdb(tables, target)
    return [LoadedTable(s, t, len(f), replaced.get((s, t))) for (s, t), f in tables.items()]
