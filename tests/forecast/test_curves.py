"""Time-to-win curves: conditioned on stage and age, against a memoryless exact case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alignlib.forecast.curves import win_curves


def _two_stage_table(n: int, p_win: float, mean_days: float, cut: str, seed: int) -> pd.DataFrame:
    """Deals enter 'opp' over a year; each wins (p_win) or is lost after Exp(mean) days."""
    rng = np.random.default_rng(seed)
    cut_ts = pd.Timestamp(cut)
    entered = cut_ts - pd.to_timedelta(rng.uniform(0, 365, n), unit="D")
    exit_at = entered + pd.to_timedelta(rng.exponential(mean_days, n), unit="D")
    wins = rng.random(n) < p_win
    done = exit_at < cut_ts
    won = wins & done
    lost = ~wins & done
    return pd.DataFrame(
        {
            "id": [f"D{i}" for i in range(n)],
            "created": entered,
            "entered_opp": entered,
            "entered_won": pd.Series(exit_at).where(won),
            "outcome": np.where(won, "won", np.where(lost, "lost", "open")),
            "close_date": pd.Series(exit_at).where(done),
            "amount": np.nan,
        }
    )


def test_memoryless_exits_give_the_same_chance_at_every_age():
    # Exits after Exp(20 days), won with probability 0.4: whatever the age, the chance to
    # win within the next h days is 0.4 * (1 - exp(-h / 20)).
    table = _two_stage_table(60_000, 0.4, 20.0, "2024-01-01", seed=1)
    curves = win_curves(table, pd.Timestamp("2024-01-01"), ("opp", "won"))
    ages = np.array([0, 5, 10, 20, 40])
    for h in (10, 30, 60):
        p = curves.win_probability(0, ages, 0, h - 1)
        exact = 0.4 * (1 - np.exp(-h / 20))
        assert p == pytest.approx(np.full(len(ages), exact), abs=0.02)
    # a window later on: between 30 and 59 days from now
    later = curves.win_probability(0, np.array([3]), 30, 59)[0]
    assert later == pytest.approx(0.4 * (np.exp(-30 / 20) - np.exp(-60 / 20)), abs=0.015)


def test_chance_is_zero_beyond_the_history_and_for_an_empty_window():
    table = _two_stage_table(2_000, 0.4, 10.0, "2024-01-01", seed=2)
    curves = win_curves(table, pd.Timestamp("2024-01-01"), ("opp", "won"))
    assert curves.win_probability(0, np.array([700]), 0, 30)[0] == 0.0
    assert curves.win_probability(0, np.array([1, 2]), 5, 4).tolist() == [0.0, 0.0]


def test_a_deal_stuck_longer_than_usual_is_less_likely_to_win():
    # Gamma-like exits concentrated around 30 days (two stages chained): a deal that has
    # sat 80 days in the first stage has a smaller chance than a fresh one.
    rng = np.random.default_rng(4)
    n, cut = 20_000, pd.Timestamp("2024-01-01")
    entered = cut - pd.to_timedelta(rng.uniform(0, 400, n), unit="D")
    to_b = entered + pd.to_timedelta(rng.gamma(9, 30 / 9, n), unit="D")
    moves = rng.random(n) < 0.5
    to_won = to_b + pd.to_timedelta(rng.gamma(9, 20 / 9, n), unit="D")
    wins = moves & (rng.random(n) < 0.6)
    table = pd.DataFrame(
        {
            "id": [f"D{i}" for i in range(n)],
            "created": entered,
            "entered_a": entered,
            "entered_b": pd.Series(to_b).where(moves & (to_b < cut)),
            "entered_won": pd.Series(to_won).where(wins & (to_won < cut)),
            "outcome": np.where(wins & (to_won < cut), "won", "open"),
            "close_date": pd.Series(to_won).where(wins & (to_won < cut)),
            "amount": np.nan,
        }
    )
    curves = win_curves(table, cut, ("a", "b", "won"))
    fresh, stuck = curves.win_probability(0, np.array([0, 80]), 0, 90)
    assert 0.2 < fresh < 0.35
    assert stuck < fresh / 2
