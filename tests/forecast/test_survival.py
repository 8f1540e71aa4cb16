"""Aalen-Johansen on daily bins against exact cases and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight

from alignlib.errors import InputError
from alignlib.forecast.survival import competing_risks


def test_exponential_competing_risks_with_censoring_match_the_exact_incidence():
    # Two exponential causes (rates 0.03 and 0.01 per day), independent exponential
    # censoring; times rounded up to whole days. Exact discrete incidence of cause 1 by day
    # t: sum_{u<=t} P(T in (u-1, u]) * l1 / (l1 + l2).
    rng = np.random.default_rng(3)
    n, l1, l2, lc = 200_000, 0.03, 0.01, 0.01
    t1, t2, tc = rng.exponential(1 / l1, n), rng.exponential(1 / l2, n), rng.exponential(1 / lc, n)
    event = np.minimum(t1, t2)
    observed = event <= tc
    days = np.ceil(np.where(observed, event, tc)).astype(int)
    cause = np.where(observed, np.where(t1 < t2, 1, 2), 0)
    # censoring on day d after the events of day d: at risk through d means d >= t
    est = competing_risks(days, cause, n_causes=2, days=120)
    t = np.arange(121)
    total = l1 + l2
    exact_1 = l1 / total * (1 - np.exp(-total * t))
    exact_2 = l2 / total * (1 - np.exp(-total * t))
    cif = est.cumulative_incidence
    assert np.max(np.abs(cif[0] - exact_1)) < 0.01
    assert np.max(np.abs(cif[1] - exact_2)) < 0.01
    # survival + incidences = 1 on every day
    assert np.allclose(est.survival + cif.sum(axis=0), 1.0)


def test_matches_statsmodels_kaplan_meier_and_cumulative_incidence():
    rng = np.random.default_rng(8)
    n = 500
    days = rng.integers(0, 60, n)
    cause = rng.choice([0, 1, 2], size=n, p=[0.3, 0.5, 0.2])
    est = competing_risks(days, cause, n_causes=2)
    km = SurvfuncRight(days.astype(float), (cause > 0).astype(float))
    km_at = np.interp(np.arange(est.days + 1), km.surv_times, km.surv_prob)
    # statsmodels' step function at its event times equals ours on those days
    for t, s in zip(km.surv_times, km.surv_prob, strict=True):
        assert est.survival[int(t)] == pytest.approx(s)
    assert km_at.shape == est.survival.shape
    ci = CumIncidenceRight(days.astype(float), cause.astype(float))
    for k in (0, 1):
        for t, value in zip(ci.times, ci.cinc[k], strict=True):
            assert est.cumulative_incidence[k][int(t)] == pytest.approx(value)


def test_degenerate_inputs():
    empty = competing_risks(np.array([], dtype=int), np.array([], dtype=int), 1, days=5)
    assert np.all(empty.survival == 1.0) and np.all(empty.density == 0)
    all_censored = competing_risks(np.array([3, 5]), np.array([0, 0]), 2)
    assert np.all(all_censored.survival == 1.0)
    # after everyone has left, survival stays where it was
    one = competing_risks(np.array([2]), np.array([1]), 1, days=10)
    assert one.survival[1] == 1.0 and one.survival[2] == 0.0 and one.survival[10] == 0.0
    assert one.survival_before(np.array([0, 2, 3, 50])).tolist() == [1.0, 1.0, 0.0, 0.0]
    assert list(one.to_frame().columns) == ["at_risk", "survival", "events_1", "incidence_1"]
    with pytest.raises(InputError):
        competing_risks(np.array([-1]), np.array([1]), 1)
    with pytest.raises(InputError):
        competing_risks(np.array([1]), np.array([3]), 2)
