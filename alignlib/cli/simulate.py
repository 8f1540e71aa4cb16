"""``alignlib simulate PARAMS.yaml``: the odds of hitting plan and a plan sized for confidence.

Also which input moves the odds most.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from alignlib.cli._args import add_trials_and_seed, scheduler_address
from alignlib.cli._params import add_params, learned_params
from alignlib.cli._runner import Outcome, Text, Verb

DESCRIPTION = """\
Monte Carlo odds of hitting the target, confidence-sized plan, sensitivity

Simulate the quarter's funnel many times (uncertain rates from historical counts, lead
volume, deal sizes, stage lags) and print P(hit), revenue quantiles, the lead volume that
hits the target with the chosen confidence beside the point-estimate plan, and the
sensitivity of P(hit) to each input.
"""

VERB = Verb("simulate", DESCRIPTION)


def options(parser: argparse.ArgumentParser) -> None:
    """The ``simulate`` options."""
    add_params(parser)
    add_trials_and_seed(parser)
    parser.add_argument(
        "--confidence", type=float, help="P(hit) the sized plan must reach (default: the file's)"
    )
    parser.add_argument("--scenario", help="simulate one named scenario from the file")
    parser.add_argument(
        "--leads", type=int, help="expected lead volume (default: the reverse funnel's)"
    )
    parser.add_argument(
        "--plan-trials",
        type=int,
        help="trials for the plan search and sensitivity (default: min(trials, 20,000))",
    )
    parser.add_argument("--workers", type=int, help="threads for a local run (default: cores)")
    parser.add_argument(
        "--scheduler",
        type=scheduler_address,
        metavar="tcp://HOST:PORT",
        help="run on this dask.distributed cluster",
    )
    parser.add_argument(
        "--memory-gb",
        type=float,
        help="memory budget for the simulated trials, in GB (default: ALIGNLIB_MEMORY_GB, "
        "else half the machine's memory, at most 4); more trials than fit are refused",
    )


def run(args: argparse.Namespace) -> Outcome:
    """The simulated quarter of ``args.params``, its confidence plan and sensitivity."""
    from alignlib.simulation import (
        DEFAULT_SEARCH_TRIALS,
        model_from_params,
        plan_for_confidence,
        sensitivity,
    )
    from alignlib.simulation.from_params import deal_size_count, trials_and_seed

    params = learned_params(args)
    trials, seed = trials_and_seed(params, args.trials, args.seed)
    confidence = params.simulation.confidence if args.confidence is None else args.confidence
    plan_trials = (
        min(trials, DEFAULT_SEARCH_TRIALS) if args.plan_trials is None else args.plan_trials
    )
    if args.leads is not None and args.leads < 0:
        from alignlib.errors import InputError

        raise InputError(f"--leads: {args.leads} must be >= 0")
    target = params.target.bookings
    model = model_from_params(params, leads=args.leads)
    _check_memory(model, trials, plan_trials, args.memory_gb)
    result = _simulate(model, trials, seed, args)
    plan = plan_for_confidence(
        model,
        target=target,
        confidence=confidence,
        trials=plan_trials,
        seed=seed,
        memory_gb=args.memory_gb,
    )
    sens = sensitivity(
        model,
        target=target,
        trials=plan_trials,
        seed=seed,
        memory_gb=args.memory_gb,
        deal_size_n=deal_size_count(params),
    )
    data = {
        "quarter": params.quarter,
        "segment": params.segment,
        "scenario": args.scenario,
        "currency": params.currency,
        **result.to_dict(target=target),
        "leads_mean": float(result.leads.mean()),
        "confidence_plan": plan.to_dict(),
        "sensitivity": sens.to_dict(),
    }
    title = f"Simulation for {params.quarter} · {params.segment}" + (
        f" · {args.scenario}" if args.scenario else ""
    )
    text = _text(title, params.currency, target, confidence, (model, result, plan, sens))
    return Outcome(data, text)


def _check_memory(model: Any, trials: Any, plan_trials: Any, memory_gb: float | None) -> None:
    """Both memory budgets before any work: a too-large --plan-trials should not wait."""
    from alignlib.simulation.memory import (
        check_memory,
        crn_bytes_per_trial,
        result_bytes_per_trial,
    )

    budgets = (
        (trials, result_bytes_per_trial(model), "--trials", "result arrays"),
        (plan_trials, crn_bytes_per_trial(model), "--plan-trials", "common random numbers"),
    )
    for n, per_trial, where, what in budgets:
        if isinstance(n, int) and n > 0:
            check_memory(n, per_trial, where=where, what=what, memory_gb=memory_gb)


def _simulate(model: Any, trials: int, seed: int | None, args: argparse.Namespace) -> Any:
    """The simulation, with a progress bar on stderr for long runs on a terminal."""
    from tqdm import tqdm

    from alignlib.cli._terminal import progress_stream
    from alignlib.simulation import simulate_funnel

    # tqdm disables itself off a terminal
    with tqdm(
        total=trials,
        unit="trial",
        unit_scale=True,
        file=progress_stream(sys.stderr),
        disable=None if trials >= 500_000 else True,
        desc="simulating",
    ) as bar:
        return simulate_funnel(
            model,
            trials=trials,
            seed=seed,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=bar.update,
            memory_gb=args.memory_gb,
        )


def _text(
    title: str, cur: str, target: float, confidence: float, found: tuple[Any, Any, Any, Any]
) -> str:
    """The simulation in words and tables (``found``: model, result, plan, sensitivity)."""
    from alignlib.format import count, money, pct

    model, result, plan, sens = found
    out = Text()
    out.heading(title)
    volume = model.leads
    out.line(
        f"{result.trials:,} simulated quarters (seed {result.seed}); "
        f"{count(volume.mean)} expected leads ({volume.label}); target {money(target, cur)}."
    )
    if model.channels:
        out.line(
            f"{len(model.channels)} channels with their own funnels: "
            + ", ".join(f"{ch.name} {pct(ch.share)}" for ch in model.channels)
            + "."
        )
    p = result.p_hit(target)
    out.line(f"P(hit) = {pct(p, 1)} (Monte Carlo error ±{pct(result.p_hit_se(target), 1)})")
    q = result.quantiles()
    out.line(
        "Revenue in the quarter: "
        + ", ".join(f"{k} {money(v, cur)}" for k, v in q.items())
        + f" (mean {money(result.revenue.mean(), cur)})"
    )
    if result.has_lags:
        own = float(result.won_in_quarter.mean() - result.won_carried_in.mean())
        out.line(
            f"Won deals closing outside the quarter: {money(result.revenue_before.mean(), cur)} "
            f"before it and {money(result.revenue_after.mean(), cur)} after it (means); "
            f"{own:,.1f} of {result.won.mean():,.1f} wins from these leads land inside"
            + (
                f", plus {result.won_carried_in.mean():,.1f} carried in from the neighbouring "
                "quarters' leads (steady state)."
                if result.model.carry_in
                else "."
            )
        )
    out.heading("Volume by stage (per simulated quarter)")
    out.table(result.summary())
    out.heading(f"Plan sized to hit the target {pct(confidence)} of the time")
    out.line(
        f"{count(plan.leads)} leads (P(hit) {pct(plan.p_hit, 1)}) against the point-estimate "
        f"plan's {count(plan.point_leads)} (P(hit) {pct(plan.point_p_hit, 1)}): "
        f"{plan.extra_leads:+,.0f} leads."
    )
    out.table(plan.to_frame())
    out.heading("What moves P(hit) most")
    out.line(
        f"Base P(hit) {pct(sens.base_p_hit, 1)} on {count(sens.trials)} "
        "common-random-number trials."
    )
    # Rows mix rates, money and lead counts: four significant digits suit each.
    value_fmt = "{:,.4g}".format
    formats: dict[str, Any] = {
        "low_value": value_fmt,
        "high_value": value_fmt,
        "p_hit_low": "pct1",
        "p_hit_high": "pct1",
        "effect": "{:+.1%}".format,
    }
    columns = ["how", "low_value", "high_value", "p_hit_low", "p_hit_high", "effect"]
    out.line("What we do not know (each input at the P10 and P90 of what we know about it):")
    out.table(sens.uncertainty[columns], formats)
    out.line(f"Levers (each plan input -/+{sens.swing:.0%}):")
    out.table(sens.levers[columns], formats)
    return str(out)
