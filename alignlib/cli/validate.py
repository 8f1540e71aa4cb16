"""``alignlib validate PARAMS.yaml ...``: check parameters files and say what is wrong."""

from __future__ import annotations

import argparse
import sys


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
    from alignlib.params import load_params

    failed = 0
    for path in args.params:
        try:
            p = load_params(path)
        except ParamsError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
            continue
        print(
            f"ok: {path} ({p.quarter}, segment {p.segment}: {len(p.stages)} stages, "
            f"{len(p.channels)} channels, {len(p.scenarios)} scenarios, "
            f"{len(p.experiments)} experiments)"
        )
    return 2 if failed else 0
