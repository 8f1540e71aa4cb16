"""``alignlib run``: render the quarterly reports (plan, experiments, trends) for each segment."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from typing import Any

from alignlib.cli._args import add_max_rejected, check_output_folder, scheduler_address
from alignlib.cli._runner import Outcome, Verb


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _quarter(text: str) -> str:
    if not re.fullmatch(r"\d{4}Q[1-4]", text):
        raise argparse.ArgumentTypeError(f"expected a quarter like 2026Q4, got {text!r}")
    return text


def _date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-15, got {text!r}") from None


DESCRIPTION = """\
render every report for every parameters file (HTML, notebooks, index)

Render the quarterly plan, experiment analysis, trend report and SLA agreement for each
parameters file (one per segment) into OUT/<quarter>/<segment>/, with an index page per
quarter; with --weekly, the weekly scorecard (and its e-mail version) instead. One failing
report does not stop the others; the command exits 1 if any failed. Earlier good reports are
never replaced by broken ones (a failed attempt is kept as <report>.failed.*).
"""

VERB = Verb("run", DESCRIPTION, json_help="print one JSON object with the results")


def options(parser: argparse.ArgumentParser) -> None:
    """The ``run`` options."""
    parser.add_argument(
        "params",
        nargs="*",
        metavar="PARAMS.yaml",
        help="parameters files (default: every params/<quarter>*.yaml)",
    )
    parser.add_argument("--quarter", type=_quarter, help="quarter to render (default 2026Q4)")
    parser.add_argument("--out", default=None, help="outputs folder (default: outputs/)")
    parser.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help="reports rendered at once (default: number of cores)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        type=scheduler_address,
        metavar="tcp://HOST:PORT",
        help="render on a dask.distributed cluster (workers must see the same files)",
    )
    parser.add_argument(
        "--trials",
        type=_positive_int,
        default=None,
        help="Monte Carlo trials in every report (default: the notebooks' default)",
    )
    parser.add_argument(
        "--report",
        action="append",
        default=None,
        metavar="NAME",
        help="render only this report (quarterly_plan, experiment_analysis, trend_report, "
        "sla_agreement, weekly_scorecard); repeatable",
    )
    parser.add_argument(
        "--weekly",
        action="store_true",
        help="render the weekly scorecard (page, e-mail version) instead of the quarterly reports",
    )
    parser.add_argument(
        "--week-ending",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="with --weekly: last day of the week (default: the export's last full week)",
    )
    parser.add_argument("--kernel", default=None, help="Jupyter kernel name (default: alignlib)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_max_rejected(parser)


def run(args: argparse.Namespace) -> Outcome:
    """Run the batch; exit 0 when every report rendered, 1 when any failed."""
    from alignlib import batch
    from alignlib.errors import InputError
    from alignlib.paths import outputs_dir

    # before any report runs: a bad folder is one line, not a traceback after minutes
    check_output_folder(outputs_dir() if args.out is None else args.out, "--out")
    if args.week_ending and not args.weekly:
        raise InputError("--week-ending goes with --weekly")
    reports = batch.WEEKLY_REPORTS if args.weekly else batch.REPORTS
    parameters = {"week_ending": args.week_ending} if args.week_ending else None
    if args.report:
        known = {r.name: r for r in batch.ALL_REPORTS}
        unknown = [n for n in args.report if n not in known]
        if unknown:
            raise InputError(
                f"unknown report(s) {', '.join(unknown)}; choose from {', '.join(known)}"
            )
        reports = tuple(known[n] for n in args.report)
    import os

    from alignlib.history.learning import MAX_REJECTED_ENV

    # The reports' kernels and the snapshot workers inherit it (they load the files).
    saved = os.environ.get(MAX_REJECTED_ENV)
    if args.max_rejected is not None:
        os.environ[MAX_REJECTED_ENV] = repr(float(args.max_rejected))
    try:
        return _run(args, reports, parameters)
    finally:
        if saved is None:
            os.environ.pop(MAX_REJECTED_ENV, None)
        else:
            os.environ[MAX_REJECTED_ENV] = saved


def _run(args: argparse.Namespace, reports: Any, parameters: Any) -> Outcome:
    """Run the batch: what it did, and a note for the reports that failed."""
    from alignlib import batch

    result = batch.run_batch(
        args.params,
        out_dir=args.out,
        quarter=args.quarter,
        workers=args.workers,
        scheduler=args.scheduler,
        trials=args.trials,
        reports=reports,
        parameters=parameters,
        kernel_name=args.kernel or batch.KERNEL_NAME,
        progress=not args.no_progress and not args.json,
        # --debug keeps the details of failures in the failed notebooks (a local look)
        debug=bool(getattr(args, "debug", False)),
    )
    if result.ok:
        return Outcome(result.to_dict(), f"{result.summary()}\n")
    note = (
        f"{len(result.failed)} report(s) failed; their executed notebooks are kept "
        "as <report>.failed.ipynb next to the last good version."
    )
    return Outcome(result.to_dict(), f"{result.summary()}\n", code=1, notes=(note,))
