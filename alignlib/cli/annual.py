"""``alignlib annual PARAMS.yaml --year YYYY``: the year's four quarters, the team and its hires."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def _year(text: str) -> int:
    """An argparse type: a four-digit year."""
    from alignlib.planning.annual import YEARS

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year like 2027") from None
    if value not in YEARS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year from 1900 to 2999")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``annual`` verb and its options.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The CLI's sub-command parsers.
    """
    parser = subparsers.add_parser(
        "annual",
        help="the year's plan: four quarters, sales capacity and hires",
        description="Four quarter plans chained over a year: target, leads, budget and "
        "pipeline per quarter, the sales team's bookings capacity and gap, the hires that "
        "close it and when their roles must open, and the chance of the year.",
    )
    parser.add_argument("params", help="parameters YAML file, e.g. params/2026Q4.yaml")
    parser.add_argument("--year", type=_year, required=True, help="the year to plan, e.g. 2027")
    parser.add_argument("--scenario", help="plan one named scenario from the file")
    parser.add_argument("--trials", type=int, help="simulated years (default: the file's trials)")
    parser.add_argument("--seed", type=int, help="random seed (default: the file's seed)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``alignlib annual``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options.

    Returns
    -------
    int
        The exit code.
    """
    from alignlib.cli._output import heading, print_json, table
    from alignlib.errors import InputError
    from alignlib.format import money, pct
    from alignlib.history.learning import load_learned
    from alignlib.planning.annual import annual_plan

    if args.trials is not None and args.trials <= 0:
        raise InputError(f"--trials: {args.trials} must be a whole number > 0")
    if args.seed is not None and args.seed < 0:
        raise InputError(f"--seed: {args.seed} must be a whole number >= 0")
    params = load_learned(args.params, args.scenario)
    plan = annual_plan(params, args.year, trials=args.trials, seed=args.seed)
    if args.json:
        print_json(plan.to_dict())
        return 0
    cur = plan.currency
    heading(
        f"The year {plan.year} · {plan.segment}" + (f" · {plan.scenario}" if plan.scenario else "")
    )
    print(
        f"Target {money(plan.target, cur)}; chance of the year {pct(plan.p_hit_year)} "
        f"({plan.trials:,} simulated years)."
    )
    frame = plan.to_frame()
    formats: dict[str, str | Callable[[Any], str]] = {
        "target": "money",
        "budget": "money",
        "pipeline_created": "money",
        "bookings_capacity": "money",
        "gap": "money",
        "ramped_reps": lambda v: f"{v:.1f}",
    }
    table(frame, formats, currency=cur)
    if plan.attainment is not None:
        where = (
            "from the file"
            if plan.attainment_source == "params"
            else "learned from the actuals' bookings per owner"
        )
        print(f"\nAttainment {pct(plan.attainment)} of quota ({where}).")
    heading("Hires needed")
    if params.sales_team is None:
        print("No sales_team section: capacity and hires are left out.")
    elif not plan.hires_needed:
        print("None: the team and its planned hires carry every quarter.")
    else:
        table(plan.hires_frame().set_index("quarter"), {"gap": "money"}, currency=cur)
    for warning in plan.warnings:
        print(f"FLAG: {warning}")
    return 0
