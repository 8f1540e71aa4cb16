"""``alignlib ingest FILE``: read a CRM export, validate it, report counts, stages and problems."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from alignlib.cli._args import add_max_rejected, as_of_date, check_output_file
from alignlib.cli._runner import Outcome, Text, Verb

#: Problem groups printed (one line each: field, reason, count); --json has every problem.
_SHOWN_GROUPS = 40


DESCRIPTION = """\
read and validate a CRM export (HubSpot, Salesforce, CSV)

Read a CRM export into the normalised funnel table: rows read, accepted and rejected,
contacts reaching each stage, and every problem found (grouped: one line per field and
reason, with its count). Rejected rows (they hold names and emails) go to a file named
...rejects-contains-personal-data.csv. Exits 2 when no row is accepted or more than
--max-rejected are rejected. --suggest prints a draft actuals: block for the file instead.
"""

VERB = Verb("ingest", DESCRIPTION)


def options(parser: argparse.ArgumentParser) -> None:
    """The ``ingest`` options."""
    from alignlib.crm.load import FORMATS

    parser.add_argument("file", help="the export (for Salesforce: the Leads export)")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="export format (default: the params file's actuals.format, else hubspot)",
    )
    parser.add_argument("--opportunities", help="Salesforce Opportunities export to join")
    parser.add_argument(
        "--params",
        help="parameters YAML: the company's stages and actuals (stage_mapping, "
        "outcome_mapping, columns, deals, date_format ...)",
    )
    parser.add_argument(
        "--rejects",
        help="where to write rejected rows (default: outputs/ingest/<file>."
        "rejects-contains-personal-data.csv, under the current folder or ALIGNLIB_OUTPUTS)",
    )
    parser.add_argument("--as-of", help="date the export was taken (default: latest date in it)")
    add_max_rejected(
        parser, help="largest rejected share before exiting 2, as 0.5 or 50%% (default: 50%%)"
    )
    parser.add_argument(
        "--suggest",
        action="store_true",
        help="print a draft actuals: block (format, columns, date orders, label mappings, "
        "a deals file beside the export to join) to paste into a params file; reads the "
        "header and a sample of values, and writes no value into the draft",
    )


def run(args: argparse.Namespace) -> Outcome:
    """Load and validate the export, write its rejects, say what was read (or, with --suggest, the draft)."""
    params = None
    if args.params:
        from alignlib.params import load_params

        params = load_params(args.params)
    if args.suggest:
        return _suggest(args, params)
    from alignlib.crm import default_rejects_path, write_rejects
    from alignlib.crm.summary import (
        DEFAULT_MAX_REJECTED,
        outcome_counts,
        rejected_share,
        usability_problems,
        verdict,
        won_amount,
    )
    from alignlib.paths import outputs_dir

    actuals = params.actuals if params is not None else None
    # before reading anything: a bad rejects path is one line, and nothing is half-written
    rejects_target = args.rejects or default_rejects_path(args.file, outputs_dir() / "ingest")
    check_output_file(
        rejects_target,
        "--rejects" if args.rejects else "rejects file",
        inputs=_inputs(args, actuals),
    )
    result = _load(args, params)
    # rejected rows, and rows kept without a bad field
    rejects_path = write_rejects(result, rejects_target) if len(result.rejects) else None
    max_rejected = args.max_rejected
    if max_rejected is None:
        max_rejected = actuals.max_rejected if actuals is not None else DEFAULT_MAX_REJECTED
    # The same limits every verb that reads actuals holds them to (crm.check_usable).
    problems = usability_problems(result, max_rejected)
    judged = verdict(result, max_rejected)
    if judged.ok and problems:
        judged = type(judged)(False, "; ".join(problems))
    learning = _learning(params, result)
    notes = [] if judged.ok else [f"ingest: {judged.reason}"]
    if learning is not None and learning["problem"]:
        notes.append(f"ingest: {learning['problem']}")
    data = {
        **result.to_dict(),
        "rejects_file": str(rejects_path) if rejects_path else None,
        "outcomes": outcome_counts(result),
        "won_amount": won_amount(result),
        "rejected_share": rejected_share(result),
        "ok": judged.ok,
    }
    if learning is not None:
        data["learning"] = learning
    currency = params.currency if params is not None else "USD"
    text = _text(result, data, learning, currency)
    return Outcome(data, text, code=2 if notes else 0, notes=tuple(notes))


def _suggest(args: argparse.Namespace, params: Any) -> Outcome:
    """The draft ``actuals:`` block for the export (its YAML is the text and the JSON)."""
    from alignlib.crm.read import ReadOptions
    from alignlib.crm.suggest import suggest_actuals

    options = ReadOptions.from_actuals(params.actuals if params is not None else None)
    stages = params.stage_names if params is not None else None
    draft = suggest_actuals(args.file, stage_names=stages, options=options).to_yaml()
    return Outcome({"file": str(args.file), "suggested_actuals": draft}, draft)


def _inputs(args: argparse.Namespace, actuals: Any) -> list[tuple[str, str | Path | None]]:
    """Every file ingest reads: the rejects file must be none of them."""
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
    return inputs


def _load(args: argparse.Namespace, params: Any) -> Any:
    """Read the export as the options and the params file's ``actuals:`` say."""
    from alignlib.crm import load_export
    from alignlib.crm.read import ReadOptions
    from alignlib.taxonomy import DEFAULT_STAGE_NAMES

    actuals = params.actuals if params is not None else None
    fmt, as_of, opportunities = args.format, args.as_of, args.opportunities
    if actuals is not None:
        fmt = fmt or actuals.format
        as_of = as_of or actuals.as_of
        if opportunities is None and fmt == "salesforce" and actuals.opportunities is not None:
            opportunities = actuals.opportunities
    return load_export(
        args.file,
        fmt or "hubspot",
        opportunities=opportunities,
        stage_names=DEFAULT_STAGE_NAMES if params is None else params.stage_names,
        stage_mapping=dict(actuals.stage_mapping) if actuals else {},
        columns=dict(actuals.columns) if actuals else {},
        as_of=None if as_of is None else as_of_date(str(as_of)),
        options=ReadOptions.from_actuals(actuals),
        outcome_mapping=dict(actuals.outcome_mapping) if actuals else {},
        deals=actuals.deals if actuals else None,
    )


