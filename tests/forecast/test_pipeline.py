"""Open deals and the draw of what they bring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alignlib.forecast.curves import win_curves
from alignlib.forecast.pipeline import (
    _group_win_count_pmf,
    open_deals,
    simulate_open_pipeline,
    top_deals,
)
from alignlib.simulation import DealSize


def test_group_win_count_is_the_exact_sum_of_binomials():
    n, p = np.array([30, 5, 200]), np.array([0.2, 0.9, 0.01])
    pmf = _group_win_count_pmf(n, p)
    exact = np.array([1.0])
    for n_g, p_g in zip(n, p, strict=True):
        exact = np.convolve(exact, stats.binom.pmf(np.arange(n_g + 1), n_g, p_g))
    assert pmf == pytest.approx(exact[: len(pmf)], abs=1e-12)
    assert pmf.sum() == pytest.approx(1.0)


def test_simulated_pipeline_has_the_expected_mean_and_spread():
    deals = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "stage": ["s2", "s2", "s1", "s1", "s1"],
            "stage_index": [1, 1, 0, 0, 0],
            "days_in_stage": [3, 4, 10, 10, 11],
            "win_chance": [0.5, 0.2, 0.1, 0.1, 0.0],
            "amount": [100_000.0, 50_000.0, np.nan, np.nan, np.nan],
        }
    )
    deal = DealSize(20_000, 8_000)
    rng = np.random.default_rng(1)
    revenue = simulate_open_pipeline(deals, deal, 200_000, rng)
    expected = 0.5 * 100_000 + 0.2 * 50_000 + 0.2 * 20_000
    assert revenue.mean() == pytest.approx(expected, rel=0.01)
    var = 0.25 * 1e10 + 0.16 * 2.5e9 + 2 * (0.1 * (20_000**2 + 8_000**2) - (0.1 * 20_000) ** 2)
    assert revenue.var() == pytest.approx(var, rel=0.03)
    top = top_deals(deals, deal, 3)
    assert top["id"].tolist() == ["a", "b", "c"]
    assert top["amount_known"].tolist() == [True, True, False]
    assert not {"name", "email", "owner", "company"} & set(top.columns)


def test_open_deals_by_current_stage_age_and_own_amounts_only_where_allowed():
    cut = pd.Timestamp("2024-03-01")
    table = pd.DataFrame(
        {
            "id": ["x", "y", "z", "w"],
            "created": pd.to_datetime(["2024-01-01", "2024-02-01", "2023-12-01", "2024-01-05"]),
            "entered_a": pd.to_datetime(["2024-01-01", "2024-02-01", "2023-12-01", "2024-01-05"]),
            "entered_b": pd.to_datetime(["2024-02-20", None, "2023-12-20", None]),
            "entered_won": pd.to_datetime([None, None, "2024-01-10", None]),
            "outcome": ["open", None, "won", "lost"],
            "close_date": pd.to_datetime([None, None, "2024-01-10", "2024-02-01"]),
            "amount": [5_000.0, 7_000.0, 9_000.0, np.nan],
        }
    )
    curves = win_curves(table, cut, ("a", "b", "won"))
    deals = open_deals(table, cut, ("a", "b", "won"), curves, (0, 30), own_amounts={"b"})
    assert deals["id"].tolist() == ["x", "y"]
    assert deals["stage"].tolist() == ["b", "a"]
    assert deals["days_in_stage"].tolist() == [10, 29]
    assert deals["amount"].iloc[0] == 5_000.0 and np.isnan(deals["amount"].iloc[1])
    assert ((deals["win_chance"] >= 0) & (deals["win_chance"] <= 1)).all()
