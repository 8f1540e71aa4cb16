"""Sensitivity: ranking by uncertainty, relative swings, stable table columns."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from alignlib.simulation import LeadVolume, sensitivity
from tests.simulation._simulation_helpers import FIXED_RATES, STAGES

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


def test_sensitivity_table_columns_do_not_depend_on_the_ranking():
    kwargs = dict(stages=["lead", "won"], deal_size=1_000.0, trials=4_000, seed=1)
    by_rate = sensitivity(target=20_000, leads=200, rates=[(10, 100)], **kwargs).to_frame()
    by_volume = sensitivity(target=20_000, leads=200, rates=[0.1], **kwargs).to_frame()
    assert list(by_rate.columns) == list(by_volume.columns)
    assert list(by_rate.columns[:5]) == ["kind", "stage", "low_value", "base_value", "high_value"]


# --------------------------------------------------------------------------- two tables (issue 12)


def test_uncertainty_and_levers_are_two_tables_checked_against_the_binomial():
    # one transition, fixed leads, fixed deal size: P(hit) at a pinned rate r is exactly
    # P(Binomial(leads, r) >= target / deal)
    from scipy import stats

    from tests.simulation._simulation_helpers import within

    trials, leads, deal, counts = 40_000, 1000, 1000.0, (100, 1000)
    target = 100 * deal
    res = sensitivity(
        target=target,
        leads=leads,
        stages=["lead", "won"],
        rates=[counts],
        deal_size=deal,
        trials=trials,
        seed=6,
        deal_size_n=None,
    )
    unc, lev = res.uncertainty, res.levers
    assert list(unc.index) == ["conversion lead→won"]  # fixed volume and deal size: known
    assert set(lev["kind"]) == {"conversion_rate", "lead_volume", "deal_size"}
    assert list(unc.columns) == list(lev.columns) == list(res.to_frame().columns)
    a, b = 1 + counts[0], 1 + counts[1] - counts[0]
    lo, hi = stats.beta.ppf([0.1, 0.9], a, b)
    row = unc.loc["conversion lead→won"]
    assert (row["low_value"], row["high_value"]) == pytest.approx((lo, hi))
    for value, p in ((lo, row["p_hit_low"]), (hi, row["p_hit_high"])):
        exact = stats.binom.sf(99, leads, value)
        within(p, exact, math.sqrt(exact * (1 - exact) / trials))
    # the lead volume lever: 900 and 1100 leads at the posterior rate
    r = lev.loc["lead volume"]
    for n, p in ((900, r["p_hit_low"]), (1100, r["p_hit_high"])):
        exact = float(
            np.mean(stats.binom.sf(99, n, stats.beta.rvs(a, b, size=200_000, random_state=1)))
        )
        within(p, exact, math.sqrt(exact * (1 - exact) / trials) + 0.002)
    assert (lev["effect"].abs().diff().dropna() <= 0).all()
    json.dumps(res.to_dict())


def test_uncertainty_covers_deal_size_and_overdispersed_volume():
    from scipy import stats

    cv, n_deals = 0.2, 400
    res = sensitivity(
        target=180_000.0,
        leads=LeadVolume.gamma_poisson(2000, cv, (1, 1, 1)),
        stages=["lead", "won"],
        rates=[0.1],
        deal_size=(1000.0, 500.0),
        trials=20_000,
        seed=2,
        deal_size_n=n_deals,
    )
    unc = res.uncertainty
    assert set(unc.index) == {"lead volume", "deal size"}  # the rate is fixed
    se = 500 / math.sqrt(n_deals)
    z = stats.norm.ppf(0.9)
    d = unc.loc["deal size"]
    assert (d["low_value"], d["high_value"]) == pytest.approx((1000 - z * se, 1000 + z * se))
    v = unc.loc["lead volume"]
    # three independent months of cv 0.2: the window's level has cv 0.2 / sqrt(3)
    shape = 3 / cv**2
    lo, hi = stats.gamma.ppf([0.1, 0.9], shape, scale=1 / shape)
    assert (v["low_value"], v["high_value"]) == pytest.approx((2000 * lo, 2000 * hi))
    assert v["p_hit_low"] < res.base_p_hit < v["p_hit_high"]
    assert d["p_hit_low"] < res.base_p_hit < d["p_hit_high"]


def test_channel_rates_move_together_in_the_uncertainty_table():
    import dataclasses

    from alignlib.simulation import ChannelModel, DealSize, Rate, build_model

    base = build_model(leads=5000, stages=["lead", "won"], rates=[(50, 1000)], deal_size=1000.0)
    channels = (
        ChannelModel("a", 0.5, (Rate.parse("lead", (20, 1000)),), DealSize(1000.0)),
        ChannelModel("b", 0.5, (Rate.parse("lead", (30, 300)),), DealSize(2000.0)),
    )
    model = dataclasses.replace(base, channels=channels)
    res = sensitivity(model, target=550_000.0, trials=20_000, seed=3)
    row = res.uncertainty.loc["conversion lead→won"]
    assert row["low_value"] < row["base_value"] < row["high_value"]
    assert row["p_hit_low"] < res.base_p_hit < row["p_hit_high"]
    lever = res.levers.loc["conversion lead→won"]
    assert lever["p_hit_low"] < res.base_p_hit < lever["p_hit_high"]
