"""ETS forecasts against statsmodels, the short-history fallback, quarter totals.

Values computed by hand from tests/fixtures/crm/hubspot_small.csv (see tests/metrics/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alignlib import metrics
from alignlib.errors import InputError

AS_OF = pd.Timestamp("2026-04-20")


def test_forecast_matches_statsmodels_directly():
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    idx = pd.period_range("2024-01", periods=30, freq="M")
    rng = np.random.default_rng(3)
    y = pd.Series(
        1000 + 20 * np.arange(30) + 80 * np.sin(np.arange(30) * np.pi / 6) + rng.normal(0, 20, 30),
        index=idx,
    )
    frame, paths, method = metrics.forecast_series(
        y, 3, confidence=0.8, rng=np.random.default_rng(1)
    )
    ts = pd.Series(y.to_numpy(), index=idx.to_timestamp()).asfreq("MS")
    fit = ETSModel(
        ts,
        error="add",
        trend="add",
        damped_trend=True,
        seasonal="add",
        seasonal_periods=12,
        initialization_method="heuristic",
    ).fit(disp=False)
    ref = fit.get_prediction(start=30, end=32).summary_frame(alpha=0.2)
    np.testing.assert_allclose(frame["forecast"], ref["mean"], rtol=1e-6)
    np.testing.assert_allclose(frame["lower"], ref["pi_lower"], rtol=1e-6)
    assert paths.shape == (3, 2000) and "seasonal" in method
    assert (frame["lower"] <= frame["forecast"]).all() and (
        frame["forecast"] <= frame["upper"]
    ).all()


def test_forecast_short_history_falls_back_to_mean():
    y = pd.Series([10.0, 12, 11], index=pd.period_range("2026-01", periods=3, freq="M"))
    frame, _paths, method = metrics.forecast_series(y, 2)
    assert frame["forecast"].tolist() == [11.0, 11.0] and "too little history" in method
    with pytest.raises(InputError):
        metrics.forecast_series(y, 0)


def test_forecast_volumes_quarter(table):
    f = metrics.forecast_volumes(table, AS_OF, quarter="2026Q2")
    assert f.target_quarter == pd.Period("2026Q2")
    assert list(f.monthly.loc["lead"].index) == list(
        pd.period_range("2026-04", "2026-06", freq="M")
    )
    q = f.quarter.loc["lead"]
    assert q["lower"] <= q["forecast"] <= q["upper"]
    with pytest.raises(InputError, match="already complete"):
        metrics.forecast_volumes(table, AS_OF, quarter="2025Q4")
