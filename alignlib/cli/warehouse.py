"""``alignlib warehouse load``: write the sample exports into a DuckDB file (or a database)."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from alignlib.cli._runner import Outcome, Verb, add_json

DESCRIPTION = """\
write the sample CRM into a DuckDB file or a database, as ELT tools land it

Write a folder of sample exports into a warehouse: each export as a table (schema exports)
and the objects as ELT tools replicate them (schemas hubspot and salesforce).
params/2026Q4-warehouse.yaml reads outputs/crm.duckdb.
"""

#: its --json is on the action: ``warehouse load ... --json``
VERB = Verb("warehouse", DESCRIPTION, json_help=None)


def options(parser: argparse.ArgumentParser) -> None:
    """The ``warehouse`` actions and their options."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser("load", help="write the sample exports of FOLDER")
    load.add_argument("folder", help="folder of sample exports (e.g. data/sample)")
    load.add_argument(
        "--into",
        required=True,
        help="DuckDB file to write (e.g. outputs/crm.duckdb), or a database URL "
        "(postgresql+psycopg://user@host/db; ${VAR} is read from the environment)",
    )
    add_json(load, "print one JSON object: the tables written")


def run(args: argparse.Namespace) -> Outcome:
    """Write the tables; the outcome lists them."""
    from alignlib.crm.sql import masked
    from alignlib.errors import InputError
    from alignlib.sample_warehouse import load_sample

    into = str(args.into)
    if not into.strip():
        raise InputError("--into: give a DuckDB file or a database URL")
    written = load_sample(args.folder, into)
    shown = masked(into)
    lines = []
    for t in written:
        was = "" if t.replaced_rows is None else f"   (replaced: it held {t.replaced_rows:,} rows)"
        lines.append(f"{t.schema + '.' + t.table:36s} {t.rows:>9,} rows{was}\n")
    n_replaced = sum(t.replaced_rows is not None for t in written)
    lines.append(
        f"written to {shown}: {len(written)} tables, {n_replaced} of them replaced; "
        "no other table was touched\n"
    )
    return Outcome({"into": shown, "tables": [asdict(t) for t in written]}, "".join(lines))
