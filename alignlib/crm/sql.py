"""Actuals from a warehouse (``actuals.sql``): rows read through SQLAlchemy, checked like an export.

The rows become a raw table of text columns, as :func:`alignlib.crm.read.read_raw`
gives for a file, and go through the same loader: same problems, rejects and metrics.
``{url, table}`` or ``{url, query}`` holds the export's own columns; neither reads the
objects as ELT tools replicate them (:mod:`alignlib.crm.replicated`).

The URL may name environment variables (``${CRM_WAREHOUSE_URL}``, expanded at connect
time); a relative DuckDB path is read from the parameters file's folder. No message
ever shows a credential: every one names the URL through
:func:`alignlib.redact.masked_url` (password, token and password query parameters
masked), and driver errors are caught and re-raised as
:class:`~alignlib.errors.DataError` with the masked URL and the driver's reason scrubbed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alignlib.crm.table import IngestResult
from alignlib.docstrings import shared_doc
from alignlib.errors import DataError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from alignlib.params import QuarterParams, SQLSource

#: Where the source is in a parameters file.
KEY = "actuals.sql"

#: Columns that mark a soft-deleted row (Salesforce's own flag, and Fivetran's).
SOFT_DELETE_COLUMNS = ("is_deleted", "_fivetran_deleted")

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(value: str, *, params_path: str | Path, key: str = f"{KEY}.url") -> str:
    """``value`` with each ``${VAR}`` replaced by the environment variable's value.

    Parameters
    ----------
    value : str
        E.g. ``${CRM_WAREHOUSE_URL}`` or ``postgresql+psycopg://me:${PGPASSWORD}@db/crm``.
    params_path : str or Path
        The parameters file (for the message).
    key : str
        The key the value is under (for the message; "" when ``params_path`` says it).

    Returns
    -------
    str

    Raises
    ------
    DataError
        A named variable is not set (the message names the file, the key and the variable).
    """

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        got = os.environ.get(name)
        if got is None or not got.strip():
            where = f"{key}: " if key else ""
            raise DataError(params_path, f"{where}environment variable {name} is not set")
        return got

    return _VAR.sub(one, value)


def masked(url: str | sa.URL) -> str:
    """The URL as it may be shown: :func:`alignlib.redact.masked_url`.

    Parameters
    ----------
    url : str or sqlalchemy.URL
        A database URL.

    Returns
    -------
    str
        The user name, host, port, database and harmless query parameters; every
        password, token or other credential replaced by ``***``.
    """
    from alignlib.redact import masked_url

    return masked_url(url)


def with_default_driver(url: sa.URL) -> sa.URL:
    """``url`` with psycopg 3, the driver alignlib installs, when it is ``postgresql://``.

    Parameters
    ----------
    url : sqlalchemy.URL
        A parsed database URL.

    Returns
    -------
    sqlalchemy.URL
        ``postgresql+psycopg://...`` for ``postgresql://...``; any other URL as it is.
    """
    if url.drivername == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    return url


def resolve_url(sql: SQLSource, params_path: str | Path) -> sa.URL:
    """The URL to connect to: variables expanded, a relative DuckDB file made absolute.

    ``postgresql://`` (no driver named) uses psycopg 3, the driver alignlib installs.
    A DuckDB file must exist (connecting would create an empty one).

    Parameters
    ----------
    sql : SQLSource
        ``params.actuals.sql``.
    params_path : str or Path
        The parameters file: relative DuckDB paths are read from its folder.

    Returns
    -------
    sqlalchemy.URL

    Raises
    ------
    DataError
        A variable is not set, the URL does not parse, or the DuckDB file is missing.
    """
    from sqlalchemy.engine import make_url

    from alignlib.redact import has_raw_at

    params_path = Path(params_path)
    text_url = expand_env(sql.url, params_path=params_path)
    if has_raw_at(text_url):
        raise DataError(
            params_path,
            f"{KEY}.url: the user name or password holds a raw '@' ({masked(text_url)}): "
            "write it as %40",
        )
    try:
        url = make_url(text_url)
    except Exception:
        raise DataError(
            params_path,
            f"{KEY}.url: not a database URL (expected e.g. "
            "postgresql+psycopg://user@host:5432/crm or duckdb:///crm.duckdb)",
        ) from None
    url = with_default_driver(url)
    if url.get_backend_name() == "duckdb" and url.database not in (None, "", ":memory:"):
        db = Path(url.database)
        if not db.is_absolute():
            db = (params_path.parent / db).resolve()
        if not db.exists():
            raise DataError(
                params_path,
                f"{KEY}.url: DuckDB file not found: {db} (`make warehouse` writes the sample's)",
            )
        url = url.set(database=str(db))
    return url


def _clean(message: str, url: sa.URL | str) -> str:
    """A driver message's first line, without any of the URL's secrets or its unmasked form."""
    from alignlib.redact import scrub

    line = next((ln.strip() for ln in scrub(str(message), url).splitlines() if ln.strip()), "")
    return line[:300]


#: The warehouse's reads: each names the parameters key its statement comes from.
_FROM_KEY = shared_doc(parameters={"key : str": "The key it comes from (for the message)."})


class Warehouse:
    """An open connection to ``actuals.sql``, whose errors name the file, the key and the URL.

    Parameters
    ----------
    url : sqlalchemy.URL
        From :func:`resolve_url`.
    params_path : str or Path
        The parameters file (for messages).
    schema : str, optional
        ``actuals.sql.schema``: where unqualified tables are.
    """

    def __init__(self, url: sa.URL, params_path: str | Path, schema: str | None = None):
        self.url = url
        self.masked = masked(url)
        #: How pages name the database: its kind, never its URL.
        self.kind = {"duckdb": "DuckDB", "postgresql": "PostgreSQL"}.get(
            url.get_backend_name(), url.get_backend_name()
        )
        self.params_path = Path(params_path)
        self.schema = schema
        self._conn: Any = None

    def fail(self, key: str, what: str, exc: BaseException | None = None) -> DataError:
        """The error to raise: file, key, URL (masked), what was wrong and the driver's reason.

        Parameters
        ----------
        key : str
            E.g. ``actuals.sql.table``.
        what : str
            What was wrong.
        exc : Exception, optional
            The driver's error (its first line is added, password removed).

        Returns
        -------
        DataError
        """
        reason = ""
        if exc is not None:
            orig = getattr(exc, "orig", None) or exc
            reason = f": {_clean(str(orig), self.url)}"
        return DataError(self.params_path, f"{key}: {what} ({self.masked}){reason}")

    @contextmanager
    def connected(self) -> Iterator[Warehouse]:
        """Connect for the duration of the block (one connection, closed after).

        Yields
        ------
        Warehouse
            This warehouse, connected.
        """
        import sqlalchemy as sa

        kind = self.url.get_backend_name()
        connect_args: dict[str, Any] = {}
        if kind == "duckdb":
            # Parallel report workers read the same file: read-only opens never block.
            connect_args["read_only"] = True
        elif kind == "postgresql":
            connect_args["connect_timeout"] = 10
            # Every transaction of the session read-only, from the first statement on
            # (kept beside any ``options`` the URL gives).
            given = str(self.url.query.get("options", "") or "")
            connect_args["options"] = f"{given} -c default_transaction_read_only=on".strip()
        try:
            # hide_parameters: a failed statement's parameters (contact data) never
            # reach a message.
            engine = sa.create_engine(
                self.url,
                poolclass=sa.pool.NullPool,
                hide_parameters=True,
                connect_args=connect_args,
            )
        except ModuleNotFoundError as exc:
            raise self.fail(
                f"{KEY}.url",
                f"the driver for {self.url.drivername} is not installed ({exc.name})",
            ) from None
        except Exception as exc:
            raise self.fail(f"{KEY}.url", "unknown kind of database", exc) from None
        try:
            self._conn = engine.connect()
            if kind == "postgresql":
                # One read-only transaction for the whole read, never committed. It has
                # run a query before any of the user's, so no statement of theirs can
                # make it read-write (SET TRANSACTION must come before any query).
                self._conn.execute(sa.text("SET TRANSACTION READ ONLY"))
                self._conn.execute(sa.text("SELECT 1"))
        except Exception as exc:
            engine.dispose()
            raise self.fail(f"{KEY}.url", "could not connect", exc) from None
        try:
            yield self
        finally:
            self._conn.rollback()
            self._conn.close()
            self._conn = None
            engine.dispose()

    def table(self, name: str, key: str) -> sa.TableClause:
        """A table of the warehouse (``schema.table`` or the ``schema`` key's), checked to exist.

        Parameters
        ----------
        name : str
            Table name, optionally ``schema.table``.
        key : str
            The key that names it (for the message).

        Returns
        -------
        sqlalchemy.TableClause
            With its columns.

        Raises
        ------
        DataError
            The table does not exist or cannot be read.
        """
        import sqlalchemy as sa

        schema, _, bare = name.rpartition(".")
        schema = schema or self.schema or ""
        try:
            exists = sa.inspect(self._conn).has_table(bare, schema=schema or None)
        except Exception as exc:
            raise self.fail(key, f"could not look up table {name!r}", exc) from None
        where = f" in schema {schema!r}" if schema else ""
        if not exists:
            raise self.fail(key, f"table {bare!r} not found{where}")
        probe = sa.table(bare, schema=schema or None)
        columns = self.columns(sa.select(sa.text("*")).select_from(probe), key)
        return sa.table(bare, *[sa.column(c) for c in columns], schema=schema or None)

    @_FROM_KEY
    def columns(self, select: sa.Select[Any] | sa.TextClause, key: str) -> list[str]:
        """The column names a statement returns (no rows fetched).

        Parameters
        ----------
        select : sqlalchemy.Select or TextClause
            The statement.

        Returns
        -------
        list of str
        """
        import sqlalchemy as sa

        try:
            if isinstance(select, sa.TextClause):
                stmt: Any = sa.select(sa.text("*")).select_from(select.columns().subquery("q"))
            else:
                stmt = select
            return list(self._conn.execute(stmt.limit(0)).keys())
        except Exception as exc:
            raise self.fail(key, "could not be read", exc) from None

    @_FROM_KEY
    def execute(self, stmt: Any, key: str) -> Any:
        """Run a statement; a driver error becomes a :class:`DataError` naming ``key``.

        Parameters
        ----------
        stmt : sqlalchemy statement
            What to run.

        Returns
        -------
        sqlalchemy.CursorResult
        """
        try:
            return self._conn.execute(stmt)
        except Exception as exc:
            raise self.fail(key, "could not be read", exc) from None

    @_FROM_KEY
    def read(self, stmt: Any, key: str) -> pd.DataFrame:
        """The rows of a statement as a raw table: every column as text, NULL as "".

        Parameters
        ----------
        stmt : sqlalchemy statement
            What to read.

        Returns
        -------
        pandas.DataFrame
            Shaped like :func:`~alignlib.crm.read.read_raw`'s output; ``attrs["mtime"]``
            is the time of the read (the "file date" of an export).
        """
        import sqlalchemy as sa

        if isinstance(stmt, sa.TextClause):
            return self._read_query(stmt.text, key)
        return self._frame(self.execute(stmt, key), key)

    def _frame(self, result: Any, key: str) -> pd.DataFrame:
        """A SQLAlchemy result as a raw table (see :meth:`read`)."""
        names = list(result.keys())
        try:
            if self.url.get_backend_name() == "duckdb":
                # DuckDB hands over whole columns (no Python object per value).
                cursor = result.cursor
                fetch = getattr(cursor, "to_arrow_table", None) or cursor.fetch_arrow_table
                with warnings.catch_warnings():
                    # "an extra copy": a copy of columns, still far cheaper than rows
                    warnings.simplefilter("ignore", UserWarning)
                    arrow = fetch()
                columns = {n: arrow_as_text(arrow.column(i)) for i, n in enumerate(names)}
                n_rows = arrow.num_rows
            else:
                rows = result.fetchall()
                by_column = list(zip(*rows, strict=True)) if rows else [() for _ in names]
                columns = {n: as_text(v) for n, v in zip(names, by_column, strict=True)}
                n_rows = len(rows)
        except Exception as exc:
            raise self.fail(key, "could not be read", exc) from None
        frame = pd.DataFrame(columns, index=pd.RangeIndex(n_rows))
        frame.attrs["mtime"] = time.time()
        return frame

    def _read_query(self, query: str, key: str) -> pd.DataFrame:
        """The rows of the user's ``query:``: one SELECT statement, in the read-only transaction.

        PostgreSQL runs it as a prepared statement (the extended protocol takes exactly
        one statement: ``SELECT ...; DROP TABLE ...; COMMIT`` is refused by the server);
        DuckDB's parser counts the statements and names their kind first.
        """
        import sqlalchemy as sa

        kind = self.url.get_backend_name()
        if kind == "duckdb":
            import duckdb

            try:
                statements = duckdb.extract_statements(query)
            except Exception as exc:
                raise self.fail(key, "could not be read", exc) from None
            if len(statements) != 1:
                raise self.fail(
                    key, f"must be one SELECT statement, not {len(statements)} statements"
                )
            found = statements[0].type.name
            if found != "SELECT":
                raise self.fail(key, f"must be one SELECT statement, not a {found} statement")
        if kind != "postgresql":
            return self._frame(self.execute(sa.text(query), key), key)
        driver = self._conn.connection.driver_connection
        try:
            with driver.cursor() as cur:
                cur.execute(query, prepare=True)
                if cur.description is None:
                    raise self.fail(key, "must be one SELECT statement (it returned no rows)")
                names = [d.name for d in cur.description]
                rows = cur.fetchall()
        except DataError:
            raise
        except Exception as exc:
            what = "could not be read"
            if "multiple commands" in str(exc):
                what = "must be one SELECT statement, not several"
            elif "read-only transaction" in str(exc):
                what = "tried to write (sources are read in a read-only transaction)"
            raise self.fail(key, what, exc) from None
        by_column = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        columns = {n: as_text(v) for n, v in zip(names, by_column, strict=True)}
        frame = pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))
        frame.attrs["mtime"] = time.time()
        return frame

    @_FROM_KEY
    def count(self, stmt: Any, key: str) -> int:
        """A scalar count.

        Parameters
        ----------
        stmt : sqlalchemy statement
            ``SELECT count(*) ...``.

        Returns
        -------
        int
        """
        return int(self.execute(stmt, key).scalar() or 0)


def as_text(values: Sequence[Any]) -> pd.Series:
    """Database values as an export writes them: text, ISO dates, ``true``/``false``, "" for NULL.

    Parameters
    ----------
    values : sequence
        One column's values as the driver returns them.

    Returns
    -------
    pandas.Series
        ``str`` dtype (pyarrow-backed, as :func:`~alignlib.crm.read.read_raw` gives).
    """
    import pyarrow as pa

    try:
        arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pd.Series([_one_text(v) for v in values], dtype="str")
    return arrow_as_text(arr)


def arrow_as_text(arr: Any) -> pd.Series:
    """A pyarrow column as an export writes it (see :func:`as_text`).

    Parameters
    ----------
    arr : pyarrow.Array or pyarrow.ChunkedArray
        One column.

    Returns
    -------
    pandas.Series
        ``str`` dtype.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    t = arr.type
    if pa.types.is_timestamp(t):
        # whole seconds (an export's precision); a timestamptz as its UTC wall time
        arr = arr.cast(pa.timestamp("s"), safe=False)
        arr = pc.strftime(arr, format="%Y-%m-%d %H:%M:%S")
    elif pa.types.is_boolean(t):
        arr = pc.if_else(arr, "true", "false")
    elif pa.types.is_null(t):
        arr = pa.array([""] * len(arr), type=pa.large_string())
    elif not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        arr = arr.cast(pa.string())
    arr = pc.fill_null(arr.cast(pa.large_string()), "")
    return pd.Series(pd.arrays.ArrowStringArray(arr), dtype="str")


def _one_text(v: Any) -> str:
    """One value as text (columns whose values pyarrow cannot put in one type)."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.UTC).replace(tzinfo=None)
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def soft_deleted(
    wh: Warehouse, table: sa.TableClause, key: str
) -> tuple[Any, list[tuple[str, int]]]:
    """The condition that leaves soft-deleted rows out, and how many each flag leaves out.

    Parameters
    ----------
    wh : Warehouse
        Connected.
    table : sqlalchemy.TableClause
        From :meth:`Warehouse.table`.
    key : str
        The key that names the table.

    Returns
    -------
    condition : sqlalchemy expression or None
        True for rows to keep (None: the table has no flag column).
    counts : list of (str, int)
        ``(table, rows left out)`` when any were.
    """
    import sqlalchemy as sa

    flags = [table.c[c] for c in SOFT_DELETE_COLUMNS if c in table.c]
    if not flags:
        return None, []
    deleted = sa.or_(*[sa.func.coalesce(f, sa.false()) for f in flags])
    n = wh.count(sa.select(sa.func.count()).select_from(table).where(deleted), key)
    return sa.not_(deleted), ([(table.name, n)] if n else [])


def with_soft_deletes(result: IngestResult, counts: Sequence[tuple[str, int]]) -> IngestResult:
    """The result with one problem line per table that had soft-deleted rows left out.

    Parameters
    ----------
    result : IngestResult
        What the loader read.
    counts : sequence of (str, int)
        From :func:`soft_deleted`.

    Returns
    -------
    IngestResult
    """
    if not counts:
        return result
    lines = pd.DataFrame(
        [
            {
                "file": name,
                "row": 0,
                "field": "is_deleted",
                "reason": f"{n:,} soft-deleted row{'s' if n != 1 else ''} left out",
                "value": "",
                "action": "left out",
            }
            for name, n in counts
        ]
    )
    frames = [f for f in (lines, result.problems_frame) if len(f)]
    problems = pd.concat(frames, ignore_index=True)[list(result.problems_frame.columns)]
    return dataclasses.replace(result, problems_frame=problems)


def _relabel(exc: DataError, display: str, wh: Warehouse, key: str) -> DataError:
    """A loader's error about the rows read, re-said for the parameters file and key."""
    message = str(exc)
    prefix = f"{exc.path}: "
    if str(exc.path) != display:
        return exc
    return wh.fail(key, f"{display}: {message.removeprefix(prefix)}")


def load_sql(params: QuarterParams) -> IngestResult:
    """Load ``actuals.sql``: a table or query with an export's columns, or replicated objects.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters whose ``actuals.sql`` is set.

    Returns
    -------
    IngestResult
        As the format's loader returns for the export; ``source`` names the table (or
        ``query``) and the masked URL; soft-deleted rows left out are one problem line
        per table.

    Raises
    ------
    DataError
        A variable not set, a bad URL, no connection, a missing table or column: one
        message naming the parameters file, the key and what was wrong.
    """
    from alignlib.crm import replicated
    from alignlib.crm.deals import join_deals

    a = params.actuals
    assert a is not None and a.sql is not None
    sql = a.sql
    # Without a file (parameters built in code), relative paths are the current folder's.
    where = Path(params.source_path) if params.source_path else Path("parameters")
    wh = Warehouse(resolve_url(sql, where), where, sql.schema_name)
    with wh.connected():
        if sql.table is None and sql.query is None:
            result = replicated.load_replicated(params, wh)
        else:
            result = _load_rows(params, wh)
    if a.deals is not None:
        from alignlib.crm.read import ReadOptions

        result = join_deals(
            result,
            a.deals.file,
            a.deals.key,
            a.deals.columns,
            stage_mapping=a.stage_mapping,
            outcome_mapping=a.outcome_mapping,
            options=ReadOptions.from_actuals(a),
        )
    return result


def _load_rows(params: QuarterParams, wh: Warehouse) -> IngestResult:
    """``{url, table}`` or ``{url, query}``: rows with the export's columns, the format's loader."""
    import sqlalchemy as sa

    from alignlib.crm.load import load_export
    from alignlib.crm.read import ReadOptions

    a = params.actuals
    assert a is not None and a.sql is not None
    sql = a.sql
    deleted: list[tuple[str, int]] = []
    if sql.table is not None:
        key = f"{KEY}.table"
        table = wh.table(sql.table, key)
        keep, deleted = soft_deleted(wh, table, key)
        cols = [c for c in table.c if c.name not in SOFT_DELETE_COLUMNS]
        stmt: Any = sa.select(*cols).select_from(table)
        if keep is not None:
            stmt = stmt.where(keep)
        display = sql.table
    else:
        key = f"{KEY}.query"
        stmt = sa.text(str(sql.query))
        display = "query"
    raw = wh.read(stmt, key)
    kw: dict[str, Any] = {
        "stage_names": params.stage_names,
        "stage_mapping": a.stage_mapping,
        "as_of": a.as_of,
        "options": ReadOptions.from_actuals(a),
        "outcome_mapping": a.outcome_mapping,
        "raw": raw,
    }
    path = Path(display)
    opp_raw = None
    opp_path: Path | None = a.opportunities
    opp_table = sql.tables.get("opportunity") if a.format == "salesforce" else None
    if opp_table is not None:
        okey = f"{KEY}.tables.opportunity"
        otable = wh.table(opp_table, okey)
        okeep, odeleted = soft_deleted(wh, otable, okey)
        ostmt: Any = sa.select(
            *[c for c in otable.c if c.name not in SOFT_DELETE_COLUMNS]
        ).select_from(otable)
        if okeep is not None:
            ostmt = ostmt.where(okeep)
        opp_raw = wh.read(ostmt, okey)
        opp_path = Path(opp_table)
        deleted += odeleted
    if a.format == "csv" and not a.columns:
        raise wh.fail("actuals.columns", "format csv needs a column mapping (field -> column)")
    try:
        result = load_export(
            path,
            a.format,
            opportunities=opp_path if a.format == "salesforce" else None,
            opportunities_raw=opp_raw,
            columns=a.columns,
            **kw,
        )
    except DataError as exc:
        raise _relabel(exc, display, wh, key) from None
    result = dataclasses.replace(
        result, source=f"{display} in {wh.masked}", source_name=f"{display} ({wh.kind})"
    )
    return with_soft_deletes(result, deleted)
