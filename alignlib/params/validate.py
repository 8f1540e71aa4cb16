"""A raw params mapping to :class:`~alignlib.params.schema.QuarterParams`, or its problems.

Pydantic's errors become problems that name the key path, its line in the file and what
is wrong (with a hint for a mistyped key); the cross-field checks run after.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from alignlib.errors import ParamsError, Problem
from alignlib.params.checks import _cross_checks
from alignlib.params.problems import MAX_LISTED_PROBLEMS, _capped, _join, _line_suffix
from alignlib.params.schema import QuarterParams
from alignlib.params.yaml_source import printable_key, shown_key
from alignlib.redact import scrub


def _validate(
    raw: dict[str, Any], path: Path, prefix: str, lines: Mapping[str, int]
) -> QuarterParams:
    try:
        params = QuarterParams.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # Describe only the problems that are listed: a file of 100,000 unknown keys stays fast.
        problems = [
            _problem_from_pydantic(err, prefix, lines) for err in errors[:MAX_LISTED_PROBLEMS]
        ]
        raise ParamsError(path, _capped(problems, total=len(errors))) from None
    problems = [
        Problem(_join(prefix, p.location) + _line_suffix(lines, prefix, p.location), p.message)
        for p in _cross_checks(params)
    ]
    if problems:
        raise ParamsError(path, _capped(problems))
    params._source_path = path
    params._raw = raw
    params._lines = dict(lines)
    return params


def _problem_from_pydantic(
    err: Mapping[str, Any], prefix: str, lines: Mapping[str, int]
) -> Problem:
    # Pydantic adds the union/validator branch names to loc; keep only the key path.
    loc = [str(p) for p in err["loc"] if not str(p).startswith(("function-", "tagged-union"))]
    # The line is looked up by the real keys; a key that is not a plain name is not shown.
    line = _line_suffix(lines, prefix, printable_key(".".join(loc)))
    location = ".".join(shown_key(p) for p in loc)
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        key = loc[-1] if loc else ""
        allowed = _allowed_keys(loc[:-1])
        hint = difflib.get_close_matches(key, allowed, n=1)
        message = "unknown key" + (f"; did you mean {hint[0]!r}?" if hint else "")
        allowed = allowed if len(allowed) <= 30 else []
        if allowed:
            message += f" (allowed: {', '.join(sorted(allowed))})"
    elif kind == "missing":
        message = "required key is missing"
    else:
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if (
            "input" in err
            and kind not in ("model_type", "dict_type")
            and not isinstance(err["input"], dict | list)
        ):
            # A URL may carry a password: never quote one unmasked.
            message += f" (got {scrub(repr(err['input']))})"
    return Problem(_join(prefix, location) + line, message)


def _allowed_keys(loc: list[str]) -> list[str]:
    """Keys allowed in the mapping found at key path ``loc`` (empty if not a model)."""
    annotation: Any = QuarterParams
    for part in loc:
        annotation = _unwrap(annotation)
        origin = typing.get_origin(annotation)
        if origin in (dict, Mapping):
            annotation = typing.get_args(annotation)[1]  # ``part`` is a key of the mapping
        elif origin in (tuple, list):
            annotation = typing.get_args(annotation)[0]  # ``part`` is an index
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            if field is None:
                return []
            annotation = field.annotation
        else:
            return []
    annotation = _unwrap(annotation)
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return []
    fields = annotation.model_fields
    return [f.alias or name for name, f in fields.items() if name != "extends"]


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the type that holds keys."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation
