"""The backtest in words: exact intervals per forecast point, verdicts both ways, the 12-quarter rule."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from alignlib.forecast.backtest import Backtest, _score
from alignlib.forecast.calibration import (
    MIN_QUARTERS_CALIBRATED,
    RangeCheck,
    calibration,
    calibration_sentences,
    calibrations,
    exact_interval,
    wilson_interval,
)


def _backtest(inside_80, inside_50=None, p50_over=0.0, points=("plan",)):
    n = len(inside_80)
    inside_50 = inside_50 if inside_50 is not None else [i % 2 == 0 for i in range(n)]
    frames = []
    for point in points:
        frames.append(
            pd.DataFrame(
                {
                    "quarter": [f"{2000 + i // 4}Q{i % 4 + 1}" for i in range(n)],
                    "point": point,
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
        )
    rows = pd.concat(frames, ignore_index=True)
    return Backtest(
        rows=rows,
        skipped=pd.DataFrame(),
        by_point=tuple(_score(rows.loc[rows["point"] == p], p) for p in points),
        points=tuple(points),
    )


def test_exact_interval_is_clopper_pearson():
    # the beta-quantile form of Clopper-Pearson, 90% two-sided
    for k, n in [(8, 10), (0, 7), (7, 7), (41, 60)]:
        lo = stats.beta.ppf(0.05, k, n - k + 1) if k > 0 else 0.0
        hi = stats.beta.ppf(0.95, k + 1, n - k) if k < n else 1.0
        assert exact_interval(k, n) == pytest.approx((lo, hi), abs=1e-9)
    assert exact_interval(0, 0) == (0.0, 1.0)


def test_six_of_six_inside_the_50_range_is_too_wide_not_calibrated():
    # the sample case: 6 of 6 inside a 50% range happens 1/64 = 1.6% of the time
    c = calibration(_backtest([True, True, True, True, True, False], [True] * 6))
    assert c.verdict == "too wide"
    assert c.range_50 is not None and c.range_50.interval[0] > 0.5
    assert c.range_50.p_value == pytest.approx(2 / 64)
    assert "too wide" in c.sentences[1] and "calibrated" not in c.verdict


def test_too_narrow_and_too_wide_are_symmetric():
    n = 20
    narrow = RangeCheck.of(5, n, 0.5)
    wide = RangeCheck.of(15, n, 0.5)
    assert narrow.verdict == "too narrow" and wide.verdict == "too wide"
    assert narrow.p_value == pytest.approx(wide.p_value)
    assert RangeCheck.of(6, n, 0.5).verdict == RangeCheck.of(14, n, 0.5).verdict == "consistent"


def test_never_calibrated_below_twelve_quarters():
    eleven = calibration(_backtest([True] * 9 + [False] * 2))
    assert eleven.verdict == "too few quarters"
    assert "too few to call them calibrated" in eleven.sentences[1]
    twelve = calibration(_backtest([True] * 10 + [False] * 2))
    assert MIN_QUARTERS_CALIBRATED == 12 and twelve.verdict == "calibrated"
    assert "consistent with calibrated ranges" in twelve.sentences[1]
    assert twelve.interval_80[0] < 0.8 < twelve.interval_80[1]


def test_too_narrow_and_biased_is_said_plainly():
    c = calibration(_backtest([True] * 5 + [False] * 15, p50_over=0.12))
    assert c.verdict == "too narrow"
    assert "too narrow: only 5 of 20 inside the 80% range" in c.sentences[1]
    assert c.sentences[-1] == "The median has been 12% too high on average."
    assert c.to_dict()["verdict"] == "too narrow"
    assert c.to_dict()["range_80"]["interval"][1] < 0.8


def test_mis_shaped_when_one_range_is_too_narrow_and_the_other_too_wide():
    # 80% range held 10 of 20 (too narrow), 50% range 18 of 20 (too wide)
    c = calibration(_backtest([True] * 10 + [False] * 10, [True] * 18 + [False] * 2))
    assert c.verdict == "mis-shaped" and "wrong shape" in c.sentences[1]


def test_each_point_judged_on_its_own_quarters():
    bt = _backtest([True] * 12 + [False] * 2, points=("plan", "week 0"))
    cals = calibrations(bt)
    assert [c.point for c in cals] == ["plan", "week 0"]
    assert all(c.quarters == 14 for c in cals)  # not 28: the points are not pooled


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
