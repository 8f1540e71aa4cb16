"""Problem lists: how many are listed, and the key path and line each one names."""

from __future__ import annotations

from collections.abc import Mapping

from alignlib.errors import Problem

#: Problems listed one by one before the rest are counted in one line.
MAX_LISTED_PROBLEMS = 50


def _capped(problems: list[Problem], total: int | None = None) -> list[Problem]:
    """The first :data:`MAX_LISTED_PROBLEMS` problems, the rest (of ``total``) in one line."""
    total = len(problems) if total is None else total
    if total <= MAX_LISTED_PROBLEMS:
        return problems
    rest = total - MAX_LISTED_PROBLEMS
    return [*problems[:MAX_LISTED_PROBLEMS], Problem("", f"... and {rest:,} more problems")]


def _join(prefix: str, location: str) -> str:
    return f"{prefix}.{location}" if prefix and location else prefix or location


def _line_suffix(lines: Mapping[str, int], prefix: str, location: str) -> str:
    """`` (line N)`` for a key path: the deepest key of it found in the file, else ``""``.

    A scenario's problem is looked up under its ``scenarios.<name>.overrides`` first, then
    in the base values it did not override.
    """
    if not location:
        return ""
    parts = location.split(".")
    for root in ([prefix] if prefix else []) + [""]:
        for n in range(len(parts), 0, -1):
            key = ".".join(parts[:n])
            line = lines.get(f"{root}.{key}" if root else key)
            if line is not None:
                return f" (line {line})"
    return ""
