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


def test_by_source_and_quarters_on_the_sample(params) -> None:
    """Issue 20: conversion over every contact of the source; "(to date)" only on the
    quarter the export was taken in."""
    td = reports.trend_data(params)
    t = td.ingest.table
    table = reports.channel_trend_table(td)
    labels = td.channel_labels()
    for channel, rows in t[t["reached_lead"]].groupby("channel"):
        row = table.loc[labels.get(channel, channel)]
        assert row["contacts"] == len(rows)
        assert row["won"] == int((rows["outcome"] == "won").sum())
        closed = rows["outcome"].isin(["won", "lost"]).sum()
        assert row["win_rate"] == pytest.approx(row["won"] / closed)  # the sample records losses
    q = reports.quarterly_table(td, quarters=12)
    current = td.as_of.to_period("Q")
    to_date = [c for c in q.columns if "(to date)" in c]
    assert to_date == [f"{current} (to date)"]
    first = td.ingest.table["created"].min().to_period("Q")
    if td.ingest.table["created"].min().to_period("M") != first.asfreq("M", "start"):
        assert f"{first} (partial: the export starts in it)" in q.columns
