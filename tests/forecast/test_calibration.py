"""The backtest in words: counts, verdicts, the sampling caveat."""

from __future__ import annotations

import pandas as pd
import pytest

from alignlib.forecast.backtest import Backtest, _score
from alignlib.forecast.calibration import calibration, calibration_sentences, wilson_interval


def _backtest(inside_80, inside_50=None, p50_over=0.0):
    n = len(inside_80)
    inside_50 = inside_50 if inside_50 is not None else [False] * n
    rows = pd.DataFrame(
        {
            "quarter": [f"20{20 + i // 4}Q{i % 4 + 1}" for i in range(n)],
            "point": "plan",
            "as_of": pd.Timestamp("2024-01-01"),
            "p10": 80.0,
            "p25": 90.0,
            "p50": 100.0 * (1 + p50_over),
            "p75": 110.0,
            "p90": 120.0,
            "mean": 100.0,
            "actual": 100.0,
            "target": 100.0,
            "p_hit": 0.5,
            "hit": True,
            "pit": 0.5,
            "crps": 5.0,
            "inside_50": inside_50,
            "inside_80": inside_80,
        }
    )
    return Backtest(
        rows=rows, skipped=pd.DataFrame(), by_point=(_score(rows, "plan"),), points=("plan",)
    )


def test_calibrated_ranges_are_called_so_with_the_caveat():
    c = calibration(_backtest([True] * 8 + [False] * 2))
    assert c.verdict == "calibrated"
    assert c.sentences[0].startswith("8 of the last 10 quarters landed inside our 80% range")
    assert "by chance alone" in c.sentences[1]
    assert c.interval_80[0] < 0.8 < c.interval_80[1]


def test_too_narrow_and_biased_is_said_plainly():
    c = calibration(_backtest([True] * 5 + [False] * 15, p50_over=0.12))
    assert c.verdict == "too narrow"
    assert "too narrow: only 5 of 20 inside the 80% range" in c.sentences[1]
    assert c.sentences[-1] == "The median has been 12% too high on average."
    assert c.to_dict()["verdict"] == "too narrow"


def test_few_quarters_and_none():
    few = calibration(_backtest([True, False]))
    assert few.verdict == "too few quarters" and "too few to judge" in few.sentences[1]
    empty = Backtest(
        rows=pd.DataFrame(columns=["point"]), skipped=pd.DataFrame(), by_point=(), points=()
    )
    assert calibration_sentences(empty)[0].startswith("No past quarter")


def test_wilson_interval():
    lo, hi = wilson_interval(8, 10)
    assert 0.5 < lo < 0.8 < hi < 0.97
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0)
