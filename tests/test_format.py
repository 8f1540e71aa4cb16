"""One way to write each number: money, percentages, p-values, stage labels, JSON."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alignlib import format as fmt


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (1234567.4, "money", "$1,235,000"),  # a million and up: to the thousand
        (92.5, "money", "$92.50"),
        (80.0, "money", "$80"),
        (-1500, "money", "-$1,500"),
        (2_400_000, "money_compact", "$2.4M"),
        (0.1234, "pct", "12%"),
        (0.004, "pct", "0.4%"),
        (0.1234, "pct1", "12.3%"),
        (7512.6, "count", "7,513"),
        (3.46, "ratio", "3.5x"),
        (8.66, "days", "8.7"),
        (1234.5, "number", "1,234"),
        (0.25, "number", "0.25"),
        (0.00003, "p_value", "<0.0001"),
        (None, "money", "—"),
        (float("nan"), "pct", "—"),
        (math.inf, "count", "∞"),
        (-math.inf, "money", "-∞"),
        (np.int64(12000), "count", "12,000"),
        (np.bool_(True), "count", "yes"),
        ("text", "money", "text"),
    ],
)
def test_format_value(value, kind, expected) -> None:
    assert fmt.format_value(value, kind) == expected


def test_format_value_other_currency_and_unknown_kind() -> None:
    assert fmt.format_value(1000, "money", "EUR") == "€1,000"
    assert fmt.format_value(1000, "money", "CHF") == "CHF 1,000"
    assert set(fmt.KINDS) >= {"money", "pct", "p_value", "text"}
    with pytest.raises(ValueError, match="unknown format kind"):
        fmt.format_value(1, "bogus")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1234567.4, "$1,235,000"),
        (999.5, "$999.50"),
        (-1500, "-$1,500"),
        (0, "$0"),
        (math.nan, "—"),
        (math.inf, "∞"),
        (-math.inf, "-∞"),
    ],
)
def test_money(value, expected) -> None:
    assert fmt.money(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2_400_000, "$2.4M"),
        (2_000_000, "$2M"),
        (1_250_000, "$1.25M"),
        (3_500_000_000, "$3.5B"),
        (350_000, "$350k"),
        (900, "$900"),
        (-350_000, "-$350k"),
        (math.nan, "—"),
        (math.inf, "∞"),
    ],
)
def test_money_compact(value, expected) -> None:
    assert fmt.money_compact(value) == expected
    assert fmt.money_compact(1_000_000, "GBP") == "£1M"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0.125, 1, "12.5%"),
        (0.5, 0, "50%"),
        (0.004, 0, "0.4%"),  # below 1%: never reads as 0%
        (-0.004, 0, "-0.4%"),
        (0.0, 0, "0%"),
        (-0.25, 0, "-25%"),
        (1.0, 0, "100%"),
        (math.nan, 0, "—"),
        (None, 1, "—"),
    ],
)
def test_pct(value, decimals, expected) -> None:
    assert fmt.pct(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.00001, "<0.0001"),
        (0.0, "<0.0001"),
        (0.0001, "0.0001"),
        (0.0049, "0.0049"),
        (0.0123, "0.012"),
        (0.5, "0.500"),
        (1.0, "1.000"),
        (math.nan, "—"),
    ],
)
def test_p_value_is_never_rounded_to_zero(value, expected) -> None:
    assert fmt.p_value(value) == expected


def test_points_count_ratio() -> None:
    assert fmt.points(0.034) == "3.40 pts"
    assert fmt.points(0.00001) == "<0.01 pts"
    assert fmt.points(-0.02) == "-2.00 pts"
    assert fmt.count(1234.5) == "1,234"
    assert fmt.count(-7.6) == "-8"
    assert fmt.count(math.nan) == "—"
    assert fmt.ratio(3.46) == "3.5x"


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("mql", "MQL"),
        ("opportunity", "Opportunity"),
        ("closed_won", "Closed won"),
        ("won", "Won"),
        ("mql_threshold", "MQL threshold"),
        ("fast_response_routing", "Fast response routing"),
        ("sla-4h_test", "SLA 4h test"),
        ("cost_per_mql", "Cost per MQL"),
        ("", ""),
    ],
)
def test_stage_label(name, label) -> None:
    assert fmt.stage_label(name) == label


def test_is_missing_and_currency_symbol() -> None:
    assert fmt.is_missing(None) and fmt.is_missing(math.nan) and fmt.is_missing(pd.NaT)
    assert not fmt.is_missing(0) and not fmt.is_missing("") and not fmt.is_missing([1])
    assert fmt.currency_symbol("usd") == "$"
    assert fmt.currency_symbol("CHF") == "CHF "


def test_to_json_writes_nan_and_infinity_as_null() -> None:
    value = {
        "a": math.nan,
        "b": np.float64(math.inf),
        "c": [np.int64(3), np.bool_(False), (1.5, None)],
        "d": np.array([1.0, math.nan]),
        "e": pd.Period("2026Q4", freq="Q"),
        "f": pd.Timestamp("2026-10-01"),
        "g": dt.date(2026, 10, 1),
        "h": Path("out/x.html"),
        1: "key made a string",
    }
    data = json.loads(fmt.to_json(value))
    assert data == {
        "a": None,
        "b": None,
        "c": [3, False, [1.5, None]],
        "d": [1.0, None],
        "e": "2026Q4",
        "f": "2026-10-01 00:00:00",
        "g": "2026-10-01",
        "h": "out/x.html",
        "1": "key made a string",
    }
    assert "NaN" not in fmt.to_json(value, indent=None)


def test_to_json_rejects_unknown_objects() -> None:
    with pytest.raises(TypeError, match="cannot write object as JSON"):
        fmt.to_json({"x": object()})
    with pytest.raises(TypeError):
        fmt.jsonable(1 + 2j)


def test_signed_forms_for_changes():
    from alignlib import format as fmt

    assert fmt.pct(0.053, 1, signed=True) == "+5.3%"
    assert fmt.pct(-0.053, 1, signed=True) == "-5.3%"
    assert fmt.pct(0.0, 1, signed=True) == "+0.0%"
    assert fmt.points(0.012, signed=True) == "+1.20 pts"
    assert fmt.points(-0.012, signed=True) == "-1.20 pts"
    assert fmt.points(0.00001, signed=True) == "+<0.01 pts"
    assert fmt.money(12_000, signed=True) == "+$12,000"
    assert fmt.money(-12_000, signed=True) == "-$12,000"
    assert fmt.money(12_000) == "$12,000"


def test_points_in_whole_points_for_sentences():
    from alignlib import format as fmt

    assert fmt.points(0.3227, decimals=0) == "32 pts"
    assert fmt.points(-0.0772, signed=True, decimals=0) == "-8 pts"
    assert fmt.points(0.001, decimals=0) == "<1 pts"
    assert fmt.points(0.00001) == "<0.01 pts"