def _text(result: Any, data: dict[str, Any], learning: dict[str, Any] | None, currency: str) -> str:
    """What was read, in words: counts, stages reached, problems, the rejects file."""
    import math

    from alignlib.crm.summary import dropped_field_lines, problem_groups
    from alignlib.format import count, money, pct

    out = Text()
    outcomes, won = data["outcomes"], data["won_amount"]
    out.line(f"{result.source} ({result.format}), as of {result.as_of:%Y-%m-%d}")
    out.line(
        f"rows read {result.rows_read:,}   accepted {result.accepted:,}   "
        f"rejected {result.rejected:,} ({pct(data['rejected_share'], 1)}; of which exact "
        f"duplicates {result.duplicates:,})"
    )
    if result.kept_with_dropped_field:
        out.line(
            f"  of the accepted: {result.accepted_whole:,} whole, "
            f"{result.kept_with_dropped_field:,} kept without a bad field"
        )
        for line in dropped_field_lines(result):
            out.line(f"  {line}")
    out.line(
        f"outcomes: won {count(outcomes['won'])}, lost {count(outcomes['lost'])}, "
        f"open {count(outcomes['open'])}   won amount "
        f"{'not in the export' if math.isnan(won) else money(won, currency)}"
    )
    out.heading("Contacts reaching each stage")
    reached = result.reached()
    first = result.stage_names[0]
    top = max(reached[first], 1)
    for stage, n in reached.items():
        out.line(f"  {stage:<14s} {count(n):>10s}   {pct(n / top, 1):>6s} of {first}")
    problems = result.problems_frame
    out.heading(f"Problems ({len(problems):,})")
    if problems.empty:
        out.line("  none")
    else:
        groups = problem_groups(problems)
        for g in groups.head(_SHOWN_GROUPS).itertuples(index=False):
            out.line(
                f"  {g.n:>7,} x {g.field}: {g.reason} -> {g.action}"
                f"  (first: {g.file}:{g.row} [{g.value}])"
            )
        if len(groups) > _SHOWN_GROUPS:
            out.line(f"  ... and {len(groups) - _SHOWN_GROUPS:,} more kinds (use --json for all)")
    if data["rejects_file"]:
        out.line(
            "\nRejected rows and rows kept without a field (personal data, do not share): "
            f"{data['rejects_file']}"
        )
    if learning is not None:
        out.heading("Learning from these rows")
        if learning["problem"]:
            out.line(f"  cannot learn: {learning['problem']}")
        elif learning["learned"]:
            out.line(f"  learned: {', '.join(learning['learned'])}")
        else:
            out.line("  nothing to learn: the params file gives every section")
    return str(out)


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
