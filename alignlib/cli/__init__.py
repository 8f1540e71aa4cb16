"""The ``alignlib`` command: a thin face over the library.

Each verb lives in its own module in this package and exposes
``register(subparsers)``, which adds its sub-parser and sets ``func`` to a
handler ``func(args) -> int``. Handlers import heavy modules lazily so that
``alignlib --help`` stays fast. Errors the user can act on
(:class:`alignlib.errors.AlignError`) are printed without a traceback and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from alignlib import __version__
from alignlib.errors import AlignError


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every verb found in this package."""
    parser = argparse.ArgumentParser(
        prog="alignlib",
        description="Plan, simulate, measure and report the sales and marketing funnel.",
    )
    parser.add_argument("--version", action="version", version=f"alignlib {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 ok, 1 failed checks, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except AlignError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
