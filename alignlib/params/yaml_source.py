"""The strict YAML reader: one file's data and the line of every key path.

Stricter than YAML itself: a key given twice in one mapping and control characters in
keys or values are problems, not silently accepted.

A file that is not a parameters file (``extends: /etc/shadow``) is refused whole, and no
problem quotes anything from it: not its keys, not its values, not the text YAML choked on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from alignlib.errors import DataError, ParamsError, Problem
from alignlib.files import read_bounded_text
from alignlib.params.problems import _capped

#: The largest parameters file read (the shipped ones are a few kB; a learned one with
#: every scenario well under 1 MB). Checked before reading: ``/dev/zero`` never fills memory.
MAX_PARAMS_BYTES = 4 * 1024**2

# C0 and C1 control characters (tab, newline and carriage return are allowed in texts).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# libyaml's parser where the wheel has it (several times faster on large files).
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):
    """A safe YAML loader that notes every key given twice in one mapping (YAML lets the last win)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    self.duplicates.append((key_node.value, seen[key_node.value], line))
                else:
                    seen[key_node.value] = line
        return super().construct_mapping(node, deep)


def _key_lines(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    """Dotted key path -> line, for every key and list item in a YAML node tree (one pass)."""
    lines: dict[str, int] = {}
    stack: list[tuple[yaml.Node, str]] = [(node, prefix)] if node is not None else []
    while stack:
        current, path = stack.pop()
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                key_path = f"{path}.{key_node.value}" if path else str(key_node.value)
                lines.setdefault(key_path, key_node.start_mark.line + 1)
                stack.append((value_node, key_path))
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                item_path = f"{path}.{i}" if path else str(i)
                lines.setdefault(item_path, item.start_mark.line + 1)
                stack.append((item, item_path))
    return lines


def _control_character_problems(data: Any, lines: Mapping[str, int]) -> list[Problem]:
    """Keys and values holding control characters (they hide text and break pages)."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                key_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and _CONTROL.search(key):
                    problems.append(_control_problem(key_path, key, lines, "key"))
                stack.append((item, key_path))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{i}" if path else str(i)) for i, item in enumerate(value))
        elif isinstance(value, str) and _CONTROL.search(value):
            problems.append(_control_problem(path, value, lines, "value"))
    return problems


def _control_problem(path: str, text: str, lines: Mapping[str, int], what: str) -> Problem:
    found = _CONTROL.search(text)
    code = f"U+{ord(found.group()):04X}" if found else "a control character"
    line = lines.get(path)
    where = printable_key(path) + (f" (line {line})" if line else "")
    return Problem(where, f"the {what} holds a control character ({code}); remove it")


#: A key shown in a problem as it is: a name a person typed (a stage, a channel, a typo of
#: a parameters key). Anything else (``root:$6$...``, a line of some other file) is not.
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_][\w .()&+'/-]{0,63}$")

#: What a key that is not a plain name is shown as.
HIDDEN_KEY = "<key not shown>"


def shown_key(key: object) -> str:
    """One key as a problem may show it: a plain name as is, anything else hidden.

    Parameters
    ----------
    key : object
        One key (not a dotted path).

    Returns
    -------
    str
        ``key`` when it is a plain name (letters, digits, spaces, ``_ - . ( ) & + ' /``;
        at most 64 characters), else :data:`HIDDEN_KEY`.
    """
    text = str(key)
    return text if _PLAIN_KEY.match(text) and not _CONTROL.search(text) else HIDDEN_KEY


def looks_like_params(data: Mapping[Any, Any]) -> bool:
    """Whether a mapping read from a file is a parameters file at all (any known top-level key).

    Parameters
    ----------
    data : mapping
        The file's top-level mapping.

    Returns
    -------
    bool
        False for a file none of whose top-level keys is a parameters key: its keys
        and values are then never quoted.
    """
    from alignlib.params.schema import QuarterParams

    known = set(QuarterParams.model_fields)
    return any(isinstance(k, str) and k in known for k in data)


def _yaml_reason(text: str) -> str:
    """A YAML error's reason without the text it quotes (the file may not be params)."""
    # Keep a quoted single character ("found character '\t'"): it helps and reveals nothing.
    return re.sub(r"'[^']{2,}'|\"[^\"]{2,}\"", "'...'", text)


def printable_key(path: str) -> str:
    """A key path safe to print: control characters shown as hex escapes.

    Parameters
    ----------
    path : str
        A dotted key path from a params file.

    Returns
    -------
    str
        The path with control characters escaped.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", path)


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """Read one YAML file: its data and the line of every key path."""
    if not path.exists():
        raise ParamsError(path, [Problem("", "file not found")])
    if path.is_dir():
        raise ParamsError(path, [Problem("", "is a folder, not a YAML file")])
    try:
        text = read_bounded_text(path, MAX_PARAMS_BYTES, what="a parameters file")
    except DataError as exc:
        raise ParamsError(path, [Problem("", exc.reason)]) from None
    except UnicodeDecodeError as exc:
        raise ParamsError(
            path,
            [Problem("", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8")],
        ) from None
    except OSError as exc:
        raise ParamsError(path, [Problem("", f"cannot be read: {exc.strerror}")]) from None
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
        what = _yaml_reason(str(what))
        if isinstance(exc, yaml.reader.ReaderError):
            line = text.count("\n", 0, exc.position) + 1
            where, what = f"line {line}", f"character U+{exc.character:04X} is not allowed"
        raise ParamsError(path, [Problem(where, f"broken YAML: {what}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        raise ParamsError(path, [Problem("", "file is empty")])
    if not isinstance(data, dict):
        raise ParamsError(path, [Problem("", "must be a mapping of keys to values at the top")])
    if data and not looks_like_params(data):
        # Not ours (another program's file, or an `extends:` pointing anywhere): say so,
        # and quote nothing of it.
        raise ParamsError(
            path,
            [
                Problem(
                    "",
                    f"is not a parameters file: none of its {len(data):,} top-level keys is "
                    "a parameters key (quarter, target, conversion_rates, ...); its "
                    "contents are not shown",
                )
            ],
        )
    if loader.duplicates:
        problems = [
            Problem(
                f"line {second}",
                f"key {shown_key(key)!r} is given twice (lines {first} and {second});"
                " YAML would silently keep the second",
            )
            for key, first, second in loader.duplicates
        ]
        raise ParamsError(path, _capped(problems))
    lines = _key_lines(node)
    if problems := _control_character_problems(data, lines):
        raise ParamsError(path, _capped(problems))
    return data, lines
