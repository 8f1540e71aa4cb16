"""Numpydoc sections that a family of functions shares, written once (as pandas' ``@doc``).

Many functions take the same object and say the same of it: every section of the SLA
agreement takes the agreement and returns its HTML, every CRM metric takes the normalised
table and the stages to use. :func:`shared_doc` writes those entries once per family and
adds them to each function's docstring, in numpydoc's section order and, for parameters,
in the order of the function's signature, so ``help()`` and the API pages read as if every
docstring had been written out in full.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T", bound=Callable[..., Any])

#: numpydoc's sections, in the order a docstring gives them.
SECTION_ORDER = (
    "Parameters",
    "Attributes",
    "Returns",
    "Yields",
    "Receives",
    "Other Parameters",
    "Raises",
    "Warns",
    "Warnings",
    "See Also",
    "Notes",
    "References",
    "Examples",
)

_INDENT = "    "


def shared_doc(
    *,
    parameters: Mapping[str, str] | None = None,
    returns: Mapping[str, str] | None = None,
    attributes: Mapping[str, str] | None = None,
) -> Callable[[T], T]:
    """A decorator that adds the family's shared Parameters, Returns or Attributes entries.

    Parameters
    ----------
    parameters : mapping of str to str, optional
        ``"name : type"`` (or ``"start, end : type"``) to its description, for the
        parameters a family of functions shares. A function whose own docstring documents
        more parameters keeps them: the entries are merged into one Parameters section,
        ordered as the signature orders them.
    returns : mapping of str to str, optional
        ``"type"`` (or ``"name : type"``) to its description, when the family returns the
        same kind of thing. A function with a Returns section of its own keeps it.
    attributes : mapping of str to str, optional
        The same for the attributes a family of classes shares, merged into the class's
        Attributes section in the order of its fields (a dataclass) or after its own.

    Returns
    -------
    callable
        The decorator; it returns the function or class itself with its ``__doc__``
        completed.

    Raises
    ------
    TypeError
        When a shared entry names a parameter the signature lacks, or an attribute that is
        not a field of the dataclass (the shared text would document what does not exist).
    """
    shared = {
        "Parameters": dict(parameters or {}),
        "Attributes": dict(attributes or {}),
    }
    shared_returns = dict(returns or {})

    def decorate(obj: T) -> T:
        sections = _sections(inspect.cleandoc(obj.__doc__ or ""))
        for title, entries_shared in shared.items():
            if not entries_shared:
                continue
            names = _names_of(obj, title)
            own = _entries(sections.get(title, []))
            added = [[key, _INDENT + text] for key, text in entries_shared.items()]
            if names is not None:
                missing = [e[0] for e in added if not set(_names(e[0])) <= set(names)]
                if missing:
                    raise TypeError(
                        f"{obj.__qualname__}: shared docstring names {missing}, "
                        f"which are not among its {title.lower()} {names}"
                    )
            merged = own + added if names is None else _ordered(own, added, names)
            sections[title] = [line for entry in merged for line in entry]
        if shared_returns and "Returns" not in sections:
            sections["Returns"] = [
                line for key, text in shared_returns.items() for line in (key, _INDENT + text)
            ]
        obj.__doc__ = _join(sections)
        return obj

    return decorate


def _ordered(own: list[list[str]], added: list[list[str]], names: list[str]) -> list[list[str]]:
    """Own and shared entries merged in the order of ``names``.

    An own entry that names none of them (a property documented among a dataclass's
    fields) keeps its place after the entry before it.
    """
    keyed: list[tuple[float, list[str]]] = []
    last = -1.0
    for entry in own:
        first = _names(entry[0])[0]
        last = float(names.index(first)) if first in names else last + 1e-3
        keyed.append((last, entry))
    keyed += [(float(names.index(_names(e[0])[0])), e) for e in added]
    keyed.sort(key=lambda pair: pair[0])
    return [entry for _, entry in keyed]


def _names_of(obj: Any, title: str) -> list[str] | None:
    """The names a section's entries must come from, in order (None: any, in given order)."""
    if title == "Parameters":
        return list(inspect.signature(obj).parameters)
    if dataclasses.is_dataclass(obj):
        return [f.name for f in dataclasses.fields(obj)]
    return None


def _names(entry_head: str) -> list[str]:
    """The names in an entry's first line (``"table : pandas.DataFrame"``, ``"a, b : float"``)."""
    return [n.strip().lstrip("*") for n in entry_head.split(":", 1)[0].split(",")]


def _sections(doc: str) -> dict[str, list[str]]:
    """A cleaned docstring split into its text before the sections and each section's lines.

    The text before the first section is stored under the key ``""``; the lines of a
    section exclude its header and underline.
    """
    lines = doc.splitlines()
    sections: dict[str, list[str]] = {"": []}
    current = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        underline = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() in SECTION_ORDER and underline.strip() and set(underline.strip()) == {"-"}:
            current = line.strip()
            sections[current] = []
            i += 2
            continue
        sections[current].append(line)
        i += 1
    return {key: _trim(value) for key, value in sections.items()}


def _trim(lines: list[str]) -> list[str]:
    """The lines without blank lines at either end."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _entries(lines: list[str]) -> list[list[str]]:
    """A Parameters section's lines grouped into entries (an unindented head line and its text)."""
    entries: list[list[str]] = []
    for line in lines:
        if line and not line.startswith(" "):
            entries.append([line])
        elif entries:
            entries[-1].append(line)
    return entries


def _join(sections: dict[str, list[str]]) -> str:
    """The docstring again from its parts, sections in numpydoc's order."""
    parts = ["\n".join(sections.get("", []))]
    for title in SECTION_ORDER:
        if title in sections:
            body = "\n".join(sections[title])
            parts.append(f"{title}\n{'-' * len(title)}\n{body}")
    return "\n\n".join(part for part in parts if part)


#: The entry the whole package shares: the validated parameters file a function works from.
PARAMS = {"params : QuarterParams": "Validated parameters."}
#: A function that takes the validated parameters (:data:`PARAMS`) and nothing else shared.
PARAMS_DOC = shared_doc(parameters=PARAMS)
#: A dataclass that holds the funnel's stages.
STAGES_DOC = shared_doc(attributes={"stages : tuple of str": "Stage names, top to bottom."})
#: A dataclass that holds the quarter's bookings target.
TARGET_DOC = shared_doc(attributes={"target : float": "Bookings target."})
