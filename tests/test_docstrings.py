"""Shared numpydoc sections: merged in order, and every docstring agrees with its signature."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import alignlib
from alignlib.docstrings import _entries, _name, _sections, shared_doc

_TABLE = shared_doc(
    parameters={
        "table : pandas.DataFrame": "Normalised CRM table.",
        "stage_names : sequence of str, optional": "Stages to use.",
    },
    returns={"pandas.DataFrame": "One row per stage."},
)


@_TABLE
def _by_month(table, *, stage_names=None, freq="MS"):
    """Stage counts by month.

    Parameters
    ----------
    freq : str
        Period alias.

    Notes
    -----
    Months with no lead are left out.
    """


@_TABLE
def _won(table, stage_names=None):
    """Wins per stage.

    Returns
    -------
    int
        Wins.
    """


def test_shared_parameters_merge_in_signature_order_before_returns_and_notes():
    doc = _by_month.__doc__
    sections = _sections(doc)
    assert list(sections) == ["", "Parameters", "Returns", "Notes"]
    heads = [entry[0] for entry in _entries(sections["Parameters"])]
    assert heads == [
        "table : pandas.DataFrame",
        "stage_names : sequence of str, optional",
        "freq : str",
    ]
    assert sections["Returns"] == ["pandas.DataFrame", "    One row per stage."]
    assert sections["Notes"] == ["Months with no lead are left out."]
    assert doc.startswith("Stages counts"[:5])


def test_a_returns_section_of_its_own_is_kept():
    assert _sections(_won.__doc__)["Returns"] == ["int", "    Wins."]


def test_a_shared_parameter_the_signature_lacks_is_refused():
    with pytest.raises(TypeError, match="not among its parameters"):

        @_TABLE
        def _no_stages(table):
            """Nothing."""


def _public_callables():
    for info in pkgutil.walk_packages(alignlib.__path__, "alignlib."):
        if ".notebooks" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != info.name:
                continue
            if inspect.isfunction(obj):
                yield f"{info.name}.{name}", obj
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if inspect.isfunction(member) and not attr.startswith("_"):
                        yield f"{info.name}.{name}.{attr}", member


def test_every_documented_parameter_list_is_the_signature():
    checked, wrong = 0, []
    for qualname, func in _public_callables():
        sections = _sections(inspect.cleandoc(func.__doc__ or ""))
        if "Parameters" not in sections:
            continue
        checked += 1
        documented = [_name(e[0]) for e in _entries(sections["Parameters"])]
        documented = [n for part in documented for n in (p.strip() for p in part.split(","))]
        signature = [
            n for n in inspect.signature(func).parameters if n not in ("self", "cls")
        ]
        if documented != signature:
            wrong.append(f"{qualname}: documents {documented}, signature {signature}")
    assert checked > 300
    assert not wrong, "\n".join(wrong)
