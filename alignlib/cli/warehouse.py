"""``alignlib warehouse load``: write the sample exports into a DuckDB file (or a database)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``warehouse`` verb."""
    p = subparsers.add_parser(
        "warehouse",
        help="write the sample CRM into a DuckDB file or a database, as ELT tools land it",
        description=(
            "Write a folder of sample exports into a warehouse: each export as a table "
            "(schema exports) and the objects as ELT tools replicate them (schemas hubspot "
            "and salesforce). params/2026Q4-warehouse.yaml reads outputs/crm.duckdb."
        ),
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser("load", help="write the sample exports of FOLDER")
    load.add_argument("folder", help="folder of sample exports (e.g. data/sample)")
    load.add_argument(
        "--into",
        required=True,
        help="DuckDB file to write (e.g. outputs/crm.duckdb), or a database URL "
        "(postgresql+psycopg://user@host/db; ${VAR} is read from the environment)",
    )
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Write the tables and list them."""
    from alignlib.crm.sql import masked
    from alignlib.errors import InputError
    from alignlib.sample_warehouse import load_sample

    into = str(args.into)
    if not into.strip():
        raise InputError("--into: give a DuckDB file or a database URL")
    written = load_sample(args.folder, into)
    shown = masked(into)
    for t in written:
        was = "" if t.replaced_rows is None else f"   (replaced: it held {t.replaced_rows:,} rows)"
        print(f"{t.schema + '.' + t.table:36s} {t.rows:>9,} rows{was}")
    n_replaced = sum(t.replaced_rows is not None for t in written)
    print(
        f"written to {shown}: {len(written)} tables, {n_replaced} of them replaced; "
        "no other table was touched"
    )
    return 0
