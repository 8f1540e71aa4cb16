"""Monte Carlo funnel: exact results within Monte Carlo error, determinism, plans, sensitivity."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from alignlib.errors import InputError
from alignlib.simulation import (
    BLOCK_TRIALS,
    CommonRandomNumbers,
    DealSize,
    Lag,
    LeadVolume,
    approximate_deal_sum,
    build_model,
    close_probabilities,
    funnel_inputs_from_params,
    plan_for_confidence,
    plan_from_params,
    sensitivity,
    sensitivity_from_params,
    simulate_from_params,
    simulate_funnel,
)

K = 5  # standard errors allowed in every Monte Carlo comparison

STAGES = ["lead", "mql", "sal", "sql", "opportunity", "won"]
FIXED_RATES = [0.3, 0.6, 0.5, 0.5, 0.25]
COUNT_RATES = [(300, 1000), (60, 100), (25, 50), (20, 40), (10, 40)]


def _within(estimate: float, exact: float, se: float) -> None:
    assert abs(estimate - exact) <= K * se, f"{estimate} vs {exact} (se {se})"


def _variance_se(x: np.ndarray) -> float:
    """Standard error of the sample variance, from the sample's own fourth central moment."""
    d = x - x.mean()
    m4, m2 = np.mean(d**4), np.mean(d**2)
    return math.sqrt((m4 - m2**2) / x.shape[0])


# --------------------------------------------------------------------------- exact results


def test_fixed_rates_give_binomial_wins_mean_variance_and_tail():
    n_leads, trials = 4000, 200_000
    res = simulate_funnel(
        leads=n_leads, stages=STAGES, rates=FIXED_RATES, deal_size=20_000, trials=trials, seed=1
    )
    p = math.prod(FIXED_RATES)
    dist = stats.binom(n_leads, p)
    won = res.won.astype(float)
    mean, var = dist.mean(), dist.var()
    _within(won.mean(), mean, math.sqrt(var / trials))
    # SE of the sample variance from the binomial's fourth central moment
    mu4 = (dist.stats(moments="k") + 3.0) * var**2
    se_var = math.sqrt((mu4 - var**2 * (trials - 3) / (trials - 1)) / trials)
    _within(won.var(ddof=1), var, se_var)
    for k in (int(mean + 2 * math.sqrt(var)), int(mean - 1.5 * math.sqrt(var))):
        tail = dist.sf(k - 1)
        _within(np.mean(res.won >= k), tail, math.sqrt(tail * (1 - tail) / trials))
    # every intermediate stage is binomial too
    for i, stage in enumerate(STAGES[1:], start=1):
        p_i = math.prod(FIXED_RATES[:i])
        sd = math.sqrt(n_leads * p_i * (1 - p_i))
        _within(res.counts(stage).mean(), n_leads * p_i, sd / math.sqrt(trials))


def test_beta_rates_give_leads_times_product_of_posterior_means():
    n_leads, trials = 3000, 200_000
    res = simulate_funnel(
        leads=n_leads, stages=STAGES, rates=COUNT_RATES, deal_size=1.0, trials=trials, seed=2
    )
    expected = n_leads * math.prod((1 + c) / (2 + t) for c, t in COUNT_RATES)
    won = res.won.astype(float)
    _within(won.mean(), expected, won.std(ddof=1) / math.sqrt(trials))
    # rate uncertainty widens the spread well beyond the binomial one
    p = math.prod((1 + c) / (2 + t) for c, t in COUNT_RATES)
    assert won.var() > 3 * n_leads * p * (1 - p)


def test_fixed_deal_size_revenue_is_exactly_wins_times_deal_size():
    res = simulate_funnel(
        leads=5000, stages=STAGES, rates=COUNT_RATES, deal_size=24_000.0, trials=30_000, seed=3
    )
    np.testing.assert_array_equal(res.revenue, res.won * 24_000.0)
    assert not res.revenue_after.any() and not res.has_lags
    np.testing.assert_array_equal(res.won_in_quarter, res.won)


