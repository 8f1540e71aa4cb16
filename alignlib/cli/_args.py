"""Checks the verbs share: option values that start with '-', scheduler addresses, paths.

Paths are checked before any work starts, so a bad ``--out`` or ``--rejects`` is a one-line
error and nothing is left half-written.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alignlib.cli._docs import PARSER
from alignlib.docstrings import shared_doc
from alignlib.errors import InputError

#: An ``argparse`` type: the option's value to check and convert.
_OPTION_TYPE = shared_doc(parameters={"text : str": "The option's value, as typed."})
#: The checks of an output path, run before any work starts.
_OUTPUT_CHECK = shared_doc(returns={"Path": "``path`` as a Path."})

_ADDRESS = re.compile(
    r"^(?:(?:tcp|tls|ucx|ws|wss)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})$"
)


@_OPTION_TYPE
def scheduler_address(text: str) -> str:
    """An argparse type: a dask scheduler address ``tcp://host:port`` or ``host:port``.

    Returns
    -------
    str
        ``text``, unchanged.
    """
    match = _ADDRESS.match(text.strip())
    if not match or not 0 < int(match["port"]) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not an address like tcp://127.0.0.1:8786")
    return text.strip()


def _subparser(
    parser: argparse.ArgumentParser, argv: Sequence[str]
) -> tuple[int, argparse.ArgumentParser] | None:
    """The verb's sub-parser and the index of the verb in ``argv``, if a verb is given."""
    verbs: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            verbs = dict(action.choices)
    for i, token in enumerate(argv):
        if token == "--":
            return None
        if token in verbs:
            return i, verbs[token]
        if not token.startswith("-"):
            return None
    return None


def join_dash_values(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``--control -1/10`` as ``--control=-1/10``: let option values start with '-'.

    argparse takes a value starting with '-' (other than a plain negative number) for an
    option and stops with "expected one argument"; joining it to its option lets the
    option's own check say what is wrong with it. Only values that are not one of the
    verb's options (or a prefix of one) are joined.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The top-level parser.
    argv : sequence of str
        The command line after the program name.

    Returns
    -------
    list of str
    """
    out = list(argv)
    found = _subparser(parser, out)
    if found is None:
        return out
    start, sub = found
    takes_value = {
        opt
        for action in sub._actions
        if action.option_strings and action.nargs is None and action.const is None
        for opt in action.option_strings
    }
    known = [opt for action in sub._actions for opt in action.option_strings]
    i = start + 1
    while i < len(out) - 1:
        token, value = out[i], out[i + 1]
        if token == "--":
            break
        if (
            token in takes_value
            and value.startswith("-")
            and value != "--"
            and not any(opt.startswith(value.split("=", 1)[0]) for opt in known)
        ):
            out[i : i + 2] = [f"{token}={value}"]
        i += 1
    return out


def _nearest_folder(start: Path, path: Path, option: str) -> Path:
    """The nearest existing path at or above ``start``; an error naming ``path`` when it is a file."""
    existing = next(
        (c for c in (start, *start.parents) if c.exists() or c.is_symlink()), Path.cwd()
    )
    if not existing.is_dir():
        raise InputError(f"{option} {path}: {existing} is a file, not a folder")
    return existing


@_OUTPUT_CHECK
def check_output_folder(path: str | Path, option: str) -> Path:
    """Refuse an output folder that is a file, sits under a file, or cannot be written.

    Parameters
    ----------
    path : str or Path
        The folder (it need not exist yet).
    option : str
        The option named in errors (``--out``).

    Raises
    ------
    InputError
        Naming the option, the path and what is wrong.
    """
    p = Path(path)
    if str(path).strip() == "":
        raise InputError(f"{option}: give a folder (the value is empty)")
    if p.exists() and not p.is_dir():
        raise InputError(f"{option} {p} is a file, not a folder")
    existing = _nearest_folder(p, p, option)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"{option} {p}: not writable ({existing} is read-only for you)")
    return p


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file (through links, ``..`` and hard links).

    Parameters
    ----------
    a, b : str or Path
        Paths; either may not exist yet.

    Returns
    -------
    bool
    """
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return Path(a).resolve() == Path(b).resolve()


@_OUTPUT_CHECK
def check_output_file(
    path: str | Path, option: str, *, inputs: Sequence[tuple[str, str | Path | None]] = ()
) -> Path:
    """Refuse an output file that is a folder, sits under a file, cannot be written, or is an input.

    Parameters
    ----------
    path : str or Path
        The file (it need not exist yet).
    option : str
        The option named in errors (``--rejects``).
    inputs : sequence of (str, path or None)
        ``(what, path)`` of every file the command reads: writing one of them would
        replace the data being read (``ingest X --rejects X``).

    Raises
    ------
    InputError
        Naming the option, the path and what is wrong.
    """
    p = Path(path)
    if str(path).strip() == "" or str(path).endswith(("/", os.sep)):
        raise InputError(f"{option}: give a file name, not {str(path)!r}")
    for what, given in inputs:
        if given is not None and str(given).strip() and same_file(p, given):
            raise InputError(f"{option} {p} is {what} this command reads; write it to another file")
    if p.is_dir():
        raise InputError(f"{option} {p} is a folder; give a file name inside it")
    existing = _nearest_folder(p.parent, p, option)
    target = p if p.exists() else existing
    if not os.access(target, os.W_OK | (0 if target is p else os.X_OK)):
        raise InputError(f"{option} {p}: not writable")
    return p


@_OPTION_TYPE
def share(text: str) -> float:
    """A share from ``0.5`` or ``50%``, in [0, 1] (an ``argparse`` type).

    Returns
    -------
    float
    """
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share (use 0.5 or 50%)") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 1 (0% and 100%)")
    return value


_MAX_REJECTED_HELP = (
    "largest rejected share of the export (and of any stage) before exiting 2, "
    "as 0.5 or 50%% (default: the file's actuals.max_rejected, else 50%%)"
)


@shared_doc(parameters=PARSER)
def add_max_rejected(parser: argparse.ArgumentParser, help: str = _MAX_REJECTED_HELP) -> None:
    """``--max-rejected SHARE``: the rejected-share limit of every verb that reads actuals.

    Parameters
    ----------
    help : str
        Its help text (``ingest`` reads no parameters file's limit).
    """
    parser.add_argument(
        "--max-rejected",
        type=share,
        default=None,
        metavar="SHARE",
        help=help,
    )


def as_of_date(text: str, option: str = "--as-of") -> Any:
    """A date option's value as a Timestamp.

    Parameters
    ----------
    text : str
        As typed (``2026-11-15``).
    option : str
        The option named in the error.

    Returns
    -------
    pandas.Timestamp

    Raises
    ------
    InputError
        When it is not a date ('' and 'NaT' are not).
    """
    import pandas as pd

    try:
        value = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        value = pd.NaT
    if pd.isna(value):
        raise InputError(f"{option}: {text!r} is not a date (use YYYY-MM-DD)")
    return value


@shared_doc(parameters=PARSER)
def add_trials_and_seed(
    parser: argparse.ArgumentParser, trials_help: str = "simulated quarters (default: the file's)"
) -> None:
    """``--trials N`` and ``--seed N`` of a verb that simulates (the runner checks both).

    Parameters
    ----------
    trials_help : str
        What a trial is, and the default.
    """
    parser.add_argument("--trials", type=int, help=trials_help)
    parser.add_argument("--seed", type=int, help="random seed (default: the file's)")
