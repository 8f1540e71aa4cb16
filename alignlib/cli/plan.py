"""``alignlib plan PARAMS.yaml``: the reverse-funnel plan as tables or one JSON object."""

from __future__ import annotations

import argparse
import math
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plan`` verb and its options.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The CLI's sub-command parsers.
    """
    parser = subparsers.add_parser(
        "plan",
        help="reverse-funnel plan for a quarter",
        description="From the bookings target back to leads: volumes by stage, month and "
        "channel, budget, pipeline coverage and sales capacity.",
    )
    parser.add_argument("params", help="parameters YAML file, e.g. params/2026Q4.yaml")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--scenario", help="plan one named scenario from the file")
    group.add_argument("--compare", action="store_true", help="every scenario beside the base")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--optimise-mix",
        action="store_true",
        help="the channel shares that reach the target at the least budget, beside today's",
    )
    parser.add_argument(
        "--budget",
        type=_amount,
        metavar="AMOUNT",
        help="with --optimise-mix: the mix with the most expected bookings for this budget",
    )
    parser.set_defaults(func=run)


def _amount(text: str) -> float:
    """An argparse type: a positive, finite amount (``250000`` or ``250,000``)."""
    try:
        value = float(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive amount")
    return value


def run(args: argparse.Namespace) -> int:
    """Run ``alignlib plan``.

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
    from alignlib.format import count, money, pct, ratio, stage_label
    from alignlib.history.learning import learn_params
    from alignlib.params import load_params
    from alignlib.planning import build_plan, compare_scenarios

    if args.budget is not None and not args.optimise_mix:
        raise InputError("--budget goes with --optimise-mix")
    if args.optimise_mix and args.compare:
        raise InputError("--optimise-mix plans one scenario: leave out --compare")
    params = learn_params(load_params(args.params))
    if args.optimise_mix:
        return _optimise_mix(params.with_scenario(args.scenario), args)
    if args.compare:
        comparison = compare_scenarios(params)
        if args.json:
            print_json(
                {
                    "quarter": params.quarter,
                    "segment": params.segment,
                    "scenarios": comparison.to_dict(),
                }
            )
        else:
            heading(f"Scenarios for {params.quarter} · {params.segment}")
            table(comparison, dict.fromkeys(comparison.columns, "count"))
        return 0

    params = params.with_scenario(args.scenario)
    plan = build_plan(params)
    if args.json:
        print_json(plan.to_dict())
        return 0

    title = f"Plan for {plan.quarter} · {plan.segment}" + (
        f" · {plan.scenario}" if plan.scenario else ""
    )
    heading(title)
    cur = plan.currency
    print(
        f"Target bookings {money(plan.target, cur)} at an average deal of "
        f"{money(plan.avg_deal_size, cur)}: {count(plan.funnel.wins)} wins."
    )
    heading("The stages both teams agreed on")
    for stage in params.stages:
        print(f"{stage.label} ({stage.owner}): {stage.definition}")
        if stage.entry_criteria:
            print(f"    enters when: {stage.entry_criteria}")
    heading("Required volume by stage")
    frame = plan.to_frame()[
        [
            "label",
            "conversion_rate",
            "rate_to_won",
            "required",
            "cost_per_stage",
            "in_funnel_at_start",
        ]
    ]
    table(
        frame,
        {
            "conversion_rate": "pct1",
            "rate_to_won": lambda v: pct(v, 2),
            "cost_per_stage": "money",
        },
        currency=cur,
    )
    heading("When each stage's volume must enter (by month)")
    table(plan.monthly_table())
    heading("Channels")
    budget_known = not math.isnan(plan.budget)
    if plan.channels.empty:
        print("No channels in the parameters or the actuals: leads by channel are left out.")
    else:
        columns = ["label", "share", "leads", *plan.funnel.stages[1:], "bookings"]
        columns += ["cost_per_lead", "budget", "cac"] if budget_known else []
        columns += ["rate_source"]
        table(
            plan.channels[columns],
            {
                "share": "pct",
                "bookings": "money",
                "cost_per_lead": "money",
                "budget": "money",
                "cac": "money",
            },
            currency=cur,
        )
    heading("Budget and coverage")
    if budget_known:
        print(f"Budget {money(plan.budget, cur)}; CAC {money(plan.cac, cur)}.")
    else:
        print("No channel costs in the parameters or a spend file: budget and CAC are left out.")
    c = plan.coverage
    print(
        f"Pipeline needed at {ratio(c.coverage_target)}: {money(c.pipeline_needed, cur)}; "
        f"planned pipeline {money(c.planned_pipeline, cur)} ({c.implied_coverage:.2f}x)."
    )
    print(c.message)
    heading("Sales capacity")
    cap = plan.capacity
    if cap is None:
        print("No capacity section: the capacity check is left out.")
        return 0
    sla = "" if math.isnan(cap.sla_hours) else f" within {cap.sla_hours:g} hours"
    print(
        f"{cap.reps_needed} reps needed for {count(cap.peak_opportunities_per_month)} new "
        f"opportunities in the busiest month ({cap.reps} on the team); "
        f"{count(cap.peak_handoffs_per_month)} {stage_label(cap.handoff_stage)}s to answer "
        f"against a capacity of {count(cap.followup_capacity_per_month)}{sla}."
    )
    for message in cap.messages:
        print(f"FLAG: {message}")
    return 0


def _optimise_mix(params: Any, args: argparse.Namespace) -> int:
    """Print the least-cost (or most-bookings) channel mix beside today's."""
    from alignlib.cli._output import heading, print_json, table
    from alignlib.planning.best_mix import optimise_mix

    mix = optimise_mix(params, budget=args.budget)
    if args.json:
        print_json({"quarter": params.quarter, "segment": params.segment, **mix.to_dict()})
        return 0
    what = "least-cost" if args.budget is None else "most bookings for the budget"
    heading(f"Channel mix: today and {what} · {params.label}")
    for note in mix.notes:
        print(note)
    if not mix.feasible:
        print(mix.message)
        return 1
    frame = mix.to_frame()[
        [
            "label",
            "cost_per_lead",
            "revenue_per_lead",
            "today_share",
            "today_leads",
            "today_budget",
            "optimal_share",
            "optimal_leads",
            "optimal_budget",
            "optimal_bookings",
            "limit",
        ]
    ]
    table(
        frame,
        {
            "cost_per_lead": "money",
            "revenue_per_lead": "money",
            "today_share": "pct",
            "today_budget": "money",
            "optimal_share": "pct",
            "optimal_budget": "money",
            "optimal_bookings": "money",
        },
        currency=params.currency,
    )
    print(mix.message)
    return 0