def test_poisson_leads_thin_to_poisson_wins():
    trials, mean = 200_000, 2500.0
    res = simulate_funnel(
        leads=LeadVolume.poisson(mean),
        stages=STAGES,
        rates=FIXED_RATES,
        deal_size=1.0,
        trials=trials,
        seed=4,
    )
    _within(res.leads.mean(), mean, math.sqrt(mean / trials))
    lam = mean * math.prod(FIXED_RATES)
    won = res.won.astype(float)
    _within(won.mean(), lam, math.sqrt(lam / trials))
    # variance of a Poisson sample variance: (lam + 2 lam^2) / n approximately
    _within(won.var(ddof=1), lam, math.sqrt((lam + 2 * lam**2) / trials))


def test_monthly_leads_have_their_means_and_spreads():
    trials = 100_000
    means, spreads = [1000.0, 1200.0, 1500.0], [200.0, 10.0, 300.0]
    res = simulate_funnel(
        leads=LeadVolume.monthly(means, spreads),
        stages=STAGES,
        rates=FIXED_RATES,
        deal_size=1.0,
        trials=trials,
        seed=5,
    )
    # a spread below the Poisson spread (month 2) means Poisson: variance = mean
    var = spreads[0] ** 2 + means[1] + spreads[2] ** 2
    leads = res.leads.astype(float)
    _within(leads.mean(), sum(means), math.sqrt(var / trials))
    _within(leads.var(), var, _variance_se(leads))


def test_lognormal_deal_size_mean_and_variance_of_revenue():
    trials = 200_000
    deal = DealSize(24_000, 11_000)
    res = simulate_funnel(
        leads=400, stages=STAGES, rates=FIXED_RATES, deal_size=deal, trials=trials, seed=6
    )
    p = math.prod(FIXED_RATES)
    ew, vw = 400 * p, 400 * p * (1 - p)
    mean = ew * deal.mean
    var = ew * deal.spread**2 + vw * deal.mean**2
    _within(res.revenue.mean(), mean, math.sqrt(var / trials))
    _within(res.revenue.var(), var, _variance_se(res.revenue))
    assert res.revenue.min() >= 0


# --------------------------------------------------------------------------- approximations


@pytest.mark.parametrize("cv", [0.3, 0.45, 1.0])
@pytest.mark.parametrize("k", [1, 16, 100])
def test_shifted_lognormal_matches_mean_variance_and_skewness_exactly(k, cv):
    deal = DealSize(20_000, 20_000 * cv)
    from alignlib.simulation import _shifted_lognormal

    shift, scale, sigma = (float(x[0]) for x in _shifted_lognormal(np.array([k]), deal))
    ln = stats.lognorm(sigma, scale=scale * math.exp(-(sigma**2) / 2))
    m, v, s = (float(x) for x in ln.stats(moments="mvs"))
    assert shift + m == pytest.approx(k * deal.mean, rel=1e-9)
    assert v == pytest.approx(k * deal.spread**2, rel=1e-9)
    assert s == pytest.approx((cv**2 + 3) * cv / math.sqrt(k), rel=1e-6)
    assert shift >= -1e-6  # revenue cannot go negative


@pytest.mark.parametrize("cv", [0.45, 1.0])
def test_deal_sum_approximation_error_is_below_monte_carlo_error(cv):
    # the approximation takes over at k = exact_sum_below, where its error is largest: compare
    # tail probabilities of exact and approximate sums there, with samples as large as a
    # typical run; the differences must be within Monte Carlo error
    n = 100_000
    deal = DealSize(24_000, 24_000 * cv)
    k = deal.exact_sum_below
    assert k == (16 if cv < 0.8 else 76)
    rng = np.random.default_rng(11)
    mu, sigma = deal.lognormal_params
    exact = rng.lognormal(mu, sigma, (n, k)).sum(axis=1)
    approx = approximate_deal_sum(np.full(n, k), rng.standard_normal(n), deal)
    for q in (0.01, 0.1, 0.5, 0.9, 0.99):
        t = np.quantile(exact, q)
        p_exact, p_approx = np.mean(exact >= t), np.mean(approx >= t)
        se = math.sqrt(2 * p_exact * (1 - p_exact) / n)
        _within(p_approx, p_exact, se)


