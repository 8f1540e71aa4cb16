"""``alignlib plan PARAMS.yaml``: the reverse-funnel plan as tables or one JSON object."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from alignlib.cli._output import heading, print_json, table
    from alignlib.params import load_params
    from alignlib.planning import build_plan, compare_scenarios

    params = load_params(args.params)
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
            formats = {c: "{:,.0f}" for c in comparison.columns}
            table(comparison, formats)
        return 0

    params = params.with_scenario(args.scenario)
    plan = build_plan(params)
    if args.json:
        print_json(plan.to_dict())
        return 0

    money = f"{{:,.0f}} {plan.currency}"
    title = f"Plan for {plan.quarter} · {plan.segment}" + (
        f" · {plan.scenario}" if plan.scenario else ""
    )
    heading(title)
    print(
        f"Target bookings {plan.target:,.0f} {plan.currency} at an average deal of "
        f"{plan.avg_deal_size:,.0f}: {plan.funnel.wins:,} wins."
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
    table(frame, {"conversion_rate": "{:.1%}", "rate_to_won": "{:.2%}", "cost_per_stage": money})
    heading("When each stage's volume must enter (by month)")
    table(plan.monthly_table())
    heading("Channels")
    channels = plan.channels[["label", "share", "leads", "cost_per_lead", "budget", "cac"]]
    table(channels, {"share": "{:.0%}", "cost_per_lead": money, "budget": money, "cac": money})
    heading("Budget and coverage")
    print(f"Budget {plan.budget:,.0f} {plan.currency}; CAC {plan.cac:,.0f} {plan.currency}.")
    c = plan.coverage
    print(
        f"Pipeline needed at {c.coverage_target:.1f}x: {c.pipeline_needed:,.0f}; "
        f"planned pipeline {c.planned_pipeline:,.0f} ({c.implied_coverage:.2f}x)."
    )
    print(c.message)
    heading("Sales capacity")
    cap = plan.capacity
    print(
        f"{cap.reps_needed} reps needed for {cap.peak_opportunities_per_month:,.0f} new "
        f"opportunities in the busiest month ({cap.reps} on the team); "
        f"{cap.peak_handoffs_per_month:,.0f} {cap.handoff_stage.upper()}s to answer against a "
        f"capacity of {cap.followup_capacity_per_month:,.0f} within {cap.sla_hours:g} hours."
    )
    for message in cap.messages:
        print(f"FLAG: {message}")
    return 0
