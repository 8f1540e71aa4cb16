"""``alignlib annual PARAMS.yaml --year YYYY``: the year's four quarters, the team and its hires."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from alignlib.cli._args import add_trials_and_seed
from alignlib.cli._params import add_params, learned_params
from alignlib.cli._runner import Outcome, Text, Verb


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


DESCRIPTION = """\
the year's plan: four quarters, sales capacity and hires

Four quarter plans chained over a year: target, leads, budget and pipeline per quarter, the
sales team's bookings capacity and gap, the hires that close it and when their roles must
open, and the chance of the year.
"""

VERB = Verb("annual", DESCRIPTION)


def options(parser: argparse.ArgumentParser) -> None:
    """The ``annual`` options."""
    add_params(parser)
    parser.add_argument("--year", type=_year, required=True, help="the year to plan, e.g. 2027")
    parser.add_argument("--scenario", help="plan one named scenario from the file")
    add_trials_and_seed(parser, "simulated years (default: the file's trials)")


def run(args: argparse.Namespace) -> Outcome:
    """The year's plan of ``args.params`` for ``--year``."""
    from alignlib.planning.annual import annual_plan

    params = learned_params(args)
    plan = annual_plan(params, args.year, trials=args.trials, seed=args.seed)
    return Outcome(plan.to_dict(), _text(plan, has_team=params.sales_team is not None))


def _text(plan: Any, *, has_team: bool) -> str:
    from alignlib.format import money, pct

    out = Text()
    cur = plan.currency
    out.heading(
        f"The year {plan.year} · {plan.segment}" + (f" · {plan.scenario}" if plan.scenario else "")
    )
    out.line(
        f"Target {money(plan.target, cur)}; chance of the year {pct(plan.p_hit_year)} "
        f"({plan.trials:,} simulated years)."
    )
    formats: dict[str, str | Callable[[Any], str]] = {
        "target": "money",
        "budget": "money",
        "pipeline_created": "money",
        "bookings_capacity": "money",
        "gap": "money",
        "ramped_reps": lambda v: f"{v:.1f}",
    }
    out.table(plan.to_frame(), formats, currency=cur)
    if plan.attainment is not None:
        where = (
            "from the file"
            if plan.attainment_source == "params"
            else "learned from the actuals' bookings per owner"
        )
        out.line(f"\nAttainment {pct(plan.attainment)} of quota ({where}).")
    out.heading("Hires needed")
    if not has_team:
        out.line("No sales_team section: capacity and hires are left out.")
    elif not plan.hires_needed:
        out.line("None: the team and its planned hires carry every quarter.")
    else:
        out.table(plan.hires_frame().set_index("quarter"), {"gap": "money"}, currency=cur)
    for warning in plan.warnings:
        out.line(f"FLAG: {warning}")
    return str(out)
