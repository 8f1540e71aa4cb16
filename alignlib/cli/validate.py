"""``alignlib validate PARAMS.yaml ...``: check parameters files and say what is wrong."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate`` verb and its options.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The CLI's sub-command parsers.
    """
    parser = subparsers.add_parser(
        "validate",
        help="check parameters files",
        description="Check one or more quarter parameters files; print 'ok' or every problem.",
    )
    parser.add_argument("params", nargs="+", help="parameters YAML file(s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``alignlib validate``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options.

    Returns
    -------
    int
        The exit code.
    """
    from alignlib.errors import ParamsError
    from alignlib.history.learning import learn_params
    from alignlib.params import load_params

    failed = 0
    for path in args.params:
        try:
            p = learn_params(load_params(path))
        except ParamsError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
            continue
        print(
            f"ok: {path} ({p.quarter}, segment {p.segment}: {len(p.stages)} stages, "
            f"{len(p.channels)} channels, {len(p.scenarios)} scenarios, "
            f"{len(p.experiments)} experiments)"
        )
        if p.learned is not None:
            _print_learned(p)
        if p.sales_team is not None and p.sales_team.attainment is None:
            _print_attainment(p)
    return 2 if failed else 0


def _print_attainment(params: Any) -> None:
    """Say what attainment the actuals teach the team (or why they cannot)."""
    from alignlib.errors import InputError
    from alignlib.format import count, money, pct
    from alignlib.planning.annual import team_attainment

    try:
        _, _, learned = team_attainment(params)
    except InputError as exc:
        print(f"  {exc}")
        return
    assert learned is not None
    print(
        f"  sales_team.attainment: {pct(learned.attainment, 1)} learned from the actuals' "
        f"bookings per owner ({money(learned.bookings, params.currency)} over "
        f"{count(learned.owner_quarters)} owner-quarters, {learned.quarters[0]} to "
        f"{learned.quarters[-1]})"
    )


def _print_learned(params: Any) -> None:
    """Say what a file left to the actuals and what they taught, from how many contacts."""
    from alignlib.format import count, money, pct, stage_label

    learned = params.learned
    print(
        f"  learned from the actuals as of {learned.as_of.date()} "
        f"({count(learned.contacts)} contacts in {learned.cohorts_note()}): "
        f"{', '.join(params.learned_keys)}"
    )
    if "conversion_rates" in params.learned_keys:
        for stage, (converted, total) in learned.rates.items():
            print(
                f"    conversion_rates.{stage}: {pct(converted / total, 1)} "
                f"({count(converted)} of {count(total)} {stage_label(stage)})"
            )
    if "lag_days" in params.learned_keys:
        for stage, lag in learned.lags.items():
            print(
                f"    lag_days.{stage}: {lag.typical:.1f} days typical, "
                f"{lag.spread:.1f} spread ({count(lag.n)} contacts)"
            )
    if "deal_size" in params.learned_keys and learned.deal_size is not None:
        d = learned.deal_size
        print(
            f"    deal_size: {money(d.mean, params.currency)} mean, "
            f"{money(d.spread, params.currency)} spread ({count(d.n)} won deals)"
        )
    if "channels" in params.learned_keys:
        for name, ch in params.channels.items():
            cost = "" if ch.cost_per_lead is None else f", {money(ch.cost_per_lead)} per lead"
            print(f"    channels.{name}: {pct(ch.share, 1)} of leads{cost}")
