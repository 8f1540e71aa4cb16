"""``alignlib forecast PARAMS.yaml``: where the quarter will land, as of a date.

Booked so far + open pipeline + deals not yet created, each as a range, and the odds of
hitting the target.
"""

from __future__ import annotations

import argparse
from typing import Any

from alignlib.cli._args import add_max_rejected


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``forecast`` verb and its options.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The CLI's sub-command parsers.
    """
    parser = subparsers.add_parser(
        "forecast",
        help="where the quarter will land: booked + open pipeline + not yet created",
        description="Forecast the quarter's bookings from the CRM export: what is booked, "
        "what the open deals will bring (each by its stage and the days it has spent there) "
        "and what the leads still to come will bring; print P10/P50/P90 of each and the "
        "odds of hitting the target.",
    )
    parser.add_argument("params", help="parameters YAML file with actuals, e.g. params/2026Q4.yaml")
    parser.add_argument(
        "--as-of", dest="as_of", help="forecast date YYYY-MM-DD (default: the export's date)"
    )
    parser.add_argument("--trials", type=int, help="simulated quarters (default: the file's)")
    parser.add_argument("--seed", type=int, help="random seed (default: the file's)")
    parser.add_argument(
        "--volume",
        choices=("plan", "history"),
        default="plan",
        help="leads still to come: the plan's volume (default) or the history's trend",
    )
    add_max_rejected(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``alignlib forecast``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options.

    Returns
    -------
    int
        The exit code.
    """
    import pandas as pd

    from alignlib.cli._output import heading, print_json, table
    from alignlib.errors import InputError
    from alignlib.forecast import landing
    from alignlib.format import money, pct
    from alignlib.history.learning import learn_params
    from alignlib.params import load_params

    params = learn_params(load_params(args.params).with_max_rejected(args.max_rejected))
    if args.trials is not None and args.trials < 1:
        raise InputError(f"--trials: {args.trials} must be >= 1")
    as_of = None
    if args.as_of is not None:
        try:
            as_of = pd.Timestamp(args.as_of)
        except (ValueError, TypeError):
            raise InputError(f"--as-of: {args.as_of!r} is not a date (YYYY-MM-DD)") from None
    from alignlib.crm.summary import losses_note, stage_losses
    from alignlib.forecast.landing import require_actuals
    from alignlib.history.learning import read_actuals

    require_actuals(params, "forecast")
    ingest = read_actuals(params)  # the learned reading (its limits already held)
    result = landing(
        params, as_of, trials=args.trials, seed=args.seed, volume=args.volume, ingest=ingest
    )
    if args.json:
        out = result.to_dict()
        out["rejected"] = {
            "rows": ingest.rejected,
            "by_stage": {x.stage: x.rejected for x in stage_losses(ingest)},
        }
        print_json(out)
        return 0
    cur = params.currency
    print(
        f"Where {result.quarter} will land, as of {result.as_of.date()} "
        f"(quarter {result.quarter_start.date()} to {result.quarter_end.date()})"
    )
    frame = result.to_frame()[["p10", "p50", "p90", "mean"]]
    frame.index = ["booked", "open pipeline", "not yet created", "landing"]
    frame.columns = ["P10", "P50", "P90", "mean"]
    print()
    table(frame, dict.fromkeys(frame.columns, "money"), currency=cur)
    if result.target is not None and result.p_hit is not None:
        print(f"\nTarget {money(result.target, cur)}: P(hit) = {pct(result.p_hit)}")
    print(_what_is_left(result, cur))
    if note := losses_note(ingest):
        print(f"From the export as read: {note} (`alignlib ingest` lists why).")
    if len(result.deals):
        heading("Open deals that matter most (amount x win chance)")
        deals = result.deals.set_index("id")
        table(
            deals,
            {"win_chance": "pct1", "amount": "money", "expected": "money"},
            currency=cur,
        )
    return 0


def _what_is_left(result: Any, currency: str) -> str:
    """The sentence under the table, saying what its rows hold (never more than they do)."""
    from alignlib.format import count, money

    booked = f"{count(result.booked_deals)} deals booked"
    if result.as_of >= result.quarter_end:
        return (
            f"{booked} in {result.quarter}, which ended before the data date: the landing is "
            "what was booked, nothing is still to come."
        )
    parts = [f"{booked} so far"]
    if result.open_deals:
        parts.append(
            f"{count(result.open_deals)} open with a chance to win inside the quarter "
            f"({money(result.open_pipeline.mean, currency)} on average)"
        )
    else:
        parts.append("no open deal with a chance to win inside the quarter")
    if result.not_yet_created.mean > 0:
        parts.append(
            f"leads still to come (the {result.volume_source}'s volume) add "
            f"{money(result.not_yet_created.mean, currency)} on average"
        )
    else:
        parts.append(
            f"no lead still to come (the {result.volume_source}'s volume) closes inside the quarter"
        )
    return "; ".join(parts) + "."
