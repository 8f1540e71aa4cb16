"""Response-time SLA: compliance, acceptance, open windows; the fast median/quantile equals pandas';
percentiles over every hand-off (unanswered censored) against a hand-made table and statsmodels.

Values computed by hand from tests/fixtures/crm/hubspot_small.csv (see tests/metrics/conftest.py).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alignlib import metrics
from alignlib.errors import InputError
from alignlib.metrics.sla import _group_km_quantiles, _group_median_quantile, km_quantile

AS_OF = pd.Timestamp("2026-04-20")


def test_sla(table):
    s = metrics.sla(table, AS_OF, 4, acceptance_hours=48)
    sm = s.summary
    # Hand-offs with an MQL date: 102 (2 h), 103 (6 h), 104 (1 h), 105 (2 h), 106 (1 h),
    # 107 (no response: breach), 114 (1 h).
    assert sm["handoffs"] == 7 and sm["responded"] == 6
    # Of the answered only (the figures before the unanswered were counted).
    assert sm["answered_median_hours"] == pytest.approx(1.5)
    assert sm["answered_p90_hours"] == pytest.approx(4.0)
    # Over every hand-off, 107 censored at as_of (7 weeks): S falls to 4/7 after 1 h,
    # 2/7 after 2 h, 1/7 after 6 h and never below 1/10, so there is no P90.
    assert sm["median_hours"] == pytest.approx(2.0)
    assert sm["p90_hours"] is None  # jsonable: NaN -> None
    assert sm["never_answered"] == 1 and sm["never_answered_share"] == pytest.approx(1 / 7)
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


# -- percentiles over every hand-off: unanswered hand-offs are right-censored ---------------


def test_km_quantile_hand_made_table():
    # 10 hand-offs: answered after 1..8 h, two never answered (censored at 5 h and 30 h).
    # At risk and S: 1h 10 -> .9; 2h 9 -> .8; 3h 8 -> .7; 4h 7 -> .6; 5h 6 -> .5 (the
    # censoring at 5 h leaves after the answer); 6h 4 -> .375; 7h 3 -> .25; 8h 2 -> .125.
    times = np.array([1, 2, 3, 4, 5, 5, 6, 7, 8, 30], dtype=float)
    answered = np.array([1, 1, 1, 1, 1, 0, 1, 1, 1, 0], dtype=bool)
    assert km_quantile(times, answered, 0.5) == 6.0  # S(5) = 0.5 is not below 0.5
    assert km_quantile(times, answered, 0.3) == 4.0  # S(4) = 0.6 < 0.7
    assert km_quantile(times, answered, 0.85) == 8.0  # S(8) = 0.125 < 0.15
    assert math.isnan(km_quantile(times, answered, 0.9))  # never below 0.1
    # No censoring: the order statistic x_(floor(n q) + 1).
    ten = np.arange(1.0, 11.0)
    assert km_quantile(ten, np.ones(10, bool), 0.9) == 10.0
    assert km_quantile(ten, np.ones(10, bool), 0.85) == 9.0
    assert math.isnan(km_quantile(np.array([]), np.array([], bool), 0.5))


def test_km_quantile_matches_statsmodels_survfunc():
    from statsmodels.duration.survfunc import SurvfuncRight

    rng = np.random.default_rng(12)
    # Sizes where n q is never a whole number: at S == 1 - q exactly, statsmodels'
    # cumulative product can land a rounding error below (km_quantile's tolerance does not).
    for n, never in ((7, 0.0), (41, 0.05), (503, 0.04), (2999, 0.2)):
        times = np.round(rng.lognormal(1.0, 1.0, n), rng.integers(1, 4))  # ties too
        answered = rng.random(n) >= never
        times[~answered] = rng.uniform(4, 400, (~answered).sum())
        sf = SurvfuncRight(times, answered.astype(int))
        for q in (0.25, 0.5, 0.9):
            ours, ref = km_quantile(times, answered, q), sf.quantile(q)
            assert (math.isnan(ours) and math.isnan(ref)) or ours == ref, (n, q)


def test_group_km_quantiles_equal_one_group_at_a_time():
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 5, 800)
    codes[codes == 3] = 4  # an empty group
    times = rng.exponential(5, 800)
    answered = rng.random(800) > 0.05
    out = _group_km_quantiles(codes, times, answered, 5, (0.5, 0.9))
    for g in (0, 1, 2, 4):
        rows = codes == g
        assert out[g].tolist() == [
            km_quantile(times[rows], answered[rows], 0.5),
            km_quantile(times[rows], answered[rows], 0.9),
        ]
    assert np.isnan(out[3]).all()
    shared = np.lexsort((~answered, times))  # the order several groupings share
    np.testing.assert_array_equal(
        _group_km_quantiles(codes, times, answered, 5, (0.5, 0.9), shared), out
    )


def test_sla_percentiles_count_the_unanswered_by_an_independent_calculation(table):
    from statsmodels.duration.survfunc import SurvfuncRight

    s = metrics.sla(table, AS_OF, 4)
    start, resp = table["entered_mql"], table["first_response"]
    due = start.notna() & (resp.notna() | (start + pd.Timedelta(hours=4) <= AS_OF))
    hours = ((resp - start).dt.total_seconds() / 3600).clip(lower=0)[due]
    waited = ((AS_OF - start).dt.total_seconds() / 3600)[due]
    sf = SurvfuncRight(hours.fillna(waited).to_numpy(), hours.notna().to_numpy().astype(int))
    assert s.summary["median_hours"] == sf.quantile(0.5)
    assert s.summary["never_answered"] == int(hours.isna().sum())
    # Compliance: the Kaplan-Meier share answered by the SLA equals answered-in-time /
    # hand-offs, because every unanswered hand-off was censored after its window closed.
    f4 = 1 - sf.surv_prob[sf.surv_times <= 4][-1]
    assert s.summary["compliance"] == pytest.approx(f4)
    own = s.by_owner
    assert (own["never_answered"] == own["handoffs"] - own["responded"]).all()


def test_sample_response_p90_counts_the_never_answered():
    """Issue 12: P90 of the answered only was 10.2 h; with the 3.8% never answered, 13.1 h.

    (13.0 h before rows with one bad unrelated field kept their row, issue 20.)
    """
    from alignlib import crm
    from alignlib.params import load_params
    from alignlib.paths import DEFAULT_PARAMS

    ingest = crm.load_actuals(load_params(DEFAULT_PARAMS))
    sm = metrics.sla(ingest.table, ingest.as_of, 4, acceptance_hours=48).summary
    assert round(sm["answered_p90_hours"], 1) == 10.2
    assert round(sm["p90_hours"], 1) == 13.1
    assert sm["never_answered"] == 580 and round(sm["never_answered_share"], 3) == 0.038
    assert round(sm["compliance"], 3) == 0.622
