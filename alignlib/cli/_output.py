"""The CLI's tables as text: numbers written by :mod:`alignlib.format`, as the pages do."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import pandas as pd

from alignlib.format import format_value


def table_text(
    frame: pd.DataFrame,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    *,
    currency: str = "USD",
) -> str:
    """A DataFrame as text, its numbers written by :mod:`alignlib.format`.

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

    Returns
    -------
    str
        The table, without a final newline.
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
    return str(shown.to_string())
