"""``alignlib sample``: regenerate the deterministic sample CRM and spend exports."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sample`` verb."""
    p = subparsers.add_parser(
        "sample",
        help="write the sample HubSpot, Salesforce and spend files",
        description="Write the deterministic sample exports (same seed, same bytes).",
    )
    p.add_argument("--out", required=True, help="folder to write into (e.g. data/sample)")
    p.add_argument("--seed", type=int, default=2026, help="generator seed (default 2026)")
    p.add_argument("--json", action="store_true", help="print the written paths as JSON")
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Write the sample files and list them."""
    from alignlib.cli._args import check_output_folder
    from alignlib.errors import InputError
    from alignlib.sample import write_sample

    if args.seed < 0:
        raise InputError(f"--seed: {args.seed} must be a whole number >= 0")
    check_output_folder(args.out, "--out")
    files = write_sample(args.out, seed=args.seed)
    if args.json:
        print(json.dumps(files.to_dict()))
    else:
        for role, path in files.to_dict().items():
            print(f"{role:26s} {path}")
    return 0
