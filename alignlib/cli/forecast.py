"""``alignlib forecast PARAMS.yaml``: where the quarter will land, as of a date.

Booked so far + open pipeline + deals not yet created, each as a range, and the odds of
hitting the target.
"""

from __future__ import annotations

import argparse
from typing import Any

from alignlib.cli._args import as_of_date
from alignlib.cli._params import (
    add_actuals_params,
    learned_with_actuals,
    losses_line,
    rejected_summary,
)
from alignlib.cli._runner import Outcome, Text, Verb

DESCRIPTION = """\
where the quarter will land: booked + open pipeline + not yet created

Forecast the quarter's bookings from the CRM export: what is booked, what the open deals
will bring (each by its stage and the days it has spent there) and what the leads still to
come will bring; print P10/P50/P90 of each and the odds of hitting the target.
"""

VERB = Verb("forecast", DESCRIPTION)


def options(parser: argparse.ArgumentParser) -> None:
    """The ``forecast`` options."""
    add_actuals_params(parser)
    parser.add_argument(
        "--as-of", dest="as_of", help="forecast date YYYY-MM-DD (default: the export's date)"
    )
    parser.add_argument(
        "--volume",
        choices=("plan", "history"),
        default="plan",
        help="leads still to come: the plan's volume (default) or the history's trend",
    )


def run(args: argparse.Namespace) -> Outcome:
    """Where ``args.params``'s quarter lands as of ``--as-of``."""
    from alignlib.forecast import landing

    as_of = None if args.as_of is None else as_of_date(args.as_of)
    params, ingest = learned_with_actuals(args, "forecast")
    result = landing(
        params, as_of, trials=args.trials, seed=args.seed, volume=args.volume, ingest=ingest
    )
    data = {**result.to_dict(), "rejected": rejected_summary(ingest)}
    return Outcome(data, _text(result, params.currency, losses_line(ingest)))


def _text(result: Any, cur: str, losses: str | None) -> str:
    from alignlib.format import money, pct

    out = Text()
    out.line(
        f"Where {result.quarter} will land, as of {result.as_of.date()} "
        f"(quarter {result.quarter_start.date()} to {result.quarter_end.date()})"
    )
    frame = result.to_frame()[["p10", "p50", "p90", "mean"]]
    frame.index = ["booked", "open pipeline", "not yet created", "landing"]
    frame.columns = ["P10", "P50", "P90", "mean"]
    out.line()
    out.table(frame, dict.fromkeys(frame.columns, "money"), currency=cur)
    if result.target is not None and result.p_hit is not None:
        out.line(f"\nTarget {money(result.target, cur)}: P(hit) = {pct(result.p_hit)}")
    out.line(_what_is_left(result, cur))
    if losses:
        out.line(losses)
    if len(result.deals):
        out.heading("Open deals that matter most (amount x win chance)")
        out.table(
            result.deals.set_index("id"),
            {"win_chance": "pct1", "amount": "money", "expected": "money"},
            currency=cur,
        )
    return str(out)


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
