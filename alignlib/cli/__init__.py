"""The ``alignlib`` command: a thin face over the library.

Each verb lives in its own module in this package and declares ``VERB`` (its name and
help, a :class:`._runner.Verb`), ``options(parser)`` (its arguments) and
``run(args) -> Outcome``: compute, return what was found. Verbs import heavy modules
lazily so that ``alignlib --help`` stays fast.

One runner (:mod:`._runner`) prints every outcome as text or ``--json`` and turns every
failure into one message and an exit status: no traceback reaches a user unless
``--debug``. Nothing printed can drive the terminal: control characters are shown as
escapes (:mod:`._terminal`).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from alignlib import __version__
from alignlib.cli._runner import Parser, add_verb


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every verb found in this package.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = Parser(
        prog="alignlib",
        description="Plan, simulate, measure and report the sales and marketing funnel.",
    )
    parser.add_argument("--version", action="version", version=f"alignlib {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback when something fails"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        if hasattr(module, "VERB"):
            add_verb(subparsers, module)
    for sub in _verb_parsers(parser):
        # also after the verb; SUPPRESS keeps a leading --debug from being reset
        sub.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
    return parser


def _verb_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every verb's parser, and the parsers of a verb's own actions (``warehouse load``)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += [sub, *_verb_parsers(sub)]
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 ok; 1 failed checks or an internal error; 2 bad input, a path problem or a usage
        error; 130 interrupted (Ctrl-C).
    """
    from alignlib.cli._runner import run_command
    from alignlib.cli._terminal import PrintableStream

    # Values from exports reach the terminal as text, never as its commands.
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = PrintableStream(sys.stdout), PrintableStream(sys.stderr)
    try:
        return run_command(build_parser, list(sys.argv[1:] if argv is None else argv))
    finally:
        sys.stdout, sys.stderr = saved


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
