"""CRPS, PIT and the distribution summary."""

from __future__ import annotations

import numpy as np
import pytest

from alignlib.forecast.scoring import Distribution, crps, inside, pit


def test_crps_matches_the_double_sum():
    rng = np.random.default_rng(0)
    x = rng.lognormal(10, 0.5, 300)
    y = 25_000.0
    brute = np.abs(x - y).mean() - 0.5 * np.abs(x[:, None] - x[None, :]).mean()
    assert crps(x, y) == pytest.approx(brute, rel=1e-12)


def test_crps_of_a_point_forecast_is_the_absolute_error():
    assert crps(np.full(50, 10.0), 13.0) == pytest.approx(3.0)
    assert crps(np.full(50, 10.0), 10.0) == 0.0


def test_pit_counts_ties_half_and_summary_quantiles():
    assert pit(np.array([1.0, 2.0, 3.0, 4.0]), 2.0) == pytest.approx(0.375)
    assert pit(np.full(10, 5.0), 5.0) == 0.5
    d = Distribution.of(np.arange(101.0))
    assert (d.p10, d.p50, d.p90, d.mean) == (10.0, 50.0, 90.0, 50.0)
    assert set(d.to_dict()) == {"p10", "p25", "p50", "p75", "p90", "mean"}
    assert inside(1, 2, 2) and not inside(1, 2, 2.1)
