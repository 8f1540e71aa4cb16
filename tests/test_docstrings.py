"""Shared numpydoc sections: merged in order, and every docstring agrees with its signature."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import pytest

import alignlib
from alignlib.docstrings import _entries, _names, _sections, shared_doc

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
    assert doc.startswith("Stage counts by month.")


def test_a_returns_section_of_its_own_is_kept():
    assert _sections(_won.__doc__)["Returns"] == ["int", "    Wins."]


def test_a_shared_parameter_the_signature_lacks_is_refused():
    with pytest.raises(TypeError, match="not among its parameters"):

        @_TABLE
        def _no_stages(table):
            """Nothing."""


def _public_objects():
    """Every public name a module of alignlib defines (not re-exports), with its qualified name."""
    for info in pkgutil.walk_packages(alignlib.__path__, "alignlib."):
        if ".notebooks" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if not name.startswith("_") and getattr(obj, "__module__", None) == info.name:
                yield f"{info.name}.{name}", obj


def _public_callables():
    for qualname, obj in _public_objects():
        if inspect.isfunction(obj):
            yield qualname, obj
        elif inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if inspect.isfunction(member) and not attr.startswith("_"):
                    yield f"{qualname}.{attr}", member


def test_every_documented_parameter_list_is_the_signature():
    checked, wrong = 0, []
    for qualname, func in _public_callables():
        sections = _sections(inspect.cleandoc(func.__doc__ or ""))
        if "Parameters" not in sections:
            continue
        checked += 1
        documented = [n for e in _entries(sections["Parameters"]) for n in _names(e[0])]
        signature = [n for n in inspect.signature(func).parameters if n not in ("self", "cls")]
        if documented != signature:
            wrong.append(f"{qualname}: documents {documented}, signature {signature}")
    assert checked > 300
    assert not wrong, "\n".join(wrong)


@shared_doc(parameters={"start, end : date": "The window."})
def _window(table, start, end):
    """Rows inside a window."""


def test_a_combined_entry_is_ordered_by_its_first_name_and_checked_whole():
    heads = [e[0] for e in _entries(_sections(_window.__doc__)["Parameters"])]
    assert heads == ["start, end : date"]
    with pytest.raises(TypeError, match="not among its parameters"):

        @shared_doc(parameters={"start, finish : date": "The window."})
        def _bad(start, end):
            """Nothing."""


_STAGES = shared_doc(attributes={"stages : tuple of str": "Stage names, top to bottom."})


@_STAGES
@dataclasses.dataclass(frozen=True)
class _Funnel:
    """Volumes per stage.

    Attributes
    ----------
    volumes : tuple of float
        Volume per stage.
    """

    stages: tuple[str, ...]
    volumes: tuple[float, ...]


def test_shared_attributes_merge_in_field_order():
    attrs = _sections(_Funnel.__doc__)["Attributes"]
    assert attrs == [
        "stages : tuple of str",
        "    Stage names, top to bottom.",
        "volumes : tuple of float",
        "    Volume per stage.",
    ]
    with pytest.raises(TypeError, match="not among its attributes"):

        @shared_doc(attributes={"stage : str": "A stage."})
        @dataclasses.dataclass
        class _NoStage:
            """Nothing."""

            name: str


def _public_dataclasses():
    for qualname, obj in _public_objects():
        if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
            yield qualname, obj


def test_every_documented_attribute_list_is_the_dataclass_fields():
    checked, wrong = 0, []
    for qualname, cls in _public_dataclasses():
        sections = _sections(inspect.cleandoc(cls.__doc__ or ""))
        if "Attributes" not in sections:
            continue
        checked += 1
        documented = [n for e in _entries(sections["Attributes"]) for n in _names(e[0])]
        fields = [f.name for f in dataclasses.fields(cls)]
        # a property may be documented among the fields (numpydoc lists both)
        fields_documented = [n for n in documented if n in fields]
        others = [n for n in documented if n not in fields and not hasattr(cls, n)]
        if fields_documented != fields or others:
            missing = [n for n in fields if n not in documented]
            wrong.append(f"{qualname}: missing {missing}, unknown {others}, order {documented}")
    assert checked > 90
    assert not wrong, "\n".join(wrong)


@_STAGES
@dataclasses.dataclass(frozen=True)
class _WithProperty:
    """Won deals per stage.

    Attributes
    ----------
    won : int
        A property, kept where the docstring lists it.
    volumes : tuple of float
        Volume per stage.
    """

    volumes: tuple[float, ...]
    stages: tuple[str, ...]

    @property
    def won(self) -> int:
        """Wins."""
        return 0


def test_a_documented_property_keeps_its_place_among_the_fields():
    heads = [e[0] for e in _entries(_sections(_WithProperty.__doc__)["Attributes"])]
    assert heads == ["won : int", "volumes : tuple of float", "stages : tuple of str"]
