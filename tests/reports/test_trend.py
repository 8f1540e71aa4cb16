"""Trend report: anonymised SLA by owner, growth table."""

from __future__ import annotations

import pandas as pd
import pytest

from alignlib import paths, reports
from alignlib.params import load_params


@pytest.fixture(scope="module")
def params():
    return load_params(paths.DEFAULT_PARAMS)


def test_sla_owner_table_hides_names(params) -> None:
    td = reports.trend_data(params)
    table = reports.sla_owner_table(td)
    owners = set(td.ingest.table["owner"].dropna().astype(str))
    assert not owners & set(table.index)
    assert table.index[0] == "Rep A"
    assert table["handoffs"].is_monotonic_decreasing
    growth = reports.growth_table(td)
    assert isinstance(growth, pd.DataFrame) and len(growth) == 2 * len(params.stage_names) - 1
    # Issue 12: the forecast says from when it fits (the export's first months were filling).
    method = reports.forecast_method(td)
    assert "Closed won fitted from Feb 2025: the first 4 months of the export" in method
    assert td.metrics["forecast"].fitted_from["won"] == pd.Period("2025-02")
