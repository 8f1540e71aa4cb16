"""Growth and month-of-year seasonality of lead volume, and the monthly targets that follow them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alignlib.planning import steady_state_targets
from alignlib.targets import Seasonality, learned_growth, seasonality_index

MONTHS = [pd.Period(m, "M") for m in ("2026-10", "2026-11", "2026-12")]
TRUE_INDEX = np.array([1.0, 1.0, 1.15, 1.0, 1.0, 1.0, 0.95, 0.85, 1.2, 1.05, 1.0, 0.75])


def _volume(years: int, growth: float = 0.2, noise: float = 0.0, seed: int = 1) -> pd.Series:
    """Monthly volume = trend x known seasonality (x lognormal noise), from January 2022."""
    rng = np.random.default_rng(seed)
    index = pd.period_range("2022-01", periods=12 * years, freq="M")
    t = np.arange(len(index))
    season = TRUE_INDEX / np.exp(np.log(TRUE_INDEX).mean())
    values = 2_000 * (1 + growth) ** (t / 12) * season[index.month - 1]
    values = values * np.exp(rng.normal(0, noise, len(index)))
    return pd.Series(np.round(values).astype(int), index=index)


def test_seasonality_recovers_a_known_pattern_shrunk_by_its_years():
    volume = _volume(years=4)
    found = seasonality_index(volume)
    truth = TRUE_INDEX / np.exp(np.log(TRUE_INDEX).mean())
    # Four years of each month: each effect keeps 4/5 of its log size.
    expected = np.exp(np.log(truth) * 4 / 5)
    expected /= np.exp(np.log(expected).mean())
    np.testing.assert_allclose(found.index.to_numpy(), expected, rtol=2e-3)
    assert found.years.tolist() == [4] * 12
    assert found.index.idxmin() == 12  # December is the weakest month
    assert math.exp(np.log(found.index).mean()) == pytest.approx(1.0)


def test_less_history_shrinks_the_index_toward_one():
    two = seasonality_index(_volume(years=2, noise=0.02))
    four = seasonality_index(_volume(years=4, noise=0.02))
    assert 0.75 < four.index[12] < two.index[12] < 1.0
    assert seasonality_index(_volume(years=1).iloc[:11]).index.eq(1.0).all()  # too short
    assert Seasonality.flat().at(5.5) == 1.0


def test_index_between_months_is_linear_on_the_circle():
    s = seasonality_index(_volume(years=4))
    assert s.at(12) == pytest.approx(s.index[12])
    assert s.at(12.5) == pytest.approx((s.index[12] + s.index[1]) / 2)
    assert s.at(0.5) == pytest.approx(s.at(12.5))


def test_growth_compares_the_last_year_with_the_one_before():
    volume = _volume(years=3, growth=0.2)
    assert learned_growth(volume) == pytest.approx(0.2, abs=0.005)
    # 13 to 23 months: the last n - 12 months against the same months a year before.
    short = _volume(years=2, growth=0.1).iloc[:15]
    expected = short.iloc[12:].sum() / short.iloc[:3].sum() - 1
    assert learned_growth(short) == pytest.approx(expected)
    assert learned_growth(short.iloc[:12]) is None
    # Issue 20: leads that stop (Olist's MQLs end in May, its deals go on to November)
    # are no -100% growth to plan with: nothing is learned.
    stopped = short.copy()
    stopped.iloc[12:] = 0
    assert learned_growth(stopped) is None


def test_targets_without_growth_add_up_to_the_required_volumes():
    required = pd.Series([9_000.0, 3_000.0, 900.0, 100.0], index=["lead", "mql", "opp", "won"])
    lags = pd.Series([95.0, 80.0, 50.0, 0.0], index=required.index)
    targets = steady_state_targets(required, lags, MONTHS, [0.3, 0.3, 0.4])
    np.testing.assert_allclose(targets.sum().to_numpy(), required.to_numpy())
    np.testing.assert_allclose(targets["won"], [30, 30, 40])


def test_targets_with_growth_build_next_quarters_pipeline():
    # One stage 1.5 months before won: half of each month's volume is for this quarter's
    # wins (weight 1), the rest for next quarter's, grown by (1 + g) ** (1 / 4).
    required = pd.Series([1_000.0, 100.0], index=["lead", "won"])
    lag = pd.Series([1.5 * 365.25 / 12, 0.0], index=required.index)
    phasing = [1 / 3, 1 / 3, 1 / 3]
    flat = steady_state_targets(required, lag, MONTHS, phasing)
    grown = steady_state_targets(required, lag, MONTHS, phasing, growth=0.21)
    g = 1.21**0.25
    # Independent: month i's leads serve wins 1.5 months later: slots i+1 and i+2, half each.
    expected = [
        1_000 / 3 * (0.5 + 0.5),
        1_000 / 3 * (0.5 + 0.5 * g),
        1_000 / 3 * (0.5 * g + 0.5 * g),
    ]
    np.testing.assert_allclose(flat["lead"], [1_000 / 3] * 3)
    np.testing.assert_allclose(grown["lead"], expected)
    np.testing.assert_allclose(grown["won"], flat["won"])  # this quarter's wins are the plan


def test_a_weak_month_is_asked_for_fewer_leads_and_the_quarter_total_is_kept():
    required = pd.Series([9_000.0, 100.0], index=["lead", "won"])
    lags = pd.Series([90.0, 0.0], index=required.index)
    season = seasonality_index(_volume(years=4))
    flat = steady_state_targets(required, lags, MONTHS, [1 / 3] * 3)
    seasonal = steady_state_targets(required, lags, MONTHS, [1 / 3] * 3, seasonality=season)
    assert seasonal["lead"].sum() == pytest.approx(flat["lead"].sum())
    ratio = seasonal["lead"] / flat["lead"]
    # In proportion to the index of each month.
    idx = season.index[[10, 11, 12]].to_numpy()
    np.testing.assert_allclose(ratio.to_numpy() / ratio.iloc[0], idx / idx[0])
    assert seasonal["lead"].idxmin() == MONTHS[2]
    np.testing.assert_allclose(seasonal["won"], flat["won"])
