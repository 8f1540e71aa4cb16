"""``alignlib backtest PARAMS.yaml``: how good the forecasts have been on past quarters.

Every past quarter with enough history is forecast again from what was known then (at
plan time and at weeks 0, 4 and 8) and compared with what was booked.
"""

from __future__ import annotations

import argparse

from alignlib.cli._args import add_max_rejected


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``backtest`` verb and its options.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The CLI's sub-command parsers.
    """
    parser = subparsers.add_parser(
        "backtest",
        help="forecast past quarters again from what was known then, and score them",
        description="For every past quarter with at least six months of history before "
        "it, learn the funnel from the export as it stood then and forecast the quarter "
        "(plan time, weeks 0, 4 and 8); print the ranges beside what was booked, how often "
        "the 50% and 80% ranges held it, the CRPS and the bias of the median.",
    )
    parser.add_argument("params", help="parameters YAML file with actuals, e.g. params/2026Q4.yaml")
    parser.add_argument(
        "--trials", type=int, help="simulated quarters per forecast (default 10,000)"
    )
    parser.add_argument("--seed", type=int, help="random seed (default: the file's)")
    add_max_rejected(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``alignlib backtest``.

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
    from alignlib.forecast import backtest, calibration
    from alignlib.forecast.calibration import calibrations
    from alignlib.format import money, pct
    from alignlib.learn import learn_params
    from alignlib.params import load_params

    params = learn_params(load_params(args.params).with_max_rejected(args.max_rejected))
    if args.trials is not None and args.trials < 1:
        raise InputError(f"--trials: {args.trials} must be >= 1")
    from alignlib.crm.summary import losses_note, stage_losses
    from alignlib.forecast.landing import require_actuals
    from alignlib.learn import read_actuals

    require_actuals(params, "backtest")
    ingest = read_actuals(params)  # the learned reading (its limits already held)
    result = backtest(params, trials=args.trials, seed=args.seed, ingest=ingest)
    if args.json:
        out = result.to_dict()
        out["calibration"] = calibration(result).to_dict()
        out["calibration_by_point"] = {c.point: c.to_dict() for c in calibrations(result)}
        out["rejected"] = {
            "rows": ingest.rejected,
            "by_stage": {x.stage: x.rejected for x in stage_losses(ingest)},
        }
        print_json(out)
        return 0
    cur = params.currency
    print(f"Backtest of {result.quarters} past quarters ({params.label})")
    if note := losses_note(ingest):
        print(f"From the export as read: {note} (`alignlib ingest` lists why).")
    if len(result.rows):
        rows = result.rows.assign(as_of=result.rows["as_of"].dt.strftime("%Y-%m-%d"))
        shown = rows[["quarter", "point", "as_of", "p10", "p50", "p90", "actual", "pit"]]
        table(
            shown.set_index(["quarter", "point"]),
            {"p10": "money", "p50": "money", "p90": "money", "actual": "money", "pit": "pct"},
            currency=cur,
        )
        heading("Scores")
        scores = result.scores_frame()[["n", "coverage_50", "coverage_80", "crps", "bias"]]
        table(
            scores,
            {"coverage_50": "pct", "coverage_80": "pct", "crps": "money", "bias": "pct1"},
            currency=cur,
        )
        print(
            f"\nOver all forecasts: {pct(result.coverage_80)} inside the 80% range, "
            f"{pct(result.coverage_50)} inside the 50% range, CRPS {money(result.crps, cur)}, "
            f"median {pct(result.bias, 1, signed=True)} off on average."
        )
        heading("In plain words")
        # each forecast point judged on its own quarters (the points of a quarter share
        # its luck: pooled, they would look like four times the evidence)
        for c in calibrations(result):
            print(
                f"{'Plan time' if c.point == 'plan' else c.point.capitalize()} "
                f"[{c.verdict}]: " + " ".join(c.sentences)
            )
        if result.stationarity is not None:
            for sentence in result.stationarity.sentences:
                print(sentence)
    for _, row in result.skipped.iterrows():
        print(f"skipped {row['quarter']}: {row['reason']}")
    if not len(result.rows) and not len(result.skipped):
        print("No past quarter has six months of history before it and closed before the export.")
    return 0
