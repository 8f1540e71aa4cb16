"""Benchmark: stage volumes by month, cohort counts and lags of a 10,000,000-contact
replicated HubSpot table, computed in DuckDB by alignlib's aggregated path
(``alignlib.crm.aggregate.warehouse_aggregates``: SQLAlchemy Core, portable SQL),
against DuckDB's own hand-written GROUP BY over the same table.

Run: .venv/bin/python benchmarks/bench_warehouse.py [--rows N] [--repeat 3] [--keep FILE]

The table is generated inside DuckDB (``range()`` and hashing, deterministic): a
six-stage funnel with typed TIMESTAMP stage dates, lifecycle stages as HubSpot's
internal values, 0.1% soft-deleted rows. Both sides count the same things (stage
entries by month, contacts reaching each stage by creation month, per-transition
n / median / mean days); the hand-written side is one query per kind with
``UNION ALL``/``FILTER`` and ``quantile_cont`` (DuckDB only). Best of ``--repeat``,
interleaved; the first round includes importing SQLAlchemy and connecting.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import yaml

STAGES = ("lead", "mql", "sal", "sql", "opportunity", "won")
COLS = {
    "lead": "property_hs_lifecyclestage_lead_date",
    "mql": "property_hs_lifecyclestage_marketingqualifiedlead_date",
    "sal": "property_sales_accepted_date",
    "sql": "property_hs_lifecyclestage_salesqualifiedlead_date",
    "opportunity": "property_hs_lifecyclestage_opportunity_date",
    "won": "property_hs_lifecyclestage_customer_date",
}
LIFECYCLE = ("lead", "marketingqualifiedlead", "Sales Accepted Lead", "salesqualifiedlead",
             "opportunity", "customer")  # fmt: skip


def build(path: Path, rows: int) -> float:
    t0 = time.perf_counter()
    con = duckdb.connect(str(path))
    # depth: how far each contact got (funnel-shaped odds); u: a uniform per row and stage
    u = "((hash(i * 7 + {k}) % 1000000) / 1000000.0)"
    depth = (
        f"CASE WHEN {u.format(k=1)} < 0.55 THEN 0 WHEN {u.format(k=1)} < 0.80 THEN 1 "
        f"WHEN {u.format(k=1)} < 0.90 THEN 2 WHEN {u.format(k=1)} < 0.96 THEN 3 "
        f"WHEN {u.format(k=1)} < 0.985 THEN 4 ELSE 5 END"
    )
    dates = []
    for j, s in enumerate(STAGES):
        if j == 0:
            dates.append(f"created AS {COLS[s]}")
            continue
        lag = " + ".join(f"{u.format(k=10 + m)} * {3 + 4 * m}" for m in range(1, j + 1))
        dates.append(
            f"CASE WHEN depth >= {j} THEN created + to_seconds(CAST(86400 * ({lag}) AS BIGINT)) "
            f"END AS {COLS[s]}"
        )
    stage_case = " ".join(f"WHEN {j} THEN '{v}'" for j, v in enumerate(LIFECYCLE))
    con.execute("CREATE SCHEMA IF NOT EXISTS hubspot")
    con.execute(
        f"""
        CREATE OR REPLACE TABLE hubspot.contact AS
        WITH base AS (
          SELECT i, CAST(i AS VARCHAR) AS id,
                 TIMESTAMP '2023-01-01' + to_seconds(CAST({u.format(k=0)} * 1000 * 86400 AS BIGINT))
                   AS created,
                 {depth} AS depth
          FROM range({rows}) t(i))
        SELECT id, created AS property_createdate,
               CASE depth {stage_case} END AS property_lifecyclestage,
               {", ".join(dates)},
               (hash(i * 7 + 99) % 1000) = 0 AS _fivetran_deleted
        FROM base
        """
    )
    con.execute("CHECKPOINT")
    con.close()
    return time.perf_counter() - t0


def hand_written(path: Path) -> dict[str, object]:
    con = duckdb.connect(str(path), read_only=True)
    keep = "WHERE NOT coalesce(_fivetran_deleted, false)"
    unpivot = " UNION ALL ".join(
        f"SELECT '{s}' AS stage, date_trunc('month', {c}) AS m FROM hubspot.contact {keep} "
        f"AND {c} IS NOT NULL"
        for s, c in COLS.items()
    )
    volumes = con.execute(f"SELECT stage, m, count(*) FROM ({unpivot}) GROUP BY ALL").fetchall()
    pos = " ".join(f"WHEN '{v.lower()}' THEN {j}" for j, v in enumerate(LIFECYCLE))
    reached = ", ".join(
        "count(*) FILTER (WHERE "
        + " OR ".join(f"{COLS[x]} IS NOT NULL" for x in STAGES[j:])
        + f" OR (CASE lower(property_lifecyclestage) {pos} ELSE -1 END) >= {j})"
        for j in range(len(STAGES))
    )
    cohorts = con.execute(
        f"SELECT date_trunc('month', property_createdate) AS m, {reached} FROM hubspot.contact "
        f"{keep} AND property_createdate IS NOT NULL GROUP BY ALL"
    ).fetchall()
    pairs = [*zip(STAGES[:-1], STAGES[1:], strict=True), (STAGES[0], STAGES[-1])]
    lags = []
    for a, b in pairs:
        d = f"(epoch({COLS[b]}) - epoch({COLS[a]})) / 86400.0"
        lags.append(
            con.execute(
                f"SELECT count(*), quantile_cont({d}, 0.5), avg({d}) FROM hubspot.contact {keep} "
                f"AND {COLS[a]} IS NOT NULL AND {COLS[b]} IS NOT NULL"
            ).fetchone()
        )
    con.close()
    return {"volumes": volumes, "cohorts": cohorts, "lags": lags}


def params_for(path: Path, folder: Path):
    from alignlib.params import load_params
    from alignlib.paths import PARAMS_DIR

    data = {
        "extends": str(PARAMS_DIR / "2026Q4.yaml"),
        "actuals": {"crm_export": None, "sql": {"url": f"duckdb:///{path}", "schema": "hubspot"}},
    }
    p = folder / "bench-warehouse.yaml"
    p.write_text(yaml.safe_dump(data))
    return load_params(p)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", help="DuckDB file to build (and keep)")
    args = ap.parse_args()

    from alignlib.crm.aggregate import warehouse_aggregates

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = Path(args.keep) if args.keep else folder / "contacts.duckdb"
        path.unlink(missing_ok=True)
        print(f"building {args.rows:,} contacts in DuckDB ...", flush=True)
        print(f"  built in {build(path, args.rows):.1f} s ({path.stat().st_size / 1e6:.0f} MB)")
        params = params_for(path, folder)
        ours, theirs = [], []
        agg = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            hand = hand_written(path)
            theirs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            agg = warehouse_aggregates(params)
            ours.append(time.perf_counter() - t0)
        assert agg is not None
        # the two sides count the same contacts
        total_hand = sum(r[1] for r in hand["cohorts"])  # type: ignore[index, union-attr]
        assert total_hand == int(agg.cohort_reached["lead"].sum()), "sides disagree"
        assert [r[0] for r in hand["lags"]] == agg.lags["n"].tolist(), "lags disagree"  # type: ignore[union-attr]
        best_ours, best_theirs = min(ours), min(theirs)
        print(
            f"  contacts counted: {agg.rows:,} (soft-deleted left out: {agg.soft_deleted:,}); "
            f"{len(agg.stage_volumes)} months, {len(agg.cohort_reached)} cohorts"
        )
        print(f"  alignlib aggregated path (SQLAlchemy Core): {best_ours:6.2f} s")
        print(f"  DuckDB hand-written GROUP BY:               {best_theirs:6.2f} s")
        print(f"  ratio: {best_ours / best_theirs:.2f}x")


if __name__ == "__main__":
    main()