def test_simulation_with_exact_and_approximate_deal_sums_agree():
    trials = 100_000
    kwargs = dict(
        leads=LeadVolume.poisson(600),
        stages=STAGES,
        rates=COUNT_RATES,
        deal_size=(24_000, 12_000),
        trials=trials,
    )
    approx = simulate_funnel(**kwargs, seed=21)
    exact = simulate_funnel(**kwargs, seed=22, exact_deal_sums_below=10**9)
    target = float(np.median(exact.revenue))
    p_a, p_e = approx.p_hit(target), exact.p_hit(target)
    _within(p_a, p_e, math.sqrt(2 * p_e * (1 - p_e) / trials))
    se_mean = exact.revenue.std() * math.sqrt(2 / trials)
    _within(approx.revenue.mean(), exact.revenue.mean(), se_mean)


# --------------------------------------------------------------------------- timing


def _brute_force_close(lags, quarter_days, window_start, n, rng):
    arrival = window_start + rng.uniform(0, quarter_days, n)
    total = np.zeros(n)
    for lag in lags:
        if lag.spread == 0:
            total += lag.typical
        else:
            shape = (lag.typical / lag.spread) ** 2
            total += rng.gamma(shape, lag.typical / shape, n)
    close = arrival + total
    return np.mean(close < 0), np.mean((close >= 0) & (close <= quarter_days))


@pytest.mark.parametrize("window_start", [0.0, -60.0])
def test_close_probabilities_match_per_deal_brute_force(window_start):
    lags = [Lag(9, 6), Lag(2, 2), Lag(8, 5), Lag(10, 6), Lag(55, 20)]
    n = 400_000
    before_bf, in_bf = _brute_force_close(lags, 92.0, window_start, n, np.random.default_rng(8))
    before, inside = close_probabilities(lags, 92.0, 1, window_start)
    _within(inside[0], in_bf, math.sqrt(in_bf * (1 - in_bf) / n))
    _within(before[0], before_bf, math.sqrt(max(before_bf * (1 - before_bf), 1e-6) / n))


def test_deterministic_lags_give_the_exact_share_in_quarter():
    # total lag 30 days, arrivals uniform over 90 days: two thirds close inside
    before, inside = close_probabilities([Lag(10, 0), Lag(20, 0)], 90.0, 3)
    np.testing.assert_allclose(inside, [1.0, 1.0, 0.0], atol=1e-3)
    assert not before.any()
    _, whole = close_probabilities([Lag(10, 0), Lag(20, 0)], 90.0, 1)
    assert whole[0] == pytest.approx(2 / 3, abs=1e-3)


def test_lags_split_revenue_into_quarter_and_after():
    trials = 100_000
    lags = [(5, 2), (5, 3), (10, 5), (10, 5), (30, 10)]
    res = simulate_funnel(
        leads=3000,
        stages=STAGES,
        rates=FIXED_RATES,
        deal_size=10_000.0,
        trials=trials,
        seed=9,
        lags=lags,
        quarter_days=91,
    )
    q = res.model.in_quarter_probability[0]
    assert 0.2 < q < 0.8
    p = math.prod(FIXED_RATES)
    _within(res.won_in_quarter.mean(), 3000 * p * q, math.sqrt(3000 * p * q / trials))
    np.testing.assert_allclose(res.revenue + res.revenue_after, res.won * 10_000.0)
    assert (res.won_in_quarter <= res.won).all()
    assert res.p_hit(res.won.mean() * 10_000) < 0.01  # most deals slip: the target is missed


