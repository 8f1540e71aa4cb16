"""Shared printing for CLI verbs: one JSON object, or readable text tables.

Numbers are written by :mod:`alignlib.format`, the same way the report pages write them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import pandas as pd

from alignlib.format import format_value, to_json


def print_json(obj: Mapping[str, Any]) -> None:
    """Print exactly one JSON object on stdout (NaN and infinity become null).

    Parameters
    ----------
    obj : Mapping
        What to print; values go through :func:`alignlib.format.jsonable`.
    """
    sys.stdout.write(to_json(obj) + "\n")


def heading(text: str) -> None:
    """Print a section heading.

    Parameters
    ----------
    text : str
        The heading, underlined with dashes.
    """
    print(f"\n{text}\n{'-' * len(text)}")


def table(
    frame: pd.DataFrame,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    *,
    currency: str = "USD",
) -> None:
    """Print a DataFrame with its numbers written by :mod:`alignlib.format`.

    Parameters
    ----------
    frame : DataFrame
        The table.
    formats : mapping, optional
        Column -> format kind (``money``, ``pct1``, ... see
        :func:`alignlib.format.format_value`) or a callable. Other numeric columns are
        written as counts (rounded, thousands separators).
    currency : str
        ISO code for ``money`` columns.
    """
    formats = formats or {}
    shown = frame.copy()
    for column in shown.columns:
        spec = formats.get(str(column))
        if spec is None and pd.api.types.is_bool_dtype(shown[column]):
            continue
        if spec is None and pd.api.types.is_numeric_dtype(shown[column]):
            spec = "count"
        if spec is None:
            continue
        write = spec if callable(spec) else partial(format_value, kind=spec, currency=currency)
        shown[column] = ["" if pd.isna(v) else write(v) for v in shown[column]]
    print(shown.to_string())
