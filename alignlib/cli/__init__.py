"""The ``alignlib`` command: a thin face over the library.

Each verb lives in its own module in this package and exposes
``register(subparsers)``, which adds its sub-parser and sets ``func`` to a
handler ``func(args) -> int``. Handlers import heavy modules lazily so that
``alignlib --help`` stays fast.

No traceback reaches a user: errors they can act on (:class:`alignlib.errors.AlignError`)
and file-system errors (the path and the reason) print one line and exit 2, Ctrl-C prints
"interrupted" and exits 130, and anything else is a bug: its type only (the message could
quote data) and exit 1. ``--debug`` prints the traceback as well. Nothing printed can
drive the terminal: control characters are shown as escapes (:mod:`._terminal`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import traceback
from collections.abc import Sequence

from alignlib import __version__
from alignlib.cli._args import join_dash_values
from alignlib.errors import AlignError
from alignlib.redact import scrub


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every verb found in this package.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
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
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    for sub in subparsers.choices.values():
        # also after the verb; SUPPRESS keeps a leading --debug from being reset
        sub.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
    return parser


def _exit_code(code: object) -> int:
    """The status a ``SystemExit`` (argparse's --help, --version, usage errors) carries."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


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
    from alignlib.cli._terminal import PrintableStream

    # Values from exports reach the terminal as text, never as its commands.
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = PrintableStream(sys.stdout), PrintableStream(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = saved


def _main(argv: Sequence[str] | None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_in[: args_in.index("--") if "--" in args_in else None]
    try:
        parser = build_parser()
        args = parser.parse_args(join_dash_values(parser, args_in))
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except SystemExit as exc:
        return _exit_code(exc.code)
    except KeyboardInterrupt:
        _traceback(debug)
        print("interrupted", file=sys.stderr)
        return 130
    except AlignError as exc:
        _traceback(debug)
        # A path or value the user gave may be a URL with a password in it.
        print(f"error: {scrub(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`alignlib ... | head`): nothing left to tell anyone
        _quiet_stdout()
        return 1
    except MemoryError:
        _traceback(debug)
        print(
            "error: out of memory; use fewer trials or a smaller file "
            "(ALIGNLIB_MEMORY_GB sets the simulations' budget)",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        _traceback(debug)
        print(f"error: {scrub(_os_error_text(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:
        _traceback(debug)
        # the type only: an unexpected exception's message may quote a row of data
        print(
            f"internal error: {type(exc).__name__} (a bug in alignlib"
            + ("" if debug else "; run again with --debug for the traceback")
            + ")",
            file=sys.stderr,
        )
        return 1


def _os_error_text(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    if exc.filename is not None and exc.filename2 is not None:
        return f"{exc.filename} -> {exc.filename2}: {reason}"
    if exc.filename is not None:
        return f"{exc.filename}: {reason}"
    return reason


def _traceback(debug: bool) -> None:
    if debug:
        traceback.print_exc()


def _quiet_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
