"""The one runner every verb goes through: its result, its errors, ``--json``, exit codes.

A verb is a function ``run(args) -> Outcome``: it reads its options, computes, and returns
what it found. This module prints an :class:`Outcome` as text or as one JSON object, and
turns whatever went wrong into one message, the same way for every verb:

- an error the user can act on (:class:`alignlib.errors.AlignError`: the file, the field,
  what is wrong) or a usage error: ``error: ...``, exit 2;
- a file-system error: the path and the reason, exit 2;
- Ctrl-C: ``interrupted``, exit 130; out of memory: what to lower, exit 1;
- anything else is a bug: its type only (the message could quote a row of data), exit 1.

With ``--json`` an error is also one JSON object on stdout (:func:`error_object`), so a
script reads it as it reads a result; ``--debug`` prints the traceback as well.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, NoReturn

from alignlib.cli._docs import ADD_OPTION, ARGS
from alignlib.docstrings import shared_doc
from alignlib.errors import AlignError, DataError, ParamsError
from alignlib.redact import scrub

#: Exit statuses: the command did what it was asked.
OK = 0
#: A check the command ran failed (a report did not render), or a bug.
FAILED = 1
#: Bad input: a usage error, a file or value that cannot be used, nothing accepted.
BAD_INPUT = 2
#: Interrupted (Ctrl-C).
INTERRUPTED = 130


@dataclass(frozen=True)
class Outcome:
    """What a verb found: one JSON object, the text that says it, and the exit status.

    Attributes
    ----------
    data : Mapping
        What ``--json`` prints (one object; the verb's JSON contract).
    text : str
        What is printed without ``--json`` (ends with a newline, or is empty).
    code : int
        The exit status: :data:`OK`, :data:`FAILED` or :data:`BAD_INPUT`.
    notes : tuple of str
        Lines for stderr in both modes, as printed (``ingest: ...``): why the status
        is not 0.
    """

    data: Mapping[str, Any]
    text: str
    code: int = OK
    notes: tuple[str, ...] = ()


class Text:
    """The text of an outcome, built line by line as the verbs used to print it."""

    def __init__(self) -> None:
        self._lines: list[str] = []

    def line(self, text: str = "") -> None:
        """Add a line (or an empty one).

        Parameters
        ----------
        text : str
            May hold newlines.
        """
        self._lines.append(text)

    def heading(self, text: str) -> None:
        """Add a section heading: an empty line, the heading, dashes under it.

        Parameters
        ----------
        text : str
            The heading.
        """
        self._lines += ["", text, "-" * len(text)]

    def table(self, frame: Any, formats: Any = None, *, currency: str = "USD") -> None:
        """Add a table written by :func:`alignlib.cli._output.table_text`.

        Parameters
        ----------
        frame : DataFrame
            The table.
        formats : mapping, optional
            Column -> format kind or callable.
        currency : str
            ISO code for ``money`` columns.
        """
        from alignlib.cli._output import table_text

        self._lines.append(table_text(frame, formats, currency=currency))

    def __str__(self) -> str:
        return "".join(f"{line}\n" for line in self._lines)


class UsageError(AlignError):
    """An argument argparse refused; its usage line has been printed already."""

    def __init__(self, prog: str, message: str):
        self.prog = prog
        self.message = message
        super().__init__(f"{prog}: error: {message}")


class Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors reach the runner instead of exiting."""

    def error(self, message: str) -> NoReturn:
        """Print the usage line and raise :class:`UsageError`.

        Parameters
        ----------
        message : str
            What argparse refused.
        """
        self.print_usage(sys.stderr)
        raise UsageError(self.prog, message)


@dataclass(frozen=True)
class Verb:
    """A verb's name and what ``--help`` says of it; its module has ``options`` and ``run``.

    Attributes
    ----------
    name : str
        The verb as typed (``sample-size``).
    text : str
        Its help: the first line for the list of verbs, the rest, after an empty line, for
        its own ``--help`` (argparse re-flows it).
    json_help : str or None
        Help of its ``--json``; None: ``options`` adds it where it belongs (a verb with
        actions of its own, ``warehouse load``).
    """

    name: str
    text: str
    json_help: str | None = "print one JSON object"

    @property
    def help(self) -> str:
        """The one line for the list of verbs."""
        return self.text.strip().split("\n\n", 1)[0]

    @property
    def description(self) -> str:
        """The text of the verb's own ``--help``, on one line (argparse re-flows it)."""
        return " ".join(self.text.strip().split("\n\n", 1)[-1].split())


def add_verb(subparsers: argparse._SubParsersAction, module: ModuleType) -> None:
    """Add the verb a module declares (``VERB``, ``options(parser)``, ``run(args)``).

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The CLI's sub-command parsers.
    module : module
        The verb's module.
    """
    verb: Verb = module.VERB
    parser = subparsers.add_parser(verb.name, help=verb.help, description=verb.description)
    module.options(parser)
    if verb.json_help is not None:
        add_json(parser, verb.json_help)
    # looked up when it runs, so a test can stand in for a verb's run
    parser.set_defaults(func=lambda args: module.run(args))


@ADD_OPTION
def add_json(parser: argparse.ArgumentParser, help: str = "print one JSON object") -> None:
    """``--json``: print the outcome (or the error) as one JSON object."""
    parser.add_argument("--json", action="store_true", help=help)


@shared_doc(parameters=ARGS)
def check_common_options(args: argparse.Namespace) -> None:
    """Refuse a ``--trials`` below 1 or a ``--seed`` below 0, whichever verb takes them.

    Raises
    ------
    InputError
        Naming the option and the value.
    """
    from alignlib.errors import InputError

    trials = getattr(args, "trials", None)
    if trials is not None and trials < 1:
        raise InputError(f"--trials: {trials} must be a whole number > 0")
    seed = getattr(args, "seed", None)
    if seed is not None and seed < 0:
        raise InputError(f"--seed: {seed} must be a whole number >= 0")


def emit(outcome: Outcome, *, as_json: bool, mask: Callable[[str], str] = str) -> int:
    """Print an outcome as text or JSON (its notes on stderr); return its exit status.

    Parameters
    ----------
    outcome : Outcome
        What the verb found.
    as_json : bool
        ``--json`` was given.
    mask : callable
        Applied to everything printed: hides the secrets of the command line's URLs
        (:func:`command_line_mask`).

    Returns
    -------
    int
    """
    from alignlib.format import to_json

    sys.stdout.write(mask(to_json(outcome.data) + "\n" if as_json else outcome.text))
    for note in outcome.notes:
        print(mask(scrub(note)), file=sys.stderr)
    return outcome.code


def command_line_mask(argv: Sequence[str]) -> Callable[[str], str]:
    """A function that hides the secrets of every URL on the command line.

    A path argument that is a URL (``postgresql://u:pw@host/db``) reaches messages as a
    ``Path``, which folds ``//`` to ``/``: no longer a URL to :func:`alignlib.redact.scrub`,
    but its password is still the password.

    Parameters
    ----------
    argv : sequence of str
        The command line.

    Returns
    -------
    callable
        ``text -> text`` with each secret replaced by ``***``.
    """
    from alignlib.redact import MASK, url_secrets

    secrets: list[str] = []
    for token in argv:
        value = token.partition("=")[2] if token.startswith("-") else token
        if "://" in value:
            secrets += url_secrets(value)

    def mask(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, MASK)
        return text

    return mask


def error_object(exc: BaseException, message: str, code: int) -> dict[str, Any]:
    """The JSON a failed command prints with ``--json``: what failed, where, and the status.

    Parameters
    ----------
    exc : BaseException
        What was raised.
    message : str
        What the line on stderr says (scrubbed; for a bug its type only).
    code : int
        The exit status.

    Returns
    -------
    dict
        ``{"ok": false, "exit_code": ..., "error": {"type", "message", "file"?,
        "problems"?}}``; ``problems`` lists a params file's ``{"location", "message"}``.
    """
    error: dict[str, Any] = {"type": type(exc).__name__, "message": message}
    if isinstance(exc, ParamsError | DataError):
        error["file"] = scrub(str(exc.path))
    if isinstance(exc, ParamsError):
        error["problems"] = [
            {"location": p.location, "message": scrub(p.message)} for p in exc.problems
        ]
    if isinstance(exc, OSError) and exc.filename is not None:
        error["file"] = scrub(str(exc.filename))
    return {"ok": False, "exit_code": code, "error": error}


def _flag(argv: Sequence[str], flag: str) -> bool:
    """Whether ``flag`` is on the command line before any ``--``."""
    return flag in argv[: argv.index("--") if "--" in argv else None]


def run_command(build: Callable[[], argparse.ArgumentParser], argv: Sequence[str]) -> int:
    """Parse, run the verb, print its outcome or its error; return the exit status.

    Parameters
    ----------
    build : callable
        Builds the top-level parser (its verbs' ``func`` return an :class:`Outcome`).
    argv : sequence of str
        The command line after the program name.

    Returns
    -------
    int
        0 ok; 1 failed checks or a bug; 2 bad input, a path problem or a usage error;
        130 interrupted.
    """
    from alignlib.cli._args import join_dash_values

    # read before parsing: a usage error is reported the way the user asked for too
    debug, as_json = _flag(argv, "--debug"), _flag(argv, "--json")
    mask = command_line_mask(argv)
    try:
        parser = build()
        args = parser.parse_args(join_dash_values(parser, argv))
        if not getattr(args, "func", None):
            parser.print_help()
            return BAD_INPUT
        as_json = bool(getattr(args, "json", False))
        check_common_options(args)
        return emit(args.func(args), as_json=as_json, mask=mask)
    except SystemExit as exc:
        return _exit_code(exc.code)
    except BrokenPipeError:
        # the reader went away (`alignlib ... | head`): nothing left to tell anyone
        _quiet_stdout()
        return FAILED
    except (KeyboardInterrupt, Exception) as exc:
        code, message = _failure(exc, debug)
        if debug:
            traceback.print_exc()
        message = mask(message)
        print(message, file=sys.stderr)
        if as_json:
            error = error_object(exc, message.removeprefix("error: "), code)
            emit(Outcome(error, "", code), as_json=True, mask=mask)
        return code


def _failure(exc: BaseException, debug: bool) -> tuple[int, str]:
    """The exit status and the one line that say what went wrong."""
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED, "interrupted"
    if isinstance(exc, UsageError):
        return BAD_INPUT, str(exc)
    if isinstance(exc, AlignError):
        # A path or value the user gave may be a URL with a password in it.
        return BAD_INPUT, f"error: {scrub(str(exc))}"
    if isinstance(exc, MemoryError):
        return FAILED, (
            "error: out of memory; use fewer trials or a smaller file "
            "(ALIGNLIB_MEMORY_GB sets the simulations' budget)"
        )
    if isinstance(exc, OSError):
        return BAD_INPUT, f"error: {scrub(_os_error_text(exc))}"
    # the type only: an unexpected exception's message may quote a row of data
    return FAILED, (
        f"internal error: {type(exc).__name__} (a bug in alignlib"
        + ("" if debug else "; run again with --debug for the traceback")
        + ")"
    )


def _exit_code(code: object) -> int:
    """The status a ``SystemExit`` (argparse's --help, --version) carries."""
    if code is None:
        return OK
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return FAILED


def _os_error_text(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    if exc.filename is not None and exc.filename2 is not None:
        return f"{exc.filename} -> {exc.filename2}: {reason}"
    if exc.filename is not None:
        return f"{exc.filename}: {reason}"
    return reason


def _quiet_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
