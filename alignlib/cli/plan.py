"""``alignlib plan PARAMS.yaml``: the reverse-funnel plan as tables or one JSON object."""

from __future__ import annotations

import argparse
import math
from typing import Any

from alignlib.cli._params import add_params, learned_params
from alignlib.cli._runner import Outcome, Text, Verb

DESCRIPTION = """\
reverse-funnel plan for a quarter

From the bookings target back to leads: volumes by stage, month and channel, budget,
pipeline coverage and sales capacity.
"""

VERB = Verb("plan", DESCRIPTION)


def options(parser: argparse.ArgumentParser) -> None:
    """The ``plan`` options."""
    add_params(parser)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--scenario", help="plan one named scenario from the file")
    group.add_argument("--compare", action="store_true", help="every scenario beside the base")
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


def _amount(text: str) -> float:
    """An argparse type: a positive, finite amount (``250000`` or ``250,000``)."""
    try:
        value = float(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive amount")
    return value


def run(args: argparse.Namespace) -> Outcome:
    """The plan of ``args.params`` (a scenario, every scenario, or the best channel mix)."""
    from alignlib.errors import InputError
    from alignlib.planning import build_plan

    if args.budget is not None and not args.optimise_mix:
        raise InputError("--budget goes with --optimise-mix")
    if args.optimise_mix and args.compare:
        raise InputError("--optimise-mix plans one scenario: leave out --compare")
    params = learned_params(args)
    if args.optimise_mix:
        return _optimise_mix(params, args.budget)
    if args.compare:
        return _compare(params)
    plan = build_plan(params)
    return Outcome(plan.to_dict(), _text(plan, params))


def _compare(params: Any) -> Outcome:
    """Every scenario beside the base."""
    from alignlib.planning import compare_scenarios

    comparison = compare_scenarios(params)
    out = Text()
    out.heading(f"Scenarios for {params.quarter} · {params.segment}")
    out.table(comparison, dict.fromkeys(comparison.columns, "count"))
    data = {"quarter": params.quarter, "segment": params.segment, "scenarios": comparison.to_dict()}
    return Outcome(data, str(out))


def _text(plan: Any, params: Any) -> str:
    """The plan in words and tables."""
    from alignlib.format import count, money, pct, ratio

    out = Text()
    out.heading(
        f"Plan for {plan.quarter} · {plan.segment}"
        + (f" · {plan.scenario}" if plan.scenario else "")
    )
    cur = plan.currency
    out.line(
        f"Target bookings {money(plan.target, cur)} at an average deal of "
        f"{money(plan.avg_deal_size, cur)}: {count(plan.funnel.wins)} wins."
    )
    out.heading("The stages both teams agreed on")
    for stage in params.stages:
        out.line(f"{stage.label} ({stage.owner}): {stage.definition}")
        if stage.entry_criteria:
            out.line(f"    enters when: {stage.entry_criteria}")
    out.heading("Required volume by stage")
    columns = ["label", "conversion_rate", "rate_to_won", "required", "cost_per_stage"]
    out.table(
        plan.to_frame()[[*columns, "in_funnel_at_start"]],
        {
            "conversion_rate": "pct1",
            "rate_to_won": lambda v: pct(v, 2),
            "cost_per_stage": "money",
        },
        currency=cur,
    )
    out.heading("When each stage's volume must enter (by month)")
    out.table(plan.monthly_table())
    out.heading("Channels")
    budget_known = not math.isnan(plan.budget)
    if plan.channels.empty:
        out.line("No channels in the parameters or the actuals: leads by channel are left out.")
    else:
        columns = ["label", "share", "leads", *plan.funnel.stages[1:], "bookings"]
        columns += ["cost_per_lead", "budget", "cac"] if budget_known else []
        money_columns = ("bookings", "cost_per_lead", "budget", "cac")
        out.table(
            plan.channels[[*columns, "rate_source"]],
            {"share": "pct", **dict.fromkeys(money_columns, "money")},
            currency=cur,
        )
    out.heading("Budget and coverage")
    if budget_known:
        out.line(f"Budget {money(plan.budget, cur)}; CAC {money(plan.cac, cur)}.")
    else:
        out.line("No channel costs in the parameters or a spend file: budget and CAC are left out.")
    c = plan.coverage
    out.line(
        f"Pipeline needed at {ratio(c.coverage_target)}: {money(c.pipeline_needed, cur)}; "
        f"planned pipeline {money(c.planned_pipeline, cur)} ({c.implied_coverage:.2f}x)."
    )
    out.line(c.message)
    out.heading("Sales capacity")
    _capacity(out, plan.capacity)
    return str(out)


def _capacity(out: Text, cap: Any) -> None:
    """The sales-capacity check, or why it is left out."""
    from alignlib.format import count, stage_label

    if cap is None:
        out.line("No capacity section: the capacity check is left out.")
        return
    sla = "" if math.isnan(cap.sla_hours) else f" within {cap.sla_hours:g} hours"
    out.line(
        f"{cap.reps_needed} reps needed for {count(cap.peak_opportunities_per_month)} new "
        f"opportunities in the busiest month ({cap.reps} on the team); "
        f"{count(cap.peak_handoffs_per_month)} {stage_label(cap.handoff_stage)}s to answer "
        f"against a capacity of {count(cap.followup_capacity_per_month)}{sla}."
    )
    for message in cap.messages:
        out.line(f"FLAG: {message}")


def _optimise_mix(params: Any, budget: float | None) -> Outcome:
    """The least-cost (or most-bookings) channel mix beside today's; exit 1 if none reaches."""
    from alignlib.planning.best_mix import optimise_mix

    mix = optimise_mix(params, budget=budget)
    data = {"quarter": params.quarter, "segment": params.segment, **mix.to_dict()}
    out = Text()
    what = "least-cost" if budget is None else "most bookings for the budget"
    out.heading(f"Channel mix: today and {what} · {params.label}")
    for note in mix.notes:
        out.line(note)
    if not mix.feasible:
        out.line(mix.message)
        return Outcome(data, str(out), code=1)
    today = ["today_share", "today_leads", "today_budget"]
    optimal = ["optimal_share", "optimal_leads", "optimal_budget", "optimal_bookings"]
    frame = mix.to_frame()[
        ["label", "cost_per_lead", "revenue_per_lead", *today, *optimal, "limit"]
    ]
    money_columns = ("cost_per_lead", "revenue_per_lead", "today_budget", "optimal_budget")
    out.table(
        frame,
        {
            **dict.fromkeys(money_columns, "money"),
            "today_share": "pct",
            "optimal_share": "pct",
            "optimal_bookings": "money",
        },
        currency=params.currency,
    )
    out.line(mix.message)
    return Outcome(data, str(out))