def test_lead_window_before_the_quarter_books_before_inside_and_after():
    res = simulate_funnel(
        leads=LeadVolume.monthly([1000, 1000, 1000], 40.0),
        stages=STAGES,
        rates=FIXED_RATES,
        deal_size=1.0,
        trials=20_000,
        seed=10,
        lags={s: (14, 7) for s in STAGES[:-1]},
        quarter_days=90,
        lead_window_start=-70,
    )
    np.testing.assert_allclose(res.revenue_total, res.won.astype(float))
    assert res.revenue_before.mean() > 0 and res.revenue_after.mean() > 0
    assert res.revenue.mean() > res.revenue_before.mean()
    assert "revenue_before" in res.summary().index


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_numbers_whatever_chunking_and_workers():
    trials = 2 * BLOCK_TRIALS + 1234
    kwargs = dict(
        leads=LeadVolume.poisson(800),
        stages=STAGES,
        rates=COUNT_RATES,
        deal_size=(20_000, 9_000),
        trials=trials,
        seed=42,
        lags=[(5, 2)] * 5,
    )
    a = simulate_funnel(**kwargs, workers=1)
    b = simulate_funnel(**kwargs, workers=2, chunk_size=1)
    c = simulate_funnel(**kwargs, workers=3, chunk_size=10**6)
    for other in (b, c):
        np.testing.assert_array_equal(a.stage_counts, other.stage_counts)
        np.testing.assert_array_equal(a.revenue, other.revenue)
        np.testing.assert_array_equal(a.revenue_after, other.revenue_after)
        np.testing.assert_array_equal(a.won_in_quarter, other.won_in_quarter)
    d = simulate_funnel(**{**kwargs, "seed": 43})
    assert not np.array_equal(a.revenue, d.revenue)
    assert not np.array_equal(a.won, d.won)


