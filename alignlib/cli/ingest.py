"""``alignlib ingest FILE``: read a CRM export, validate it, report counts, stages and problems."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from alignlib.cli._args import check_output_file, share

#: Problem groups printed (one line each: field, reason, count); --json has every problem.
_SHOWN_GROUPS = 40


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ingest`` verb."""
    from alignlib.crm.load import FORMATS

    p = subparsers.add_parser(
        "ingest",
        help="read and validate a CRM export (HubSpot, Salesforce, CSV)",
        description="Read a CRM export into the normalised funnel table: rows read, accepted "
        "and rejected, contacts reaching each stage, and every problem found (grouped: one "
        "line per field and reason, with its count). Rejected rows (they hold names and "
        "emails) go to a file named ...rejects-contains-personal-data.csv. Exits 2 when no "
        "row is accepted or more than --max-rejected are rejected. --suggest prints a draft "
        "actuals: block for the file instead.",
    )
    p.add_argument("file", help="the export (for Salesforce: the Leads export)")
    p.add_argument(
        "--format",
        choices=FORMATS,
        help="export format (default: the params file's actuals.format, else hubspot)",
    )
    p.add_argument("--opportunities", help="Salesforce Opportunities export to join")
    p.add_argument(
        "--params",
        help="parameters YAML: the company's stages and actuals (stage_mapping, "
        "outcome_mapping, columns, deals, date_format ...)",
    )
    p.add_argument(
        "--rejects",
        help="where to write rejected rows (default: outputs/ingest/<file>."
        "rejects-contains-personal-data.csv, under the current folder or ALIGNLIB_OUTPUTS)",
    )
    p.add_argument("--as-of", help="date the export was taken (default: latest date in it)")
    p.add_argument(
        "--max-rejected",
        type=share,
        default=None,
        metavar="SHARE",
        help="largest rejected share before exiting 2, as 0.5 or 50%% (default: 50%%)",
    )
    p.add_argument(
        "--suggest",
        action="store_true",
        help="print a draft actuals: block (format, columns, date orders, label mappings, "
        "a deals file beside the export to join) to paste into a params file; reads the "
        "header and a sample of values, and writes no value into the draft",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Load, validate, write rejects, print the summary (or, with --suggest, the draft)."""
    import math
    import sys

    from alignlib.cli._output import heading, print_json
    from alignlib.crm import default_rejects_path, load_export, write_rejects
    from alignlib.crm.read import ReadOptions
    from alignlib.crm.summary import (
        DEFAULT_MAX_REJECTED,
        dropped_field_lines,
        outcome_counts,
        problem_groups,
        rejected_share,
        usability_problems,
        verdict,
        won_amount,
    )
    from alignlib.format import count, money, pct
    from alignlib.paths import outputs_dir
    from alignlib.taxonomy import DEFAULT_STAGE_NAMES

    params = None
    if args.params:
        from alignlib.params import load_params

        params = load_params(args.params)
    actuals = params.actuals if params is not None else None
    options = ReadOptions.from_actuals(actuals)
    if args.suggest:
        from alignlib.crm.suggest import suggest_actuals

        stages = params.stage_names if params is not None else None
        print(suggest_actuals(args.file, stage_names=stages, options=options).to_yaml(), end="")
        return 0

    # before reading anything: a bad rejects path is one line, and nothing is half-written
    rejects_target = args.rejects or default_rejects_path(args.file, outputs_dir() / "ingest")
    inputs: list[tuple[str, str | Path | None]] = [
        ("the export", args.file),
        ("the opportunities export", args.opportunities),
        ("the parameters file", args.params),
    ]
    if actuals is not None:
        inputs += [
            ("the opportunities export", actuals.opportunities),
            ("the deals file", actuals.deals.file if actuals.deals else None),
            ("the spend file", actuals.spend),
        ]
    check_output_file(
        rejects_target, "--rejects" if args.rejects else "rejects file", inputs=inputs
    )
    stage_names = DEFAULT_STAGE_NAMES if params is None else params.stage_names
    fmt = args.format
    as_of = args.as_of
    opportunities = args.opportunities
    if actuals is not None:
        fmt = fmt or actuals.format
        as_of = as_of or actuals.as_of
        if opportunities is None and fmt == "salesforce" and actuals.opportunities is not None:
            opportunities = actuals.opportunities
    fmt = fmt or "hubspot"
    if as_of is not None:
        import pandas as pd

        from alignlib.errors import InputError

        try:
            as_of = pd.Timestamp(as_of)
        except (ValueError, TypeError, OverflowError):
            as_of = pd.NaT
        if pd.isna(as_of):  # '' and 'NaT' parse to NaT
            raise InputError(f"--as-of {args.as_of!r} is not a date (use YYYY-MM-DD)") from None
    result = load_export(
        args.file,
        fmt,
        opportunities=opportunities,
        stage_names=stage_names,
        stage_mapping=dict(actuals.stage_mapping) if actuals else {},
        columns=dict(actuals.columns) if actuals else {},
        as_of=as_of,
        options=options,
        outcome_mapping=dict(actuals.outcome_mapping) if actuals else {},
        deals=actuals.deals if actuals else None,
    )
    rejects_path = None
    if len(result.rejects):  # rejected rows, and rows kept without a bad field
        rejects_path = write_rejects(result, rejects_target)
    max_rejected = args.max_rejected
    if max_rejected is None:
        max_rejected = actuals.max_rejected if actuals is not None else DEFAULT_MAX_REJECTED
    # The same limits every verb that reads actuals holds them to (crm.check_usable).
    problems = usability_problems(result, max_rejected)
    judged = verdict(result, max_rejected)
    if judged.ok and problems:
        judged = type(judged)(False, "; ".join(problems))
    code = 0 if judged.ok else 2
    outcomes = outcome_counts(result)
    won = won_amount(result)
    currency = params.currency if params is not None else "USD"
    learning = _learning(params, result)
    if learning is not None and learning["problem"]:
        code = 2

    if args.json:
        out = result.to_dict()
        out["rejects_file"] = str(rejects_path) if rejects_path else None
        out["outcomes"] = outcomes
        out["won_amount"] = won
        out["rejected_share"] = rejected_share(result)
        out["ok"] = judged.ok
        if learning is not None:
            out["learning"] = learning
        print_json(out)
        if not judged.ok:
            print(f"ingest: {judged.reason}", file=sys.stderr)
        if learning is not None and learning["problem"]:
            print(f"ingest: {learning['problem']}", file=sys.stderr)
        return code

    print(f"{result.source} ({result.format}), as of {result.as_of:%Y-%m-%d}")
    print(
        f"rows read {result.rows_read:,}   accepted {result.accepted:,}   "
        f"rejected {result.rejected:,} ({pct(rejected_share(result), 1)}; of which exact "
        f"duplicates {result.duplicates:,})"
    )
    if result.kept_with_dropped_field:
        print(
            f"  of the accepted: {result.accepted_whole:,} whole, "
            f"{result.kept_with_dropped_field:,} kept without a bad field"
        )
        for line in dropped_field_lines(result):
            print(f"  {line}")
    print(
        f"outcomes: won {count(outcomes['won'])}, lost {count(outcomes['lost'])}, "
        f"open {count(outcomes['open'])}   won amount "
        f"{'not in the export' if math.isnan(won) else money(won, currency)}"
    )
    heading("Contacts reaching each stage")
    reached = result.reached()
    first = result.stage_names[0]
    top = max(reached[first], 1)
    for stage, n in reached.items():
        print(f"  {stage:<14s} {count(n):>10s}   {pct(n / top, 1):>6s} of {first}")
    problems = result.problems_frame
    heading(f"Problems ({len(problems):,})")
    if problems.empty:
        print("  none")
    else:
        groups = problem_groups(problems)
        for g in groups.head(_SHOWN_GROUPS).itertuples(index=False):
            print(
                f"  {g.n:>7,} x {g.field}: {g.reason} -> {g.action}"
                f"  (first: {g.file}:{g.row} [{g.value}])"
            )
        if len(groups) > _SHOWN_GROUPS:
            print(f"  ... and {len(groups) - _SHOWN_GROUPS:,} more kinds (use --json for all)")
    if rejects_path:
        print(
            f"\nRejected rows and rows kept without a field (personal data, do not share): "
            f"{rejects_path}"
        )
    if learning is not None:
        heading("Learning from these rows")
        if learning["problem"]:
            print(f"  cannot learn: {learning['problem']}")
        elif learning["learned"]:
            print(f"  learned: {', '.join(learning['learned'])}")
        else:
            print("  nothing to learn: the params file gives every section")
    if not judged.ok:
        print(f"ingest: {judged.reason}", file=sys.stderr)
    if learning is not None and learning["problem"]:
        print(f"ingest: {learning['problem']}", file=sys.stderr)
    return code


def _learning(params: Any, result: Any) -> dict[str, Any] | None:
    """What learning from the rows just read gives: the sections learned, or its problem.

    The read is shown whatever this says: a user fixing the mapping sees the rows
    accepted and rejected and the stages reached even when the rows cannot teach the
    params what they leave to the actuals. None without params or without actuals.
    """
    from alignlib.errors import ParamsError
    from alignlib.history.learning import learn_params

    if params is None or getattr(params, "actuals", None) is None:
        return None
    try:
        learned = learn_params(params, result)
    except ParamsError as exc:
        problems = "; ".join(str(p) for p in exc.problems)
        return {"ok": False, "learned": [], "problem": f"{exc.path}: {problems}"}
    return {
        "ok": learned.actuals_problem is None,
        "learned": list(learned.learned_keys),
        "problem": learned.actuals_problem,
    }
