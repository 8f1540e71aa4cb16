"""Funnel counts computed in the warehouse (GROUP BY) instead of pulling every contact.

With millions of contacts in a replicated HubSpot ``contact`` table, stage volumes by
month, cohort counts and lags are a few hundred numbers: :func:`warehouse_aggregates`
asks the database for them through SQLAlchemy Core (one statement each, portable
between DuckDB and PostgreSQL) and returns frames shaped like
:func:`alignlib.metrics.stage_volumes`, the stage columns of
:func:`alignlib.metrics.cohort_conversion` and the ``n``/``median``/``mean`` of
:func:`alignlib.metrics.velocity`.

It trusts the warehouse: typed date columns, one row per contact, dates in funnel
order. It does not reject rows as the row-level path does (no duplicates, formats or
order to check in a typed table), so on a clean table the two paths agree exactly;
soft-deleted rows are left out and counted as there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alignlib.crm.hubspot import HUBSPOT_EXTRA_COLUMNS, hubspot_date_column
from alignlib.crm.labels import normalise_label
from alignlib.crm.replicated import DEFAULT_TABLES, HUBSPOT_LIFECYCLE_VALUES, hubspot_column
from alignlib.crm.sql import KEY, Warehouse, resolve_url, soft_deleted
from alignlib.errors import DataError
from alignlib.taxonomy import HUBSPOT_STAGE_MAPPING

if TYPE_CHECKING:
    import sqlalchemy as sa

    from alignlib.params import QuarterParams


@dataclass(frozen=True)
class WarehouseAggregates:
    """What the warehouse counted.

    Attributes
    ----------
    stage_volumes : pandas.DataFrame
        Entries into each stage by month (index ``period``; every month between the
        first and last, zeros where none), one column per stage.
    cohort_reached : pandas.DataFrame
        Contacts reaching each stage by creation month (index ``cohort``).
    lags : pandas.DataFrame
        Per transition (``a_to_b``, and first to last): ``n``, ``median`` and ``mean`` days.
    rows : int
        Contacts counted.
    soft_deleted : int
        Rows left out as soft-deleted.
    """

    stage_volumes: pd.DataFrame
    cohort_reached: pd.DataFrame
    lags: pd.DataFrame
    rows: int
    soft_deleted: int


def _stage_columns(
    table: sa.TableClause, stage_names: Sequence[str], params: QuarterParams
) -> dict[str, str]:
    """Stage -> the date column the HubSpot loader would use, in replicated names."""
    a = params.actuals
    assert a is not None
    mapping = {**HUBSPOT_STAGE_MAPPING, **a.stage_mapping}
    out: dict[str, str] = {}
    for label, stage in mapping.items():
        col = hubspot_column(hubspot_date_column(label))
        if stage is not None and stage in stage_names and stage not in out and col in table.c:
            out[stage] = col
    for key, names in HUBSPOT_EXTRA_COLUMNS.items():
        stage = key.removeprefix("entered_")
        if key.startswith("entered_") and stage in stage_names and stage not in out:
            found = next((hubspot_column(n) for n in names if hubspot_column(n) in table.c), None)
            if found:
                out[stage] = found
    for key, col in a.columns.items():
        stage = key.removeprefix("entered_")
        if key.startswith("entered_") and stage in stage_names:
            name = col if col in table.c else hubspot_column(col)
            if name not in table.c:
                raise DataError(
                    params.source_path or "parameters",
                    f"actuals.columns.{key}: column {col!r} is not in {table.name}",
                )
            out[stage] = name
    return out


def _position(table: sa.TableClause, stage_names: Sequence[str], params: QuarterParams) -> Any:
    """SQL for each contact's current stage position (-1: outside the funnel)."""
    import sqlalchemy as sa

    a = params.actuals
    assert a is not None
    col = "property_lifecyclestage"
    if col not in table.c:
        return sa.literal(-1)
    internal = {v: k for k, v in HUBSPOT_LIFECYCLE_VALUES.items()}
    order = {s: i for i, s in enumerate(stage_names)}
    values: dict[str, int] = {}
    for label, stage in {**HUBSPOT_STAGE_MAPPING, **a.stage_mapping}.items():
        if stage in order:
            for v in (label, internal.get(label, label)):
                values.setdefault(normalise_label(v), order[stage])
    cases = [(sa.func.lower(table.c[col]) == v, p) for v, p in values.items()]
    return sa.case(*cases, else_=-1) if cases else sa.literal(-1)


