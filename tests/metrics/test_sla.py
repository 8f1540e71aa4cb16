"""Response-time SLA: compliance, acceptance, open windows; the fast median/quantile equals pandas'.

Values computed by hand from tests/fixtures/crm/hubspot_small.csv (see tests/metrics/conftest.py).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alignlib import metrics
from alignlib.errors import InputError
from alignlib.metrics.sla import _group_median_quantile

AS_OF = pd.Timestamp("2026-04-20")


def test_sla(table):
    s = metrics.sla(table, AS_OF, 4, acceptance_hours=48)
    sm = s.summary
    # Hand-offs with an MQL date: 102 (2 h), 103 (6 h), 104 (1 h), 105 (2 h), 106 (1 h),
    # 107 (no response: breach), 114 (1 h).
    assert sm["handoffs"] == 7 and sm["responded"] == 6
    assert sm["median_hours"] == pytest.approx(1.5)
    assert sm["p90_hours"] == pytest.approx(4.0)
    assert sm["compliance"] == pytest.approx(5 / 7)
    assert sm["acceptance_rate"] == pytest.approx(6 / 7)  # 102 went back to nurture
    assert sm["recycle_rate"] == pytest.approx(1 / 7)
    assert sm["accepted_within"] == pytest.approx(2 / 3)  # 103 24 h, 104 24 h, 106 72 h
    own = s.by_owner
    assert own.loc["Rep One", "compliance"] == 1.0 and own.loc["Rep One", "handoffs"] == 4
    assert own.loc["Rep Two", "compliance"] == pytest.approx(1 / 3)
    assert s.by_month.loc[pd.Period("2026-01"), "handoffs"] == 4


def test_sla_open_window_is_not_a_breach(table):
    # At 2026-03-02 10:00, 107's MQL is an hour old: not yet breached, so not counted.
    s = metrics.sla(table, "2026-03-02 10:00", 4)
    assert s.summary["handoffs"] == 6
    with pytest.raises(InputError):
        metrics.sla(table, AS_OF, 0)


def test_sla_empty_table(table):
    s = metrics.sla(table.iloc[0:0], AS_OF, 4)
    assert s.summary["handoffs"] == 0 and math.isnan(s.summary["compliance"])


def test_group_median_and_quantile_match_pandas_groupby_exactly():
    rng = np.random.default_rng(5)
    for size, k in ((1, 1), (2, 3), (7, 2), (500, 9), (20_000, 40)):
        codes = rng.integers(0, k, size)
        values = np.round(rng.gamma(1.5, 30.0, size), rng.integers(0, 4))  # ties too
        values[rng.random(size) < 0.2] = np.nan
        n, median, p90 = _group_median_quantile(codes, values, k, 0.9)
        g = pd.Series(values).groupby(codes)
        present = np.unique(codes)
        assert n[present].tolist() == g.count().tolist()
        np.testing.assert_array_equal(median[present], g.median().to_numpy())
        np.testing.assert_array_equal(p90[present], g.quantile(0.9).to_numpy())
        assert np.isnan(median[np.setdiff1d(np.arange(k), present)]).all()


@pytest.mark.parametrize("sla_hours", [0.001, 4, 4.5, 48, 10_000])
@pytest.mark.parametrize("as_of", ["2026-01-09 13:00", "2026-01-09 15:00:00.5", "2026-04-20"])
def test_sla_window_matches_timestamp_arithmetic(table, sla_hours, as_of):
    start = table["entered_mql"]
    answered = table["first_response"].notna()
    window_over = start + pd.Timedelta(hours=sla_hours) <= pd.Timestamp(as_of)
    expected = int((start.notna() & (answered | window_over)).sum())
    assert metrics.sla(table, as_of, sla_hours).summary["handoffs"] == expected
