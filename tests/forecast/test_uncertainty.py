"""What the forecast does not know: drift learned against known truth, curve posteriors, thinning."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alignlib.forecast.curves import win_curves
from alignlib.forecast.pipeline import open_deals, simulate_open_pipeline
from alignlib.forecast.uncertainty import ConversionDrift, Uncertainty, conversion_drift
from alignlib.simulation import DealSize


def _cohorts(p_by_quarter, n_per_quarter, seed=0):
    """A two-stage table: ``n`` contacts a quarter, each won with its quarter's chance."""
    rng = np.random.default_rng(seed)
    rows = []
    for q, p in enumerate(p_by_quarter):
        start = pd.Period("2010Q1", freq="Q") + q
        created = start.start_time + pd.to_timedelta(rng.uniform(0, 89, n_per_quarter), unit="D")
        rows.append(
            pd.DataFrame({"created": created, "reached_won": rng.random(n_per_quarter) < p})
        )
    table = pd.concat(rows, ignore_index=True)
    table["reached_lead"] = True
    return table


def test_drift_is_learned_from_the_spread_beyond_sampling():
    rng = np.random.default_rng(3)
    k, tau = 48, 0.2
    shocks = np.exp(rng.normal(-0.02, tau, k))
    table = _cohorts(0.1 * shocks, 3000, seed=4)
    drift = conversion_drift(table, "2023-01-01", ("lead", "won"), maturity_days=30)
    assert drift.cohorts == k
    # the truth: relative sd of the quarters' chances, sqrt(exp(tau^2) - 1) = 0.202; the
    # moment estimate's relative error with 48 quarters is about 1 / sqrt(2 k) = 10%
    truth = math.sqrt(math.expm1(tau**2))
    assert abs(drift.sd - truth) < 3 * truth / math.sqrt(2 * k)
    assert drift.stationary is False


def test_no_drift_is_found_in_a_stationary_history_and_q_is_pearsons_chi_square():
    table = _cohorts([0.1] * 24, 2000, seed=5)
    drift = conversion_drift(table, "2023-01-01", ("lead", "won"), maturity_days=30)
    assert drift.sd < 0.05 and drift.stationary is True
    q = table.assign(q=table["created"].dt.to_period("Q")).groupby("q")["reached_won"]
    counts = np.column_stack([q.sum(), q.size() - q.sum()])
    chi2, p, dof, _ = stats.chi2_contingency(counts, correction=False)
    assert drift.q_statistic == pytest.approx(chi2) and drift.p_value == pytest.approx(p)
    assert dof == 23


def test_a_step_down_shows_in_the_trend_test():
    table = _cohorts([0.1] * 10 + [0.08] * 10, 2000, seed=6)
    drift = conversion_drift(table, "2023-01-01", ("lead", "won"), maturity_days=30)
    assert drift.trend_p_value < 0.001 and drift.stationary is False


def test_young_cohorts_and_empty_tables_teach_no_drift():
    table = _cohorts([0.1] * 8, 500)
    young = conversion_drift(table, "2012-01-15", ("lead", "won"), maturity_days=5000)
    assert young == ConversionDrift(0.0, 0, young.conversion, young.q_statistic, young.p_value)
    assert young.stationary is None
    empty = conversion_drift(table.iloc[:0], "2023-01-01", ("lead", "won"), 30)
    assert empty.sd == 0 and empty.cohorts == 0


def test_curve_multipliers_are_posterior_ratios_chained_to_won():
    u = Uncertainty(
        ("a", "b", "won"), {"a": (300, 1000), "b": (50, 100)}, ConversionDrift(0, 0, 0, 0, 0)
    )
    m = u.curve_multipliers(200_000, np.random.default_rng(1))
    # stage b: Beta(51, 51) / 0.5; stage a: Beta(301, 701) / 0.3 times stage b's
    b = stats.beta(51, 51)
    assert m[:, 1].mean() == pytest.approx(b.mean() / 0.5, rel=3 * b.std() / 0.5 / 447)
    assert m[:, 1].std() == pytest.approx(b.std() / 0.5, rel=0.02)
    a = stats.beta(301, 701)
    var_a = (a.var() + a.mean() ** 2) * (b.var() + b.mean() ** 2) - (a.mean() * b.mean()) ** 2
    assert m[:, 0].std() == pytest.approx(math.sqrt(var_a) / 0.15, rel=0.02)
    # no drift: shocks are ones; with drift, mean-one lognormal
    assert (u.shocks(10, np.random.default_rng(0)) == 1).all()
    drifting = Uncertainty(("a", "won"), {}, ConversionDrift(0.25, 8, 0.1, 20.0, 0.001))
    s = drifting.shocks(400_000, np.random.default_rng(2))
    assert s.mean() == pytest.approx(1.0, abs=4 * 0.25 / 632)
    assert s.std() == pytest.approx(0.25, rel=0.02)


