"""Parameters files pointing at a warehouse, and results compared number for number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from alignlib import metrics, paths
from alignlib.format import to_json
from alignlib.params import load_params


def warehouse_params(
    folder: Path, sql: dict[str, Any], *, base: str = "2026Q4.yaml", **actuals: Any
):
    """params/<base> with its actuals read from ``sql`` (a file in ``folder`` extending it)."""
    a: dict[str, Any] = {"crm_export": None, "leads": None, "opportunities": None, "sql": sql}
    a.update(actuals)
    data = {"extends": str(paths.PARAMS_DIR / base), "actuals": a}
    path = folder / f"wh-{abs(hash(repr(data))) % 10**8}.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_params(path)


_SUMMARIES: dict[int, tuple[Any, dict[str, str]]] = {}


def summary_json(result) -> dict[str, str]:
    """Every metric of ``metrics.summarise`` as JSON text (kept per result: the CSV's is reused)."""
    if id(result) in _SUMMARIES and _SUMMARIES[id(result)][0] is result:
        return _SUMMARIES[id(result)][1]
    out = metrics.summarise(result.table, result.as_of)
    got = {k: to_json(v.to_dict() if hasattr(v, "to_dict") else v) for k, v in out.items()}
    _SUMMARIES[id(result)] = (result, got)
    return got


def assert_same_numbers(a, b, *, same_file: bool = False) -> None:
    """Same table, problems (but the file they are in), counts and metrics."""
    pd.testing.assert_frame_equal(a.table, b.table)
    pa, pb = a.problems_frame, b.problems_frame
    if not same_file:
        pa, pb = pa.drop(columns="file"), pb.drop(columns="file")
    pd.testing.assert_frame_equal(pa, pb)
    for attr in ("rows_read", "accepted", "rejected", "duplicates", "as_of", "format"):
        assert getattr(a, attr) == getattr(b, attr), attr
    assert len(a.rejects) == len(b.rejects)
    assert summary_json(a) == summary_json(b)
