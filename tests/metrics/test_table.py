"""The metrics' one result-to-JSON: tables as records, dates as ISO text, NaN as null."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alignlib.metrics._table import plain, result_dict


@dataclass(frozen=True)
class _Result:
    frame: pd.DataFrame
    total: pd.Series
    as_of: pd.Timestamp
    month: pd.Period | None
    fitted: dict


def test_result_dict_writes_each_kind_once_and_renames():
    frame = pd.DataFrame({"n": [1, np.nan]}, index=pd.Index(["a", "b"], name="stage"))
    result = _Result(
        frame,
        pd.Series({"lead": 2.5, "mql": np.nan}),
        pd.Timestamp("2026-11-19 00:00"),
        None,
        {"lead": pd.Period("2025-01", "M")},
    )
    out = result_dict(result, "as_of", "total", "month", "fitted", rows="frame")
    assert list(out) == ["as_of", "total", "month", "fitted", "rows"]
    assert out == {
        "as_of": "2026-11-19",
        "total": {"lead": 2.5, "mql": None},
        "month": None,
        "fitted": {"lead": "2025-01"},
        "rows": [{"stage": "a", "n": 1.0}, {"stage": "b", "n": None}],
    }
    json.dumps(out, allow_nan=False)


def test_plain_leaves_plain_values():
    assert plain(3) == 3 and plain("x") == "x" and plain(pd.Period("2026Q4", "Q")) == "2026Q4"