def test_result_seed_reproduces_an_unseeded_run_and_rng_is_accepted():
    kwargs = dict(leads=500, stages=STAGES, rates=COUNT_RATES, deal_size=1.0, trials=5000)
    first = simulate_funnel(**kwargs)
    again = simulate_funnel(**kwargs, seed=first.seed)
    np.testing.assert_array_equal(first.won, again.won)
    r1 = simulate_funnel(**kwargs, rng=np.random.default_rng(5))
    r2 = simulate_funnel(**kwargs, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(r1.won, r2.won)
    with pytest.raises(InputError, match="either seed or rng"):
        simulate_funnel(**kwargs, seed=1, rng=np.random.default_rng(1))


def test_progress_callback_counts_every_trial():
    seen = []
    simulate_funnel(
        leads=100,
        stages=STAGES,
        rates=FIXED_RATES,
        deal_size=1.0,
        trials=BLOCK_TRIALS + 10,
        seed=1,
        progress=seen.append,
    )
    assert sum(seen) == BLOCK_TRIALS + 10 and len(seen) == 2


# --------------------------------------------------------------------------- result object


def test_result_accessors_and_tables():
    res = simulate_funnel(
        leads=2000, stages=STAGES, rates=COUNT_RATES, deal_size=(20_000, 5_000), trials=5000, seed=1
    )
    assert res.won.dtype == np.int32 and res.revenue.dtype == np.float64
    assert res.stage_counts.shape == (6, 5000)
    np.testing.assert_array_equal(res.counts("won"), res.won)
    with pytest.raises(ValueError):
        res.revenue[0] = 1.0  # read-only
    with pytest.raises(InputError, match="stage 'deal'"):
        res.counts("deal")
    q = res.quantiles()
    assert list(q) == ["P10", "P50", "P90"] and q["P10"] <= q["P50"] <= q["P90"]
    target = q["P50"]
    assert res.p_hit(target) == pytest.approx(0.5, abs=0.02)
    assert 0 <= res.p_hit_se(target) < 0.01
    table = res.summary(target=target)
    assert list(table.index) == [*STAGES, "revenue"]
    assert table.loc["lead", "mean"] == 2000 and table.attrs["p_hit"] == res.p_hit(target)
    d = res.to_dict(target=target)
    json.dumps(d)
    assert d["p_hit"] == res.p_hit(target) and d["revenue_quantiles"] == q


def test_zero_leads_is_a_neutral_result():
    res = simulate_funnel(
        leads=0, stages=STAGES, rates=COUNT_RATES, deal_size=(1000, 500), trials=100, seed=1
    )
    assert not res.stage_counts.any() and not res.revenue.any()
    assert res.p_hit(1.0) == 0.0 and res.p_hit(0.0) == 1.0


def test_rate_of_one_passes_everyone():
    res = simulate_funnel(
        leads=50, stages=["a", "b", "c"], rates=[1.0, 1.0], deal_size=2.0, trials=10, seed=1
    )
    assert (res.won == 50).all() and (res.revenue == 100.0).all()


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("rates", "match"),
    [
        ([0.3, (70, 60), 0.5, 0.5, 0.2], r"'mql'.*converted=70 is more than total=60"),
        ([0.3, 0.6, (-1, 60), 0.5, 0.2], r"'sal'.*converted=-1"),
        ([0.3, 0.6, 0.5, (3, -5), 0.2], r"'sql'.*total=-5"),
        ([0.3, 0.6, 0.5, 0.5, 0.0], r"'opportunity'.*rate 0.0 is outside \(0, 1\]"),
        ([1.5, 0.6, 0.5, 0.5, 0.2], r"'lead'.*rate 1.5"),
        ([0.3, 0.6, 0.5, (0, 0), 0.2], r"'sql'.*total=0"),
        ([0.3, 0.6, 0.5, "half", 0.2], r"'sql'.*'half'"),
        ([0.3, 0.6, 0.5, 0.5], r"4 rates for 6 stages"),
    ],
)
def test_bad_rates_name_the_stage_and_value(rates, match):
    with pytest.raises(InputError, match=match):
        simulate_funnel(leads=10, stages=STAGES, rates=rates, deal_size=1.0, trials=10)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"trials": 0}, r"trials: 0"),
        ({"trials": -5}, r"trials: -5"),
        ({"leads": -3}, r"leads: -3"),
        ({"leads": 12.5}, r"leads: 12.5"),
        ({"deal_size": 0}, r"deal_size: mean 0"),
        ({"deal_size": (100, -1)}, r"deal_size spread: -1"),
        ({"seed": -1}, r"seed: -1"),
        ({"lags": [(1, 1)] * 4}, r"4 lags given for 5"),
        ({"lags": {"lead": (1, 1)}}, r"no lag for stage"),
        ({"lags": [(1, 1)] * 4 + [(-2, 1)]}, r"'opportunity'.*-2"),
        ({"workers": 0}, r"workers: 0"),
    ],
)
def test_bad_inputs_raise_clear_errors(change, match):
    kwargs = dict(leads=10, stages=STAGES, rates=FIXED_RATES, deal_size=1.0, trials=10) | change
    with pytest.raises(InputError, match=match):
        simulate_funnel(**kwargs)


# --------------------------------------------------------------------------- confidence plan


def test_confidence_plan_is_the_smallest_volume_and_matches_exact_binomial():
    # fixed leads, fixed rates, fixed deal size: P(hit) at N leads is an exact binomial tail
    target, deal, conf, trials = 200_000.0, 10_000.0, 0.8, 50_000
    rates = [0.4, 0.5, 0.25]
    plan = plan_for_confidence(
        target=target,
        confidence=conf,
        leads=1,
        stages=["lead", "mql", "sql", "won"],
        rates=rates,
        deal_size=deal,
        trials=trials,
        seed=3,
    )
    p = math.prod(rates)
    need = math.ceil(target / deal)

    def exact(n: int) -> float:
        return float(stats.binom.sf(need - 1, n, p))

    se = math.sqrt(conf * (1 - conf) / trials)
    n_lo = next(n for n in range(need, 10 * need * 20) if exact(n) >= conf - K * se)
    n_hi = next(n for n in range(need, 10 * need * 20) if exact(n) >= conf + K * se)
    assert n_lo <= plan.leads <= n_hi
    assert plan.p_hit >= conf
    assert plan.point_leads == math.ceil(target / deal / p)  # the reverse funnel's answer
    assert plan.point_p_hit < conf < plan.p_hit + 1e-12
    assert plan.leads > plan.point_leads


