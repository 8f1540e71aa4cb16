"""``alignlib experiment``: read an A/B test on one funnel stage (counts or a params file)."""

from __future__ import annotations

import argparse
import re

from alignlib.cli._params import learned_params
from alignlib.cli._runner import FAILED, Outcome, Verb

_COUNTS = re.compile(r"^\s*(?:(?P<name>[A-Za-z0-9_.-]+)\s*=\s*)?(?P<c>\d+)\s*/\s*(?P<n>\d+)\s*$")
# numbers that are not whole numbers >= 0 (-1/10, 2.5/10): a clearer message than the shape's
_SIGNED = re.compile(r"^\s*(?:[A-Za-z0-9_.-]+\s*=\s*)?[-+]?[\d.]+\s*/\s*[-+]?[\d.]+\s*$")


DESCRIPTION = """\
readout of a funnel experiment: lift, intervals, p-values, P(better), SRM

Compare variants with control at one funnel stage, from counts (--control 200/1000 --variant
240/1000) or every experiment in a parameters file. Prints the Newcombe interval, relative
lift (Katz log interval), the pooled z-test (Fisher's exact test for small counts),
Holm-corrected p-values, the exact Bayesian chance to beat control and expected loss, the
sample-ratio check and the peeking guard; with a parameters file also each experiment's
simulated effect on the quarter's bookings and P(hit target).
"""

VERB = Verb("experiment", DESCRIPTION)


def options(parser: argparse.ArgumentParser) -> None:
    """The ``experiment`` options."""
    parser.add_argument(
        "params", nargs="?", help="parameters YAML file: read all of its experiments"
    )
    parser.add_argument("--control", metavar="C/N", help="control conversions/leads, e.g. 200/1000")
    parser.add_argument(
        "--variant",
        action="append",
        metavar="[NAME=]C/N",
        help="a variant's conversions/leads; repeat for several variants",
    )
    parser.add_argument("--stage", help="FROM stage the experiment changes (e.g. sal)")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")
    parser.add_argument(
        "--correction",
        choices=["holm", "fdr_bh", "none"],
        default="holm",
        help="multiple-comparison correction for several variants (holm)",
    )
    parser.add_argument("--planned-n", type=int, help="planned leads per arm (peeking guard)")
    parser.add_argument(
        "--shares",
        help="planned assignment shares, control first, e.g. 0.5,0.5 (sample-ratio check)",
    )
    parser.add_argument(
        "--no-impact",
        action="store_true",
        help="with a parameters file: skip the simulated effect on the quarter's bookings",
    )
    parser.add_argument(
        "--trials", type=int, help="simulated quarters for the revenue impact (params file)"
    )


def _counts(text: str, what: str) -> tuple[str | None, tuple[int, int]]:
    from alignlib.errors import InputError

    match = _COUNTS.match(text or "")
    if not match and _SIGNED.match(text or ""):
        raise InputError(f"{what}: counts must be whole numbers >= 0: {text!r}")
    if not match:
        raise InputError(f"{what}: expected CONVERSIONS/N such as 200/1000, got {text!r}")
    conversions, n = int(match["c"]), int(match["n"])
    if n == 0:
        raise InputError(f"{what} {text}: n must be positive (no leads in this arm)")
    if conversions > n:
        raise InputError(f"{what} {text}: conversions ({conversions}) are more than n ({n})")
    return match["name"], (conversions, n)


def run(args: argparse.Namespace) -> Outcome:
    """The readouts of ``args.params``'s experiments, or of the counts given."""
    from alignlib.errors import InputError

    if args.params and (args.control or args.variant):
        raise InputError("give either a parameters file or --control/--variant counts, not both")
    if args.params:
        return _from_params(args)
    if not args.control or not args.variant:
        raise InputError("give a parameters file, or --control C/N and at least one --variant C/N")
    return _from_counts(args)


def _from_params(args: argparse.Namespace) -> Outcome:
    """Every experiment in the parameters file, with its simulated revenue impact."""
    from alignlib.experiments import analyse_experiments, plan_monthly_volume

    params = learned_params(args)
    readouts = analyse_experiments(
        params,
        alpha=args.alpha,
        correction=args.correction,
        monthly_volume=plan_monthly_volume(params),
        impact=not args.no_impact,
        impact_trials=args.trials,
    )
    data = {
        "quarter": params.quarter,
        "segment": params.segment,
        "experiments": [r.to_dict() for r in readouts],
    }
    if not readouts:
        # nothing to read out: say so on stderr and do not exit 0
        note = f"experiment: {args.params} has no experiments (add them under experiments:)"
        return Outcome(data, f"No experiments in {args.params}.\n", FAILED, (note,))
    return Outcome(data, "\n\n".join(str(r) for r in readouts) + "\n")


def _from_counts(args: argparse.Namespace) -> Outcome:
    """One experiment from ``--control`` and ``--variant`` counts."""
    from alignlib.errors import InputError
    from alignlib.experiments import analyse_experiment

    _, control = _counts(args.control, "--control")
    variants: dict[str, tuple[int, int]] = {}
    for i, text in enumerate(args.variant, start=1):
        name, counts = _counts(text, "--variant")
        name = name or ("variant" if len(args.variant) == 1 else f"variant_{i}")
        if name in variants:
            raise InputError(f"--variant: the name {name!r} is used twice")
        variants[name] = counts
    shares = None
    if args.shares:
        try:
            shares = [float(s) for s in args.shares.split(",")]
        except ValueError:
            raise InputError(
                f"--shares: expected numbers like 0.5,0.5, got {args.shares!r}"
            ) from None
    spec = {
        "name": "readout",
        "stage": args.stage,
        "control": control,
        "variants": variants,
        "expected_shares": shares,
        "planned_n_per_arm": args.planned_n,
    }
    readout = analyse_experiment(spec, alpha=args.alpha, correction=args.correction)
    return Outcome(readout.to_dict(), f"{readout}\n")
