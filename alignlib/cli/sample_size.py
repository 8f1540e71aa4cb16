"""``alignlib sample-size``: leads per arm (and weeks) an experiment on one stage needs."""

from __future__ import annotations

import argparse

from alignlib.cli._runner import Outcome, Verb

DESCRIPTION = """\
leads per arm to detect a change in a stage's conversion rate

Leads per arm to detect an absolute change MDE from a BASELINE conversion rate (normal
approximation: pooled variance under the null, unpooled under the alternative, no continuity
correction, rounded up), and the run time from the stage's monthly volume. With --n-per-arm
instead of --mde: the smallest detectable change for that sample.
"""

VERB = Verb("sample-size", DESCRIPTION)


def options(parser: argparse.ArgumentParser) -> None:
    """The ``sample-size`` options."""
    parser.add_argument(
        "--baseline", type=float, required=True, help="control conversion rate, e.g. 0.2"
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--mde", type=float, help="absolute change to detect, e.g. 0.05 = 5 percentage points"
    )
    what.add_argument(
        "--n-per-arm", type=int, help="leads per arm you have: print the detectable change"
    )
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")
    parser.add_argument("--power", type=float, default=0.8, help="power (0.8)")
    parser.add_argument("--one-sided", action="store_true", help="one-sided test")
    parser.add_argument(
        "--monthly-volume", type=float, help="leads entering the stage per month (run time)"
    )
    parser.add_argument("--arms", type=int, default=2, help="arms sharing the volume (2)")
    parser.add_argument(
        "--share", type=float, default=1.0, help="share of the stage's volume enrolled (1.0)"
    )


def run(args: argparse.Namespace) -> Outcome:
    """Leads per arm for ``--mde`` (or the change ``--n-per-arm`` detects), and the weeks."""
    from alignlib.experiments import minimum_detectable_effect, sample_size_per_arm, weeks_to_run

    two_sided = not args.one_sided
    if args.n_per_arm is None:
        size = sample_size_per_arm(
            args.baseline,
            args.mde,
            args.alpha,
            args.power,
            two_sided,
            monthly_volume=args.monthly_volume,
            arms=args.arms,
            share_in_experiment=args.share,
        )
        return Outcome(size.to_dict(), f"{size}\n")
    result = minimum_detectable_effect(
        args.baseline, args.n_per_arm, args.alpha, args.power, two_sided
    )
    if args.monthly_volume is None:
        return Outcome(result.to_dict(), f"{result}\n")
    weeks = weeks_to_run(
        args.n_per_arm, args.monthly_volume, args.arms, share_in_experiment=args.share
    )
    data = {**result.to_dict(), "monthly_volume": args.monthly_volume, "weeks": weeks}
    text = f"{result}\n  at {args.monthly_volume:,.0f} leads a month into the stage: {weeks:.1f} weeks\n"
    return Outcome(data, text)