def test_confidence_plan_is_minimal_monotone_and_agrees_with_simulation():
    kwargs = dict(
        leads=LeadVolume.poisson(1),
        stages=STAGES,
        rates=COUNT_RATES,
        deal_size=(20_000, 8_000),
        lags=[(5, 2), (3, 2), (7, 3), (10, 5), (30, 10)],
        lead_window_start=-55,
    )
    target = 1_000_000.0
    plan = plan_for_confidence(target=target, confidence=0.9, trials=20_000, seed=5, **kwargs)
    model = build_model(**kwargs)
    crn = CommonRandomNumbers.draw(model, 20_000, plan.seed)
    assert crn.p_hit(target, plan.leads) >= 0.9 > crn.p_hit(target, plan.leads - 1)
    grid = np.linspace(plan.leads * 0.5, plan.leads * 1.5, 9)
    p_grid = [crn.p_hit(target, x) for x in grid]
    assert all(b >= a for a, b in zip(p_grid, p_grid[1:], strict=False))
    # the plain simulator at that volume agrees within Monte Carlo error
    trials = 40_000
    sim = simulate_funnel(
        **{**kwargs, "leads": LeadVolume.poisson(plan.leads)}, trials=trials, seed=77
    )
    se = math.sqrt(0.9 * 0.1 / trials + 0.9 * 0.1 / 20_000)
    _within(sim.p_hit(target), plan.p_hit, se)
    # stage volumes are leads x posterior-mean rates; the table pairs them with the point plan
    frame = plan.to_frame()
    assert list(frame.columns) == ["point_plan", "confidence_plan", "difference"]
    assert frame.loc["won", "confidence_plan"] == pytest.approx(
        plan.leads * math.prod((1 + c) / (2 + t) for c, t in COUNT_RATES)
    )
    json.dumps(plan.to_dict())
    again = plan_for_confidence(target=target, confidence=0.9, trials=20_000, seed=5, **kwargs)
    assert again == plan


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.2])
def test_confidence_must_be_a_probability(confidence):
    with pytest.raises(InputError, match="confidence"):
        plan_for_confidence(
            target=1e6, confidence=confidence, stages=STAGES, rates=FIXED_RATES, deal_size=1e4
        )


# --------------------------------------------------------------------------- sensitivity


def test_sensitivity_ranks_the_least_certain_rate_first():
    # same rates, but one measured on 40 deals and the others on thousands
    rates = [(3000, 10000), (6000, 10000), (2500, 5000), (20, 40), (2500, 10000)]
    p = math.prod((1 + c) / (2 + t) for c, t in rates)
    leads = 20_000
    target = leads * p * 10_000 * 0.97
    res = sensitivity(
        target=target,
        leads=leads,
        stages=STAGES,
        rates=rates,
        deal_size=10_000.0,
        trials=20_000,
        seed=4,
    )
    table = res.to_frame()
    assert len(table) == len(rates) + 2
    rate_rows = table[table["kind"] == "conversion_rate"]
    assert rate_rows.index[0] == "conversion sql→opportunity"
    assert (table["p_hit_high"] >= table["p_hit_low"]).all()  # monotone on common randomness
    assert table["effect"].abs().is_monotonic_decreasing
    assert (
        ((table[["p_hit_low", "p_hit_high"]] >= 0) & (table[["p_hit_low", "p_hit_high"]] <= 1))
        .all()
        .all()
    )
    assert 0 < res.base_p_hit < 1
    json.dumps(res.to_dict())


