"""``alignlib backtest PARAMS.yaml``: how good the forecasts have been on past quarters.

Every past quarter with enough history is forecast again from what was known then (at
plan time and at weeks 0, 4 and 8) and compared with what was booked.
"""

from __future__ import annotations

import argparse
from typing import Any

from alignlib.cli._params import (
    add_actuals_params,
    learned_with_actuals,
    losses_line,
    rejected_summary,
)
from alignlib.cli._runner import FAILED, Outcome, Text, Verb

DESCRIPTION = """\
forecast past quarters again from what was known then, and score them

For every past quarter with at least six months of history before it, learn the funnel from
the export as it stood then and forecast the quarter (plan time, weeks 0, 4 and 8); print
the ranges beside what was booked, how often the 50% and 80% ranges held it, the CRPS and
the bias of the median.
"""

VERB = Verb("backtest", DESCRIPTION)


def options(parser: argparse.ArgumentParser) -> None:
    """The ``backtest`` options."""
    add_actuals_params(parser, "simulated quarters per forecast (default 10,000)")


def run(args: argparse.Namespace) -> Outcome:
    """The backtest of ``args.params``'s past quarters, with its calibration."""
    from alignlib.forecast import backtest, calibration
    from alignlib.forecast.calibration import calibrations

    params, ingest = learned_with_actuals(args, "backtest")
    result = backtest(params, trials=args.trials, seed=args.seed, ingest=ingest)
    readout = calibration(result)
    by_point = calibrations(result)
    data = {
        **result.to_dict(),
        "calibration": readout.to_dict(),
        "calibration_by_point": {c.point: c.to_dict() for c in by_point},
        "rejected": rejected_summary(ingest),
    }
    text = _text(result, by_point, params, losses_line(ingest))
    if result.quarters == 0:
        # nothing was scored: a backtest of no quarter is not a pass
        note = f"backtest: no past quarter of {args.params} could be scored"
        return Outcome(data, text, FAILED, (note,))
    return Outcome(data, text)


def _text(result: Any, by_point: Any, params: Any, losses: str | None) -> str:
    from alignlib.format import money, pct

    out = Text()
    cur = params.currency
    out.line(f"Backtest of {result.quarters} past quarters ({params.label})")
    if losses:
        out.line(losses)
    if len(result.rows):
        rows = result.rows.assign(as_of=result.rows["as_of"].dt.strftime("%Y-%m-%d"))
        shown = rows[["quarter", "point", "as_of", "p10", "p50", "p90", "actual", "pit"]]
        out.table(
            shown.set_index(["quarter", "point"]),
            {"p10": "money", "p50": "money", "p90": "money", "actual": "money", "pit": "pct"},
            currency=cur,
        )
        out.heading("Scores")
        scores = result.scores_frame()[["n", "coverage_50", "coverage_80", "crps", "bias"]]
        out.table(
            scores,
            {"coverage_50": "pct", "coverage_80": "pct", "crps": "money", "bias": "pct1"},
            currency=cur,
        )
        out.line(
            f"\nOver all forecasts: {pct(result.coverage_80)} inside the 80% range, "
            f"{pct(result.coverage_50)} inside the 50% range, CRPS {money(result.crps, cur)}, "
            f"median {pct(result.bias, 1, signed=True)} off on average."
        )
        out.heading("In plain words")
        # each forecast point judged on its own quarters (the points of a quarter share
        # its luck: pooled, they would look like four times the evidence)
        for c in by_point:
            out.line(
                f"{'Plan time' if c.point == 'plan' else c.point.capitalize()} "
                f"[{c.verdict}]: " + " ".join(c.sentences)
            )
        if result.stationarity is not None:
            for sentence in result.stationarity.sentences:
                out.line(sentence)
    for _, row in result.skipped.iterrows():
        out.line(f"skipped {row['quarter']}: {row['reason']}")
    if not len(result.rows) and not len(result.skipped):
        out.line(
            "No past quarter has six months of history before it and closed before the export."
        )
    return str(out)
