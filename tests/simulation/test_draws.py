"""Draws of a block: exact results within Monte Carlo error, deal-sum approximations, lags."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from alignlib.simulation import DealSize, LeadVolume, approximate_deal_sum, simulate_funnel
from alignlib.simulation.draws import _shifted_lognormal
from tests.simulation._simulation_helpers import COUNT_RATES, FIXED_RATES, STAGES
from tests.simulation._simulation_helpers import variance_se as _variance_se
from tests.simulation._simulation_helpers import within as _within

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


# --------------------------------------------------------------------------- channels (issue 12)


def _two_channel_model(n_leads=1000, spreads=(0.0, 0.0), **change):
    from alignlib.simulation import Rate, build_model
    from alignlib.simulation.model import ChannelModel

    base = build_model(
        leads=n_leads, stages=["lead", "mql", "won"], rates=[0.3, 0.2], deal_size=1000.0
    )
    channels = (
        ChannelModel(
            "search",
            0.7,
            (Rate.parse("lead", 0.2), Rate.parse("mql", 0.1)),
            DealSize(1000.0, spreads[0]),
        ),
        ChannelModel(
            "events",
            0.3,
            (Rate.parse("lead", 0.5), Rate.parse("mql", 0.3)),
            DealSize(3000.0, spreads[1]),
        ),
    )
    import dataclasses

    return dataclasses.replace(base, channels=channels, **change)


def _mixture_exact(model):
    """Revenue of a fixed-rate, fixed-size mixture: (W_k) ~ Multinomial(N, share_k p_k)."""
    n = int(model.leads.mean)
    pi = np.array([ch.share * math.prod(r.fixed for r in ch.rates) for ch in model.channels])
    d = np.array([ch.deal_size.mean for ch in model.channels])
    mean = n * float(pi @ d)
    var = n * float(pi @ d**2 - (pi @ d) ** 2)
    return pi, d, mean, var


def test_channel_mixture_matches_the_multinomial_exactly():
    trials = 100_000
    model = _two_channel_model()
    res = simulate_funnel(model, trials=trials, seed=5)
    pi, d, mean, var = _mixture_exact(model)
    # every lead goes to a channel and is won there independently: wins ~ Binomial(N, sum pi)
    won = res.won.astype(float)
    p = pi.sum()
    _within(won.mean(), 1000 * p, math.sqrt(1000 * p * (1 - p) / trials))
    _within(won.var(), 1000 * p * (1 - p), _variance_se(won))
    _within(res.revenue.mean(), mean, math.sqrt(var / trials))
    _within(res.revenue.var(), var, _variance_se(res.revenue))
    # P(revenue >= target) exactly: W_1 ~ Bin(N, pi_1), W_2 | W_1 ~ Bin(N - W_1, pi_2 / (1 - pi_1))
    target = 95_000.0
    w1 = np.arange(1001)
    need = np.ceil((target - d[0] * w1) / d[1]).clip(0)
    p_exact = float(
        (
            stats.binom.pmf(w1, 1000, pi[0])
            * stats.binom.sf(need - 1, 1000 - w1, pi[1] / (1 - pi[0]))
        ).sum()
    )
    _within(res.p_hit(target), p_exact, math.sqrt(p_exact * (1 - p_exact) / trials))
    # stage volumes add up over channels
    _within(res.stage_counts[1].mean(), 1000 * (0.7 * 0.2 + 0.3 * 0.5), 0.05)


def test_channel_mixture_common_random_numbers_see_the_same_distribution():
    from alignlib.simulation import CommonRandomNumbers

    trials = 60_000
    model = _two_channel_model()
    crn = CommonRandomNumbers.draw(model, trials, 3)
    _, _, mean, var = _mixture_exact(model)
    rev = crn.revenue(1000)
    _within(rev.mean(), mean, math.sqrt(var / trials))
    _within(rev.var(), var, _variance_se(rev))
    # monotone in the lead volume, channel by channel
    p = [crn.p_hit(95_000.0, n) for n in (800, 900, 1000, 1100)]
    assert p == sorted(p)


def test_channel_mixture_with_posteriors_lags_and_carry_in():
    from alignlib.simulation import CommonRandomNumbers, Rate, build_model
    from alignlib.simulation.model import ChannelModel

    base = build_model(
        leads=LeadVolume.poisson(5000),
        stages=["lead", "opp", "won"],
        rates=[(300, 1000), (50, 200)],
        deal_size=(10_000.0, 4_000.0),
        lags=[(10, 5), (60, 40)],
        lead_window_start=-70,
        carry_in=True,
    )
    import dataclasses

    channels = (
        ChannelModel(
            "a",
            0.5,
            (Rate.from_counts("lead", 150.5, 600.2), Rate.parse("opp", 0.2)),
            DealSize(8_000.0, 3_000.0),
        ),
        ChannelModel(
            "b",
            0.5,
            (Rate.parse("lead", (200, 400)), Rate.parse("opp", (40, 100))),
            DealSize(15_000.0, 6_000.0),
        ),
    )
    model = dataclasses.replace(base, channels=channels)
    trials = 60_000
    res = simulate_funnel(model, trials=trials, seed=8)
    # steady state: expected wins in the quarter = leads x share-weighted chance to win
    lam = 5000 * sum(ch.share * ch.p_won for ch in channels)
    won_in = res.won_in_quarter.astype(float)
    _within(won_in.mean(), lam, math.sqrt(won_in.var() / trials))
    exp_rev = 5000 * sum(ch.share * ch.p_won * ch.deal_size.mean for ch in channels)
    _within(res.revenue.mean(), exp_rev, math.sqrt(res.revenue.var() / trials))
    # the plan search's common random numbers agree with the simulation
    crn = CommonRandomNumbers.draw(model, trials, 9)
    target = float(np.quantile(res.revenue, 0.4))
    p_sim, p_crn = res.p_hit(target), crn.p_hit(target, 5000)
    _within(p_crn, p_sim, math.sqrt(2 * p_sim * (1 - p_sim) / trials))


# --------------------------------------------------------------------------- volume (issue 12)


@pytest.mark.parametrize("cv", [0.1, 0.3])
def test_gamma_poisson_volume_has_the_negative_binomial_moments(cv):
    trials, mean = 200_000, 2000.0
    volume = LeadVolume.gamma_poisson(mean, cv)
    res = simulate_funnel(
        leads=volume, stages=["lead", "won"], rates=[0.1], deal_size=1.0, trials=trials, seed=2
    )
    leads = res.leads.astype(float)
    # negative binomial with size 1/cv² and mean `mean`
    nb = stats.nbinom(1 / cv**2, 1 / (1 + mean * cv**2))
    assert nb.mean() == pytest.approx(mean) and nb.var() == pytest.approx(mean + cv**2 * mean**2)
    _within(leads.mean(), mean, math.sqrt(nb.var() / trials))
    _within(leads.var(), nb.var(), _variance_se(leads))
    assert volume.cv == pytest.approx(cv)
    # by month: months vary independently, variance sum of (m + cv² m²)
    by_month = LeadVolume.gamma_poisson(mean, cv, (0.3, 0.3, 0.4))
    res = simulate_funnel(
        leads=by_month, stages=["lead", "won"], rates=[0.1], deal_size=1.0, trials=trials, seed=3
    )
    leads = res.leads.astype(float)
    var = sum(m + cv**2 * m**2 for m in (600.0, 600.0, 800.0))
    _within(leads.var(), var, _variance_se(leads))


def test_channel_mixture_same_seed_same_numbers_whatever_chunking_and_workers():
    from alignlib.simulation import BLOCK_TRIALS

    model = _two_channel_model(spreads=(400.0, 1500.0))
    trials = BLOCK_TRIALS + 777
    a = simulate_funnel(model, trials=trials, seed=9, workers=1)
    b = simulate_funnel(model, trials=trials, seed=9, workers=2, chunk_size=1)
    np.testing.assert_array_equal(a.revenue, b.revenue)
    np.testing.assert_array_equal(a.stage_counts, b.stage_counts)


def test_deal_sums_exact_below_the_limit_and_approximate_above():
    from alignlib.simulation.draws import deal_sums

    k = np.array([0, 1, 3, 50])
    flat = deal_sums(np.random.default_rng(1), k, DealSize(1000.0, 0.0))
    assert flat.tolist() == [0.0, 1000.0, 3000.0, 50_000.0]
    deal = DealSize(1000.0, 300.0)
    exact = deal_sums(np.random.default_rng(2), k, deal, exact_below=10**9)
    assert exact[0] == 0 and (exact[1:] > 0).all()
    # the default limit is the deal size's own: the same draws as giving it
    default = deal_sums(np.random.default_rng(3), k, deal)
    given = deal_sums(np.random.default_rng(3), k, deal, exact_below=deal.exact_sum_below)
    assert default.tolist() == given.tolist()