def test_relative_swings_of_rates_move_p_hit_alike():
    res = sensitivity(
        target=2_250_000.0,
        leads=LeadVolume.poisson(20_000),
        stages=STAGES,
        rates=FIXED_RATES,
        deal_size=10_000.0,
        method="relative",
        trials=20_000,
        seed=4,
    )
    effects = res.to_frame().query("kind == 'conversion_rate'")["effect"]
    assert effects.max() - effects.min() < 1e-12 and effects.max() > 0.1


# --------------------------------------------------------------------------- params


@pytest.fixture
def params(params_dict, write_params):
    from alignlib.params import load_params

    return load_params(write_params(params_dict))


def test_simulate_from_params_maps_the_quarter(params):
    kwargs = funnel_inputs_from_params(params)
    assert kwargs["stages"] == list(params.stage_names)
    assert kwargs["rates"] == list(params.rate_inputs)
    assert kwargs["quarter_days"] == 92.0  # Oct-Dec
    assert kwargs["lead_window_start"] == -sum(lag.typical for lag in params.lags)
    res = simulate_from_params(params)
    assert res.trials == params.simulation.trials and res.seed == params.simulation.seed
    from alignlib.planning import reverse_funnel

    point = reverse_funnel(
        params.target.bookings, params.deal_size.mean, params.stage_names, params.rates
    )
    assert res.leads.mean() == pytest.approx(point.leads, rel=0.02)
    assert 0 <= res.p_hit(params.target.bookings) <= 1
    fixed = simulate_from_params(params, leads=1234, trials=50, seed=1)
    assert fixed.leads.mean() == pytest.approx(1234, rel=0.05)


def test_plan_and_sensitivity_from_params(params):
    plan = plan_from_params(params, trials=5000)
    assert plan.confidence == params.simulation.confidence
    assert plan.p_hit >= plan.confidence and plan.leads > 0
    sens = sensitivity_from_params(params, trials=5000)
    assert {r["kind"] for r in sens.rows} == {"conversion_rate", "lead_volume", "deal_size"}


# --------------------------------------------------------------------------- dask


def _dask_kwargs():
    return dict(
        leads=LeadVolume.poisson(800),
        stages=["lead", "sql", "opportunity", "won"],
        rates=[(30, 100), (50, 100), (20, 80)],
        deal_size=(20_000, 9_000),
        trials=2 * BLOCK_TRIALS + 77,
        seed=5,
        lags=[(5, 2)] * 3,
    )


def _assert_same(a, b):
    np.testing.assert_array_equal(a.stage_counts, b.stage_counts)
    np.testing.assert_array_equal(a.revenue, b.revenue)
    np.testing.assert_array_equal(a.revenue_after, b.revenue_after)
    np.testing.assert_array_equal(a.won_in_quarter, b.won_in_quarter)


