"""``alignlib ingest FILE``: read a CRM export, validate it, report counts, stages and problems."""

from __future__ import annotations

import argparse

from alignlib.cli._args import check_output_file

_SHOWN_PROBLEMS = 25


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ingest`` verb."""
    p = subparsers.add_parser(
        "ingest",
        help="read and validate a CRM export (HubSpot, Salesforce, CSV)",
        description="Read a CRM export into the normalised funnel table: rows read, accepted "
        "and rejected, contacts reaching each stage, and every problem found. Rejected rows "
        "(they hold names and emails) go to a file named ...rejects-contains-personal-data.csv.",
    )
    p.add_argument("file", help="the export (for Salesforce: the Leads export)")
    p.add_argument(
        "--format",
        choices=("hubspot", "salesforce", "csv"),
        help="export format (default: the params file's actuals.format, else hubspot)",
    )
    p.add_argument("--opportunities", help="Salesforce Opportunities export to join")
    p.add_argument(
        "--params",
        help="parameters YAML: the company's stages, actuals.stage_mapping, actuals.columns",
    )
    p.add_argument(
        "--rejects",
        help="where to write rejected rows (default: outputs/ingest/<file>."
        "rejects-contains-personal-data.csv)",
    )
    p.add_argument("--as-of", help="date the export was taken (default: latest date in it)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Load, validate, write rejects, print the summary."""
    from alignlib.cli._output import heading, print_json
    from alignlib.crm import default_rejects_path, load_export, write_rejects
    from alignlib.format import count, pct
    from alignlib.paths import outputs_dir
    from alignlib.taxonomy import DEFAULT_STAGE_NAMES

    # before reading anything: a bad rejects path is one line, and nothing is half-written
    rejects_target = args.rejects or default_rejects_path(args.file, outputs_dir() / "ingest")
    check_output_file(rejects_target, "--rejects" if args.rejects else "rejects file")
    stage_names = DEFAULT_STAGE_NAMES
    stage_mapping: dict = {}
    columns: dict = {}
    fmt = args.format
    as_of = args.as_of
    if args.params:
        from alignlib.params import load_params

        params = load_params(args.params)
        stage_names = params.stage_names
        if params.actuals is not None:
            stage_mapping = dict(params.actuals.stage_mapping)
            columns = dict(params.actuals.columns)
            fmt = fmt or params.actuals.format
            as_of = as_of or params.actuals.as_of
    fmt = fmt or "hubspot"
    if as_of is not None:
        import pandas as pd

        from alignlib.errors import InputError

        try:
            as_of = pd.Timestamp(as_of)
        except ValueError:
            raise InputError(f"--as-of {args.as_of!r} is not a date (use YYYY-MM-DD)") from None
    result = load_export(
        args.file,
        fmt,
        opportunities=args.opportunities,
        stage_names=stage_names,
        stage_mapping=stage_mapping,
        columns=columns,
        as_of=as_of,
    )
    rejects_path = None
    if result.rejected:
        rejects_path = write_rejects(result, rejects_target)

    if args.json:
        out = result.to_dict()
        out["rejects_file"] = str(rejects_path) if rejects_path else None
        print_json(out)
        return 0

    print(f"{result.source} ({result.format}), as of {result.as_of:%Y-%m-%d}")
    print(
        f"rows read {result.rows_read:,}   accepted {result.accepted:,}   "
        f"rejected {result.rejected:,} (of which exact duplicates {result.duplicates:,})"
    )
    heading("Contacts reaching each stage")
    reached = result.reached()
    top = max(reached[stage_names[0]], 1)
    for stage, n in reached.items():
        print(f"  {stage:<14s} {count(n):>10s}   {pct(n / top, 1):>6s} of {stage_names[0]}")
    problems = result.problems_frame
    heading(f"Problems ({len(problems):,})")
    if problems.empty:
        print("  none")
    else:
        counts = problems.groupby(["field", "action"]).size().rename("n").reset_index()
        for r in counts.itertuples(index=False):
            print(f"  {r.n:>6,} x {r.field} ({r.action})")
        print()
        for r in problems.head(_SHOWN_PROBLEMS).itertuples(index=False):
            print(f"  {r.file}:{r.row}  {r.field}: {r.reason} [{r.value}] -> {r.action}")
        if len(problems) > _SHOWN_PROBLEMS:
            print(f"  ... and {len(problems) - _SHOWN_PROBLEMS:,} more (use --json for all)")
    if rejects_path:
        print(f"\nRejected rows (personal data, do not share): {rejects_path}")
    return 0