def warehouse_aggregates(params: QuarterParams) -> WarehouseAggregates:
    """Stage volumes by month, cohort counts and lags of the replicated ``contact`` table.

    Parameters
    ----------
    params : QuarterParams
        Parameters with ``actuals.format: hubspot`` and ``actuals.sql`` naming the
        warehouse (``schema``, ``tables.contact``; no ``table`` or ``query``).

    Returns
    -------
    WarehouseAggregates

    Raises
    ------
    DataError
        No connection, the table or a column missing (file, key and what was wrong).
    """
    import sqlalchemy as sa

    a = params.actuals
    if a is None or a.sql is None or a.format != "hubspot":
        raise DataError(
            params.source_path or "parameters",
            f"{KEY}: the aggregated path reads a replicated HubSpot contact table "
            "(format hubspot, actuals.sql without table or query)",
        )
    stages = list(params.stage_names)
    where = Path(params.source_path) if params.source_path else Path("parameters")
    wh = Warehouse(resolve_url(a.sql, where), where, a.sql.schema_name)
    key = f"{KEY}.tables.contact"
    name = {**DEFAULT_TABLES, **a.sql.tables}["contact"]
    with wh.connected():
        t = wh.table(name, key)
        if "property_createdate" not in t.c:
            raise wh.fail(key, f"{name}: missing column 'property_createdate'")
        keep, deleted = soft_deleted(wh, t, key)
        cols = _stage_columns(t, stages, params)

        def when(c: str) -> Any:
            return sa.cast(t.c[c], sa.DateTime)

        def month(expr: Any) -> Any:
            return sa.func.date_trunc("month", expr)

        def run(stmt: Any) -> list[Any]:
            if keep is not None:
                stmt = stmt.where(keep)
            return list(wh.execute(stmt, key).fetchall())

        # Stage volumes: one GROUP BY per stage date.
        volumes: dict[str, pd.Series] = {}
        for s in stages:
            if s not in cols:
                volumes[s] = pd.Series(dtype="int64")
                continue
            m = month(when(cols[s])).label("m")
            rows = run(
                sa.select(m, sa.func.count().label("n"))
                .select_from(t)
                .where(t.c[cols[s]].is_not(None))
                .group_by(m)
            )
            volumes[s] = _by_month(rows)
        stage_volumes = _month_frame(volumes, stages, "period")

        # Cohorts: reached = a date at this stage or later, or a current stage at/past it.
        position = _position(t, stages, params)
        reached = []
        for j in range(len(stages)):
            later = [t.c[cols[x]].is_not(None) for x in stages[j:] if x in cols]
            cond = sa.or_(*later, position >= j)
            reached.append(sa.func.sum(sa.case((cond, 1), else_=0)).label(f"r{j}"))
        created = month(when("property_createdate")).label("m")
        rows = run(
            sa.select(created, *reached)
            .select_from(t)
            .where(t.c["property_createdate"].is_not(None))
            .group_by(created)
        )
        by_stage = {s: _by_month([(r[0], r[j + 1]) for r in rows]) for j, s in enumerate(stages)}
        cohort_reached = _month_frame(by_stage, stages, "cohort")

        # Lags in days: consecutive stages with both dates, and first to last.
        pairs = list(zip(stages[:-1], stages[1:], strict=True))
        if len(stages) > 2:
            pairs.append((stages[0], stages[-1]))
        lag_rows = []
        for x, y in pairs:
            if x not in cols or y not in cols:
                lag_rows.append((f"{x}_to_{y}", 0, float("nan"), float("nan")))
                continue
            days = (sa.extract("epoch", when(cols[y])) - sa.extract("epoch", when(cols[x]))) / (
                86400.0
            )
            (n, med, mean), *_ = run(
                sa.select(
                    sa.func.count(),
                    sa.func.percentile_cont(0.5).within_group(days),
                    sa.func.avg(days),
                )
                .select_from(t)
                .where(t.c[cols[x]].is_not(None), t.c[cols[y]].is_not(None))
            )
            lag_rows.append(
                (
                    f"{x}_to_{y}",
                    int(n),
                    float(med) if med is not None else float("nan"),
                    float(mean) if mean is not None else float("nan"),
                )
            )
        lags = pd.DataFrame(lag_rows, columns=["transition", "n", "median", "mean"]).set_index(
            "transition"
        )
        total = run(sa.select(sa.func.count()).select_from(t))[0][0]
    return WarehouseAggregates(
        stage_volumes=stage_volumes,
        cohort_reached=cohort_reached,
        lags=lags,
        rows=int(total),
        soft_deleted=sum(n for _, n in deleted),
    )


def _by_month(rows: Sequence[Any]) -> pd.Series:
    """(month start, count) rows as a Series on a monthly PeriodIndex."""
    rows = [r for r in rows if r[0] is not None]
    if not rows:
        return pd.Series(dtype="int64")
    index = pd.PeriodIndex([pd.Timestamp(r[0]).to_period("M") for r in rows], freq="M")
    return pd.Series([int(r[1]) for r in rows], index=index, dtype="int64").sort_index()


def _month_frame(series: dict[str, pd.Series], stages: Sequence[str], name: str) -> pd.DataFrame:
    """One column per stage over every month between the first and the last (zeros between)."""
    present = [s for s in series.values() if len(s)]
    if not present:
        return pd.DataFrame(columns=list(stages), dtype=int)
    lo = min(s.index.min() for s in present)
    hi = max(s.index.max() for s in present)
    periods = pd.period_range(lo, hi, freq="M", name=name)
    return pd.DataFrame(
        {s: series[s].reindex(periods, fill_value=0).astype(int) for s in stages}, index=periods
    )