@pytest.mark.parametrize("processes", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_dask_cluster_gives_the_local_numbers(processes):
    distributed = pytest.importorskip("distributed")
    local = simulate_funnel(**_dask_kwargs())
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=processes,
            host="127.0.0.1",
            protocol="tcp",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        seen = []
        on_client = simulate_funnel(**_dask_kwargs(), client=client, progress=seen.append)
        by_address = simulate_funnel(**_dask_kwargs(), scheduler=cluster.scheduler_address)
    _assert_same(local, on_client)
    _assert_same(local, by_address)
    assert sum(seen) == local.trials


def test_carry_in_probabilities_match_brute_force_and_steady_state_keeps_every_deal():
    lags = [Lag(9, 6), Lag(2, 2), Lag(8, 5), Lag(10, 6), Lag(55, 20)]
    q, start, n = 92.0, -84.0, 400_000
    rng = np.random.default_rng(12)
    arrival = start + rng.uniform(0, q, n)
    total = sum(rng.gamma((g.typical / g.spread) ** 2, g.spread**2 / g.typical, n) for g in lags)
    close = arrival + total
    from alignlib.simulation import carry_in_probabilities

    from_prev, from_next = carry_in_probabilities(lags, q, 1, start)
    p_next_q = np.mean((close > q) & (close <= 2 * q))
    p_prev_q = np.mean((close >= -q) & (close < 0))
    _within(from_prev[0], p_next_q, math.sqrt(p_next_q * (1 - p_next_q) / n))
    _within(from_next[0], p_prev_q, math.sqrt(p_prev_q * (1 - p_prev_q) / n))
    # steady state: the same plan every quarter books (almost) every deal in some quarter
    trials = 50_000
    res = simulate_funnel(
        leads=LeadVolume.poisson(3000),
        stages=STAGES,
        rates=FIXED_RATES,
        deal_size=1.0,
        trials=trials,
        seed=13,
        lags=lags,
        quarter_days=q,
        lead_window_start=start,
        carry_in=True,
    )
    m = res.model
    share = m.in_quarter_probability[0] + m.carry_from_previous[0] + m.carry_from_next[0]
    assert share > 0.99
    lam = 3000 * math.prod(FIXED_RATES) * share
    _within(res.won_in_quarter.mean(), lam, math.sqrt(lam / trials))
    assert (res.won_carried_in > 0).any()
    np.testing.assert_array_equal(res.revenue, res.won_in_quarter.astype(float))
    # the plan search's common random numbers see the same model
    plan = plan_for_confidence(
        target=float(np.quantile(res.revenue, 0.5)),
        confidence=0.5,
        leads=LeadVolume.poisson(1),
        stages=STAGES,
        rates=FIXED_RATES,
        deal_size=1.0,
        lags=lags,
        quarter_days=q,
        lead_window_start=start,
        carry_in=True,
        trials=20_000,
        seed=3,
    )
    assert abs(plan.leads / 3000 - 1) < 0.02


def test_lead_volumes_too_large_for_the_counts_are_refused():
    with pytest.raises(InputError, match="too large"):
        LeadVolume.poisson(3e9)
    with pytest.raises(InputError, match="leads: 3000000000"):
        LeadVolume.fixed(3_000_000_000)


@pytest.mark.parametrize(
    "entry",
    [
        lambda **kw: simulate_funnel(leads=100, **kw),
        lambda **kw: plan_for_confidence(target=10.0, **kw),
        lambda **kw: sensitivity(target=10.0, leads=100, **kw),
    ],
    ids=["simulate_funnel", "plan_for_confidence", "sensitivity"],
)
def test_entry_points_check_trials_then_funnel_then_seed(entry):
    bad_rates = [*FIXED_RATES[:-1], 1.5]
    both = dict(seed=1, rng=np.random.default_rng(1))
    with pytest.raises(InputError, match="trials"):
        entry(stages=STAGES, rates=bad_rates, deal_size=1.0, trials=0, **both)
    with pytest.raises(InputError, match="1.5"):
        entry(stages=STAGES, rates=bad_rates, deal_size=1.0, trials=100, **both)
    with pytest.raises(InputError, match="either seed or rng"):
        entry(stages=STAGES, rates=FIXED_RATES, deal_size=1.0, trials=100, **both)


def test_sensitivity_table_columns_do_not_depend_on_the_ranking():
    kwargs = dict(stages=["lead", "won"], deal_size=1_000.0, trials=4_000, seed=1)
    by_rate = sensitivity(target=20_000, leads=200, rates=[(10, 100)], **kwargs).to_frame()
    by_volume = sensitivity(target=20_000, leads=200, rates=[0.1], **kwargs).to_frame()
    assert list(by_rate.columns) == list(by_volume.columns)
    assert list(by_rate.columns[:5]) == ["kind", "stage", "low_value", "base_value", "high_value"]
