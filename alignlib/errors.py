"""Errors a user can act on.

Every error raised for bad input derives from :class:`AlignError`; the CLI
prints its message (no traceback) and exits with status 2. Messages name the
file, the field (a dotted key path or a column) and what was wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class AlignError(Exception):
    """Base class for errors caused by the user's input, not by a bug."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what is wrong.

    Attributes
    ----------
    location : str
        Dotted key path (``conversion_rates.mql``), ``line 12`` or a column name.
    message : str
        What is wrong, in words a revenue-operations analyst understands.
    """

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class ParamsError(AlignError):
    """A parameters file is missing, unreadable, or fails validation."""

    def __init__(self, path: str | Path, problems: Sequence[Problem]):
        self.path = Path(path)
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{self.path}: {len(self.problems)} problem(s)\n{lines}")


class InputError(AlignError):
    """A value passed to a calculation makes no sense (e.g. converted > total)."""


class DataError(AlignError):
    """A data file (CRM export, spend file, experiment export) cannot be used."""

    def __init__(self, path: str | Path, message: str):
        self.path = Path(path)
        #: What was wrong, without the path.
        self.reason = message
        super().__init__(f"{self.path}: {message}")
