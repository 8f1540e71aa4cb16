"""Shared printing for CLI verbs: one JSON object, or readable text tables."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def _default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, pd.Period | pd.Timestamp):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "__fspath__"):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _no_nan(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(v) for v in value]
    return value


def print_json(obj: Mapping[str, Any]) -> None:
    """Print exactly one JSON object on stdout (NaN and infinity become null)."""
    json.dump(_no_nan(obj), sys.stdout, indent=2, default=_default, allow_nan=False)
    sys.stdout.write("\n")


def heading(text: str) -> None:
    """Print a section heading."""
    print(f"\n{text}\n{'-' * len(text)}")


def table(frame: pd.DataFrame, formats: Mapping[str, str] | None = None) -> None:
    """Print a DataFrame with per-column format strings (e.g. ``{"rate": "{:.1%}"}``)."""
    formats = formats or {}
    shown = frame.copy()
    for column in shown.columns:
        fmt = formats.get(str(column))
        if fmt is None and pd.api.types.is_float_dtype(shown[column]):
            fmt = "{:,.0f}"
        if fmt is None and pd.api.types.is_integer_dtype(shown[column]):
            fmt = "{:,}"
        if fmt is not None:
            shown[column] = [
                "" if (isinstance(v, float) and math.isnan(v)) else fmt.format(v)
                for v in shown[column]
            ]
    print(shown.to_string())