def _deals(n=40):
    return pd.DataFrame(
        {
            "id": [f"d{i}" for i in range(n)],
            "stage": ["s1"] * (n // 2) + ["s2"] * (n - n // 2),
            "stage_index": [0] * (n // 2) + [1] * (n - n // 2),
            "days_in_stage": np.arange(n) % 3,
            "win_chance": np.where(np.arange(n) < n // 2, 0.1, 0.4),
            "amount": np.where(np.arange(n) % 4 == 0, 50_000.0, np.nan),
        }
    )


def test_thinning_gives_each_trial_its_own_win_chance():
    deals = _deals()
    deal = DealSize(20_000, 0)  # fixed size: revenue is wins x amount
    trials = 60_000
    rng = np.random.default_rng(0)
    mult = np.column_stack([rng.uniform(0.5, 1.5, trials), rng.uniform(0.8, 1.2, trials)])
    revenue = simulate_open_pipeline(deals, deal, trials, np.random.default_rng(9), mult)
    p = deals["win_chance"].to_numpy()
    a = deals["amount"].fillna(20_000).to_numpy()
    m = mult[:, deals["stage_index"].to_numpy()]
    # exact conditional mean and variance per trial, then the law of total variance
    cond_mean = (m * p * a).sum(axis=1)
    cond_var = (a * a * m * p * (1 - m * p)).sum(axis=1)
    mean, var = cond_mean.mean(), cond_var.mean() + cond_mean.var()
    assert revenue.mean() == pytest.approx(mean, abs=4 * math.sqrt(var / trials))
    assert revenue.var() == pytest.approx(var, rel=0.04)
    same = simulate_open_pipeline(deals, deal, trials, np.random.default_rng(9), mult)
    assert (same == revenue).all()  # same seed, same numbers


def test_disqualified_and_recycled_contacts_are_not_open_pipeline():
    cut = pd.Timestamp("2024-03-01")
    table = pd.DataFrame(
        {
            "id": ["x", "y", "z", "w"],
            "created": pd.to_datetime(["2024-01-01"] * 4),
            "entered_a": pd.to_datetime(["2024-01-01"] * 4),
            "entered_b": pd.to_datetime(["2024-02-01"] * 4),
            "entered_won": pd.to_datetime([None] * 4),
            "outcome": [None, None, None, "open"],
            "close_date": pd.to_datetime([None] * 4),
            "amount": [5_000.0] * 4,
            "disqualified": [False, True, False, False],
            "recycled": [False, False, True, True],
        }
    )
    curves = win_curves(table, cut, ("a", "b", "won"))
    deals = open_deals(table, cut, ("a", "b", "won"), curves, (0, 30))
    # a contact rejected at the hand-off is out; an open deal whose contact was later
    # put back in nurture was pipeline while it was open
    assert deals["id"].tolist() == ["x", "w"]
    # the curves count the two rejected contacts as lost on the day they entered
    assert curves.exits[1].events[-1, 0] == 2


def test_many_own_amount_deals_are_summed_by_their_first_three_moments():
    from alignlib.forecast.pipeline import OWN_EXACT_BELOW

    rng = np.random.default_rng(5)
    n = OWN_EXACT_BELOW
    deals = pd.DataFrame(
        {
            "id": [f"d{i}" for i in range(n)],
            "stage": "s1",
            "stage_index": rng.integers(0, 2, n),
            "days_in_stage": 0,
            "win_chance": rng.uniform(0.01, 0.3, n),
            "amount": rng.lognormal(10, 0.8, n),
        }
    )
    trials = 40_000
    mult = np.column_stack([rng.uniform(0.7, 1.3, trials), rng.uniform(0.9, 1.1, trials)])
    approx = simulate_open_pipeline(deals, None, trials, np.random.default_rng(1), mult)
    exact = simulate_open_pipeline(deals.iloc[:-1], None, trials, np.random.default_rng(2), mult)
    # one deal fewer takes the exact Bernoulli path: the two agree in mean, spread and the
    # 10/50/90% quantiles within Monte Carlo error (plus the one deal left out)
    last = deals.iloc[-1]
    shift = last["amount"] * last["win_chance"]
    assert approx.mean() - exact.mean() == pytest.approx(shift, abs=4 * approx.std() / 141)
    assert approx.std() == pytest.approx(exact.std(), rel=0.03)
    for q in (0.1, 0.5, 0.9):
        gap = np.quantile(approx, q) - np.quantile(exact, q) - shift
        assert abs(gap) < 0.03 * approx.std() + 4 * approx.std() / 141, q
