"""``alignlib sample``: regenerate the deterministic sample CRM and spend exports."""

from __future__ import annotations

import argparse

from alignlib.cli._runner import Outcome, Verb

DESCRIPTION = """\
write the sample HubSpot, Salesforce and spend files

Write the deterministic sample exports (same seed, same bytes).
"""

VERB = Verb("sample", DESCRIPTION, json_help="print the written paths as JSON")


def options(parser: argparse.ArgumentParser) -> None:
    """The ``sample`` options."""
    parser.add_argument("--out", required=True, help="folder to write into (e.g. data/sample)")
    parser.add_argument("--seed", type=int, default=2026, help="generator seed (default 2026)")


def run(args: argparse.Namespace) -> Outcome:
    """Write the sample files; the outcome lists them."""
    from alignlib.cli._args import check_output_folder
    from alignlib.sample import write_sample

    check_output_folder(args.out, "--out")
    files = write_sample(args.out, seed=args.seed).to_dict()
    return Outcome(files, "".join(f"{role:26s} {path}\n" for role, path in files.items()))
