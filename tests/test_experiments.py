"""Tests for alignlib.experiments against statsmodels, scipy and numerical integration."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)

from alignlib import experiments as ex
from alignlib.errors import DataError, InputError

FIXTURES = Path(__file__).parent / "fixtures" / "experiments"
EXPORT = FIXTURES / "routing_export.csv"

# (control, variant): ordinary, small, lopsided, one zero, big, near-certain.
CASES = [
    ((200, 1000), (240, 1000)),
    ((3, 10), (7, 12)),
    ((1, 5000), (9, 80)),
    ((12, 40), (2, 300)),
    ((0, 20), (5, 20)),
    ((45, 50), (50, 50)),
    ((4120, 10200), (4680, 10050)),
    ((200_000, 1_000_000), (201_000, 1_000_000)),
]


# --------------------------------------------------------------------------------------
# Frequentist figures against statsmodels / scipy
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("control", "variant"), CASES)
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_newcombe_interval_matches_statsmodels(control, variant, alpha):
    r = ex.compare_proportions(control, variant, alpha=alpha)
    # statsmodels computes count1/nobs1 - count2/nobs2: variant first.
    low, high = confint_proportions_2indep(
        variant[0],
        variant[1],
        control[0],
        control[1],
        compare="diff",
        method="newcomb",
        alpha=alpha,
    )
    assert r.ci == pytest.approx((low, high), abs=1e-12)
    assert r.diff == pytest.approx(variant[0] / variant[1] - control[0] / control[1])
    assert r.ci[0] <= r.diff <= r.ci[1]


@pytest.mark.parametrize(("control", "variant"), [c for c in CASES if c[0][0] > 0])
def test_relative_lift_interval_matches_statsmodels_log_ratio(control, variant):
    r = ex.compare_proportions(control, variant)
    low, high = confint_proportions_2indep(
        variant[0], variant[1], control[0], control[1], compare="ratio", method="log"
    )
    assert r.relative_lift == pytest.approx(
        (variant[0] / variant[1]) / (control[0] / control[1]) - 1
    )
    assert r.relative_lift_ci == pytest.approx((low - 1, high - 1), rel=1e-10)
    assert "Katz log" in r.methods["relative_lift_ci"]


def test_relative_lift_with_zero_variant_uses_adjusted_log_interval():
    r = ex.compare_proportions((12, 40), (0, 30))
    _, high = confint_proportions_2indep(0, 30, 12, 40, compare="ratio", method="log-adjusted")
    assert r.relative_lift == -1.0
    assert r.relative_lift_ci[1] == pytest.approx(high - 1, rel=1e-10)
    assert r.relative_lift_ci[0] == -1.0  # contains the estimate
    assert "0.5 added" in r.methods["relative_lift_ci"]


@pytest.mark.parametrize(("control", "variant"), CASES)
def test_z_statistic_matches_proportions_ztest(control, variant):
    r = ex.compare_proportions(control, variant)
    z, p = proportions_ztest([variant[0], control[0]], [variant[1], control[1]])
    assert r.z == pytest.approx(z, rel=1e-10)
    assert r.z_p_value == pytest.approx(p, rel=1e-8, abs=1e-300)


def _min_expected(control, variant):
    table = np.array([[variant[0], variant[1] - variant[0]], [control[0], control[1] - control[0]]])
    return stats.contingency.expected_freq(table).min()


@pytest.mark.parametrize(("control", "variant"), CASES)
def test_fisher_runs_exactly_when_an_expected_cell_is_below_five(control, variant):
    r = ex.compare_proportions(control, variant)
    small = _min_expected(control, variant) < 5
    assert (r.test == "fisher") == small
    if small:
        expected = stats.fisher_exact(
            [[variant[0], variant[1] - variant[0]], [control[0], control[1] - control[0]]]
        ).pvalue
        assert r.p_value == pytest.approx(expected, rel=1e-12)
        assert "Fisher" in r.methods["test"]
    else:
        assert r.p_value == r.z_p_value
        assert r.fisher_p_value is None
        assert "pooled two-proportion z-test" in r.methods["test"]


def test_small_lopsided_case_uses_fisher():
    r = ex.compare_proportions((1, 5000), (9, 80))
    assert r.test == "fisher"
    assert r.p_value < 1e-6


# --------------------------------------------------------------------------------------
# Bayesian figures against independent numerical integration
# --------------------------------------------------------------------------------------
def _posterior(counts):
    x, n = counts
    return stats.beta(1 + x, 1 + n - x)


def _window(*dists, k=14.0):
    lo = max(0.0, min(d.mean() - k * d.std() for d in dists))
    hi = min(1.0, max(d.mean() + k * d.std() for d in dists))
    return lo, hi


def _prob_by_quad(control, variant):
    """P(V > C) = integral of f_V(x) P(C < x) dx, over V's mass, in log space.

    The mirror image of the library's integrand (which integrates over C's mass), with
    densities from ``logpdf`` rather than Boost's ``pdf``.
    """
    c, v = _posterior(control), _posterior(variant)
    lo, hi = _window(c, v)
    pts = sorted({c.mean(), v.mean()})
    val, err = integrate.quad(
        lambda x: math.exp(v.logpdf(x) + c.logcdf(x)) if 0 < x < 1 else 0.0,
        lo,
        hi,
        points=pts,
        epsabs=1e-13,
        epsrel=1e-12,
        limit=500,
    )
    return val, err


def _loss_by_dblquad(control, variant):
    """E[max(C - V, 0)] as a double integral over y < x of (x - y) f_C(x) f_V(y)."""
    c, v = _posterior(control), _posterior(variant)
    lo, hi = _window(c, v, k=12.0)
    val, err = integrate.dblquad(
        lambda y, x: (x - y) * c.pdf(x) * v.pdf(y),
        lo,
        hi,
        lambda x: lo,
        lambda x: x,
        epsabs=1e-12,
        epsrel=1e-10,
    )
    return val, err


@pytest.mark.parametrize(("control", "variant"), CASES)
def test_prob_beat_control_matches_quadrature(control, variant):
    exact = ex.prob_beat_control(control, variant)
    reference, err = _prob_by_quad(control, variant)
    assert err < 1e-10
    assert exact == pytest.approx(reference, abs=1e-9)


@pytest.mark.parametrize(("control", "variant"), CASES[:6])
def test_expected_loss_matches_double_integral(control, variant):
    loss = ex.expected_loss(control, variant)
    reference, err = _loss_by_dblquad(control, variant)
    assert err < 1e-8
    assert loss == pytest.approx(reference, abs=1e-8)


def test_expected_loss_large_counts_matches_normal_limit():
    # For n in the millions the posteriors are normal to high accuracy:
    # D = C - V ~ N(mu, s^2), E[max(D, 0)] = mu Phi(mu/s) + s phi(mu/s).
    control, variant = (200_000, 1_000_000), (200_700, 1_000_000)
    c, v = _posterior(control), _posterior(variant)
    mu, s = c.mean() - v.mean(), math.hypot(c.std(), v.std())
    normal = mu * stats.norm.cdf(mu / s) + s * stats.norm.pdf(mu / s)
    assert ex.expected_loss(control, variant) == pytest.approx(normal, rel=1e-3)
    # and the probability against the same limit (skewness makes it differ slightly)
    assert ex.prob_beat_control(control, variant) == pytest.approx(
        stats.norm.cdf(-mu / s), abs=1e-3
    )


@pytest.mark.parametrize("n", [1500, 2500, 40_000])
@pytest.mark.parametrize("share", [0.0, 0.03, 0.4, 1.0])
def test_closed_form_sum_and_quadrature_agree(n, share):
    x = round(share * n)
    for a1, b1, a2, b2 in [(1 + x, 1 + n - x, 1 + x, 1 + n - x), (1 + x, 1 + n - x, 2 + x, n - x)]:
        if b2 < 1:
            continue
        tol = 1e-11 if n <= 2500 else 1e-9  # the sum drifts slowly as counts grow
        assert ex._prob_greater(a1, b1, a2, b2, "sum") == pytest.approx(
            ex._prob_greater(a1, b1, a2, b2, "quad"), abs=tol
        )
        assert ex._expected_shortfall(a1, b1, a2, b2, "sum") == pytest.approx(
            ex._expected_shortfall(a1, b1, a2, b2, "quad"), abs=tol
        )


@pytest.mark.parametrize(
    ("a1", "b1", "a2", "b2"), [(3, 9, 5, 4), (1, 1, 1, 1), (40, 61, 47, 55), (2, 300, 13, 29)]
)
def test_four_forms_of_millers_sum_agree(a1, b1, a2, b2):
    forms = [
        ex._miller_sum(a1, b1, a2, b2),
        1 - ex._miller_sum(a2, b2, a1, b1),
        ex._miller_sum(b2, a2, b1, a1),
        1 - ex._miller_sum(b1, a1, b2, a2),
    ]
    assert forms == pytest.approx([forms[0]] * 4, abs=1e-12)


def test_expected_losses_differ_by_the_mean_difference():
    # E[max(C-V,0)] - E[max(V-C,0)] = E[C] - E[V] exactly.
    control, variant = (37, 410), (52, 395)
    r = ex.compare_proportions(control, variant)
    c, v = _posterior(control), _posterior(variant)
    assert r.expected_loss - r.expected_loss_control == pytest.approx(
        c.mean() - v.mean(), abs=1e-13
    )


# --------------------------------------------------------------------------------------
# Degenerate input
# --------------------------------------------------------------------------------------
def _no_nan(obj):
    text = json.dumps(obj)
    assert "NaN" not in text and "Infinity" not in text


@pytest.mark.parametrize("n", [1, 25, 10_000, 5_000_000])
def test_zero_conversions_in_both_arms_is_defined(n):
    r = ex.compare_proportions((0, n), (0, n), planned_n_per_arm=2 * n)
    assert r.diff == 0
    assert r.p_value == 1.0
    assert r.z == 0.0
    assert r.prob_beat_control == pytest.approx(0.5, abs=1e-12)
    assert r.expected_loss == pytest.approx(r.expected_loss_control, abs=1e-12)
    assert r.expected_loss > 0
    assert r.relative_lift is None and r.relative_lift_ci is None
    assert r.ci[0] < 0 < r.ci[1]
    assert not r.significant
    assert "unchanged" in r.decision
    _no_nan(r.to_dict())


@pytest.mark.parametrize("n", [1, 25, 10_000])
def test_everyone_converted_in_both_arms_is_defined(n):
    r = ex.compare_proportions((n, n), (n, n), planned_n_per_arm=n)
    assert r.diff == 0 and r.p_value == 1.0 and r.relative_lift == 0.0
    assert r.prob_beat_control == pytest.approx(0.5, abs=1e-12)
    _no_nan(r.to_dict())


@pytest.mark.parametrize(
    ("control", "variant", "fragment"),
    [
        ((5, 4), (1, 10), "more than n"),
        ((0, 0), (1, 10), "n must be positive"),
        ((-1, 10), (1, 10), "must not be negative"),
        ((1.5, 10), (1, 10), "whole number"),
        ((1, 10, 3), (1, 10), "expected (conversions, n)"),
        ("12/40", (1, 10), "expected (conversions, n)"),
    ],
)
def test_bad_counts_raise_input_error(control, variant, fragment):
    with pytest.raises(InputError, match=r".*") as info:
        ex.compare_proportions(control, variant)
    assert fragment in str(info.value)
    assert "control" in str(info.value)


def test_bad_alpha_raises():
    with pytest.raises(InputError, match="alpha"):
        ex.compare_proportions((1, 10), (2, 10), alpha=1.5)


# --------------------------------------------------------------------------------------
# Several variants
# --------------------------------------------------------------------------------------
P_SETS = [
    [0.01, 0.04, 0.03],
    [0.2, 0.001, 0.049, 0.049, 0.8],
    [0.5],
    [0.0, 1.0, 0.3],
]


@pytest.mark.parametrize("ps", P_SETS)
@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_adjust_p_values_matches_multipletests(ps, method):
    expected = multipletests(ps, method=method)[1]
    assert ex.adjust_p_values(ps, method) == pytest.approx(expected, abs=1e-15)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12), st.sampled_from(["holm", "fdr_bh"]))
def test_adjust_p_values_property(ps, method):
    expected = multipletests(ps, method=method)[1]
    assert ex.adjust_p_values(ps, method) == pytest.approx(expected, abs=1e-12)


def test_compare_variants_applies_holm_and_decides_on_adjusted_p():
    res = ex.compare_variants(
        (200, 1000), {"a": (240, 1000), "b": (232, 1000), "c": (190, 1000)}, stage="sal"
    )
    raw = [r.p_value for r in res.results]
    assert [r.p_value_adjusted for r in res.results] == pytest.approx(
        multipletests(raw, method="holm")[1]
    )
    for r in res.results:
        assert r.significant == (r.p_value_adjusted <= 0.05)
        assert r.methods["correction"] == "Holm step-down"
        assert "Holm" in r.decision
    assert res.best.variant_name == "a"
    assert res.to_frame().shape[0] == 3
    bh = ex.compare_variants((200, 1000), {"a": (240, 1000), "b": (232, 1000)}, correction="fdr_bh")
    assert bh.correction == "fdr_bh"
    single = ex.compare_variants((200, 1000), {"a": (240, 1000)})
    assert single.correction == "none"
    assert single["a"].p_value_adjusted == single["a"].p_value


def test_compare_variants_rejects_unknown_correction_and_no_variants():
    with pytest.raises(InputError, match="correction"):
        ex.compare_variants((1, 10), {"a": (2, 10)}, correction="bonferonni")
    with pytest.raises(InputError, match="at least one variant"):
        ex.compare_variants((1, 10), {})


# --------------------------------------------------------------------------------------
# Decision line
# --------------------------------------------------------------------------------------
def test_decision_line_reads_like_the_issue_example():
    r = ex.compare_proportions((200, 1000), (240, 1000), stage="sal")
    assert r.decision.startswith("Variant raises SAL->SQL conversion from 20.0% to 24.0% (+20%)")
    assert "98% chance it is better" in r.decision
    assert "ship it" in r.decision
    worse = ex.compare_proportions((240, 1000), (190, 1000), stage="mql", variant_name="v3")
    assert worse.decision.startswith("v3 lowers MQL->SAL conversion")
    assert "keep control" in worse.decision
    flat = ex.compare_proportions((200, 1000), (205, 1000))
    assert "not statistically significant" in flat.decision


def test_decision_says_when_read_early():
    r = ex.compare_proportions((200, 1000), (240, 1000), stage="sal", planned_n_per_arm=3000)
    assert r.sequential is not None and r.sequential.read_early
    assert "too early to call" in r.decision
    strong = ex.compare_proportions((200, 1000), (320, 1000), planned_n_per_arm=3000)
    assert "significant even allowing for peeking" in strong.decision


def test_methods_named_in_every_output():
    r = ex.compare_proportions((200, 1000), (240, 1000), planned_n_per_arm=1500)
    d = r.to_dict()
    for key in ("ci", "relative_lift_ci", "test", "prob_beat_control", "expected_loss"):
        assert d["methods"][key]
    assert "mixture SPRT" in d["sequential"]["method"]
    assert "Newcombe" in str(r) and "Katz" in str(r)
    json.dumps(d)


# --------------------------------------------------------------------------------------
# Power
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("baseline", "mde", "alpha", "power", "two_sided"),
    [
        (0.2, 0.05, 0.05, 0.8, True),
        (0.05, 0.01, 0.05, 0.8, True),
        (0.5, -0.1, 0.01, 0.9, True),
        (0.32, 0.03, 0.05, 0.8, False),
        (0.9, 0.05, 0.1, 0.95, True),
    ],
)
def test_sample_size_matches_statsmodels(baseline, mde, alpha, power, two_sided):
    res = ex.sample_size_per_arm(baseline, mde, alpha, power, two_sided)
    expected = samplesize_proportions_2indep_onetail(
        mde,
        baseline,
        power,
        alpha=alpha,
        alternative="two-sided" if two_sided else ("larger" if mde > 0 else "smaller"),
    )
    assert res.n_per_arm_exact == pytest.approx(expected, rel=1e-10)
    assert res.n_per_arm == math.ceil(expected)
    assert res.n_total == 2 * res.n_per_arm
    assert "pooled variance under the null" in res.method


def test_sample_size_textbook_value():
    # 20% -> 25%: (1.95996 sqrt(2 .225 .775) + 0.84162 sqrt(.16 + .1875))^2 / .05^2 = 1093.7
    res = ex.sample_size_per_arm(0.2, 0.05)
    assert res.n_per_arm == 1094
    assert res.n_per_arm_exact == pytest.approx(1093.739, abs=1e-3)


def test_mde_inverts_sample_size():
    mde = ex.minimum_detectable_effect(0.2, 1094)
    assert mde.mde == pytest.approx(0.05, abs=5e-5)
    back = ex.sample_size_per_arm(0.2, mde.mde)
    assert back.n_per_arm_exact == pytest.approx(1094, rel=1e-9)
    assert "Brent" in mde.method
    with pytest.raises(InputError, match="cannot detect"):
        ex.minimum_detectable_effect(0.2, 2)


def test_weeks_to_run():
    # 1,094 per arm x 2 arms at 1,000 leads a month = 2.188 months = 9.51 weeks
    assert ex.weeks_to_run(1094, 1000) == pytest.approx(2.188 * 365.25 / 12 / 7)
    assert ex.weeks_to_run(1094, 1000, arms=3, share_in_experiment=0.5) == pytest.approx(
        6 * 1.094 * 365.25 / 12 / 7
    )
    res = ex.sample_size_per_arm(0.2, 0.05, monthly_volume=1000)
    assert res.weeks == pytest.approx(ex.weeks_to_run(1094, 1000))
    assert "weeks" in str(res)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"baseline": 0.0, "mde": 0.05}, "baseline"),
        ({"baseline": 1.2, "mde": 0.05}, "baseline"),
        ({"baseline": 0.2, "mde": 0.0}, "mde must not be zero"),
        ({"baseline": 0.9, "mde": 0.2}, "baseline + mde"),
        ({"baseline": 0.2, "mde": 0.05, "power": 1.0}, "power"),
    ],
)
def test_sample_size_bad_input(kwargs, fragment):
    with pytest.raises(InputError, match=fragment.replace("+", r"\+")):
        ex.sample_size_per_arm(**kwargs)


def test_weeks_bad_input():
    with pytest.raises(InputError, match="monthly_volume"):
        ex.weeks_to_run(100, 0)
    with pytest.raises(InputError, match="share_in_experiment"):
        ex.weeks_to_run(100, 10, share_in_experiment=1.5)


# --------------------------------------------------------------------------------------
# Sample-ratio mismatch
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("counts", "shares"),
    [([5000, 5200], None), ([5000, 5400], [0.5, 0.5]), ([300, 650, 50], [0.3, 0.6, 0.1])],
)
def test_srm_matches_chisquare_by_hand(counts, shares):
    res = ex.srm_check(counts, shares)
    total = sum(counts)
    sh = shares or [1 / len(counts)] * len(counts)
    chi2 = sum((c - s * total) ** 2 / (s * total) for c, s in zip(counts, sh, strict=True))
    assert res.chi2 == pytest.approx(chi2, rel=1e-12)
    assert res.p_value == pytest.approx(stats.chi2.sf(chi2, len(counts) - 1), rel=1e-10)
    assert res.flag == (res.p_value < 0.001)


def test_srm_flag_says_readout_cannot_be_trusted():
    res = ex.srm_check([5000, 5400], arms=["control", "v2"])
    assert res.flag
    assert "cannot be trusted" in res.message and "v2" in res.message
    ok = ex.srm_check([5000, 5100])
    assert not ok.flag and "cannot be trusted" not in ok.message


@pytest.mark.parametrize(
    ("counts", "shares", "fragment"),
    [
        ([10, 10], [0.6, 0.6], "sum to 1"),
        ([10, 10], [0.5, 0.3, 0.2], "3 entries for 2 arms"),
        ([0, 0], None, "no leads"),
        ([10], None, "at least two"),
        ([10, -1], None, "whole numbers"),
        ([10, 10], [1.0, 0.0], "positive"),
    ],
)
def test_srm_bad_input(counts, shares, fragment):
    with pytest.raises(InputError, match=fragment):
        ex.srm_check(counts, shares)


# --------------------------------------------------------------------------------------
# Peeking guard
# --------------------------------------------------------------------------------------
counts_strategy = st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@settings(max_examples=200, deadline=None)
@given(counts_strategy, counts_strategy, st.integers(1, 20_000))
def test_always_valid_p_value_is_at_least_fixed_horizon_p_value(control, variant, planned):
    seq = ex.sequential_check(control, variant, planned)
    _, z_p = proportions_ztest([variant[0], control[0]], [variant[1], control[1]])
    if np.isnan(z_p):  # statsmodels: pooled rate 0 or 1; ours is p = 1
        z_p = 1.0
    assert seq.always_valid_p_value >= z_p - 1e-12
    assert 0 <= seq.always_valid_p_value <= 1
    lo, hi = seq.always_valid_ci
    diff = variant[0] / variant[1] - control[0] / control[1]
    assert lo <= diff <= hi


def test_always_valid_p_values_are_non_increasing():
    rng = np.random.default_rng(1)
    looks = 40
    nc = np.cumsum(np.full(looks, 50))
    xc = np.cumsum(rng.binomial(50, 0.2, looks))
    xv = np.cumsum(rng.binomial(50, 0.24, looks))
    p = ex.always_valid_p_values(xc, nc, xv, nc, planned_n_per_arm=1000)
    assert np.all(np.diff(p) <= 0)
    single = [
        ex.sequential_check((xc[i], nc[i]), (xv[i], nc[i]), 1000).always_valid_p_value
        for i in range(looks)
    ]
    assert p == pytest.approx(np.minimum.accumulate(single))


def test_mixing_ratio_solves_its_equation():
    k = ex._mixing_ratio(0.05)
    assert k == pytest.approx(-2 * math.log(0.05) + math.log1p(k))

    # tightest boundary at the plan: no nearby r gives a smaller critical z^2
    def crit(r):
        return (-2 * math.log(0.05) - math.log(1 - r)) / r

    r = k / (1 + k)
    assert crit(r) <= min(crit(r * 0.95), crit(min(0.999, r * 1.05)))


def test_sequential_flags_early_reads_and_completed_ones():
    early = ex.sequential_check((90, 500), (110, 500), 1500)
    assert early.read_early and early.fraction_of_plan == pytest.approx(1 / 3)
    assert "Read early" in early.message
    done = ex.sequential_check((300, 1500), (330, 1600), 1500)
    assert not done.read_early and "Planned sample reached" in done.message


def test_sequential_type_one_error_is_controlled_and_naive_peeking_is_not():
    """Under no effect, peeking 40 times with the always-valid p-value rejects at most
    alpha of the time (within 4 Monte Carlo standard errors); the naive z-test does not."""
    rng = np.random.default_rng(2026)
    runs, looks, batch, rate, alpha = 4000, 40, 50, 0.2, 0.05
    planned = looks * batch
    xc = np.cumsum(rng.binomial(batch, rate, (runs, looks)), axis=1)
    xv = np.cumsum(rng.binomial(batch, rate, (runs, looks)), axis=1)
    n = np.broadcast_to(np.arange(1, looks + 1) * batch, (runs, looks)).astype(float)
    p_avi = ex._always_valid_arrays(xc, n, xv, n, planned, alpha)
    avi_rate = np.mean(p_avi.min(axis=1) <= alpha)
    pooled = (xc + xv) / (2 * n)
    z = (xv - xc) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
    naive_rate = np.mean((2 * stats.norm.sf(np.abs(z))).min(axis=1) <= alpha)
    se = math.sqrt(alpha * (1 - alpha) / runs)
    assert avi_rate <= alpha + 4 * se
    assert naive_rate > alpha + 4 * se  # the guard is needed: peeking inflates errors


def test_sequential_bad_planned_n():
    with pytest.raises(InputError, match="planned_n_per_arm"):
        ex.sequential_check((1, 10), (2, 10), 0)


# --------------------------------------------------------------------------------------
# Funnel depth and the per-lead export
# --------------------------------------------------------------------------------------
def test_load_export_counts_arms_and_stages():
    counts = ex.load_experiment_export(EXPORT, "sal")
    assert counts.arms == ("control", "instant_routing")
    assert counts.next_stage == "sql"
    frame = __import__("pandas").read_csv(EXPORT)
    for arm in counts.arms:
        rows = frame[frame["arm"] == arm]
        assert counts.n[arm] == len(rows)
        assert counts.reached[arm]["sql"] == (rows["reached_sql"] == "yes").sum()
        assert counts.reached[arm]["opportunity"] == rows["opportunity_date"].notna().sum()
        assert counts.reached[arm]["won"] == rows["won"].sum()
    assert counts.control == (counts.reached["control"]["sql"], counts.n["control"])


def test_funnel_depth_reads_every_later_stage():
    counts = ex.load_experiment_export(EXPORT, "sal")
    depth = ex.funnel_depth(counts.n, counts.reached, "sal")
    assert depth.stages == ("sql", "opportunity", "won")
    won = depth.readouts["won"]["instant_routing"]
    assert won.control == (counts.reached["control"]["won"], counts.n["control"])
    assert "SAL->Won" in won.decision
    frame = depth.to_frame()
    assert set(frame["to_stage"]) == {"sql", "opportunity", "won"}
    json.dumps(depth.to_dict())


def test_funnel_depth_from_counts_and_errors():
    depth = ex.funnel_depth(
        {"control": 1000, "v2": 1000},
        {"control": {"sql": 200, "won": 20}, "v2": {"sql": 240, "won": 31}},
        "sal",
    )
    assert depth.stages == ("sql", "won")
    with pytest.raises(InputError, match="not after"):
        ex.funnel_depth({"control": 10, "v": 10}, {"control": {"mql": 1}, "v": {"mql": 1}}, "sal")
    with pytest.raises(InputError, match="no arm named"):
        ex.funnel_depth({"a": 10, "b": 10}, {"a": {"sql": 1}, "b": {"sql": 2}}, "sal")


def _write(tmp_path, text, name="export.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("lead_id,sql\n1,yes\n", "missing column 'arm'"),
        ("lead_id,arm,sql\n1,control,yes\n1,v,no\n", "duplicate lead id"),
        ("lead_id,arm,sql\n1,control,yes\n2,v,maybe\n", "line 3: 'maybe'"),
        ("lead_id,arm,sql\n1,a,yes\n2,v,no\n", "no 'control' arm"),
        ("lead_id,arm,sql\n1,control,yes\n2,control,no\n", "only the control arm"),
        ("lead_id,arm,opportunity\n1,control,yes\n2,v,no\n", "missing column for stage 'sql'"),
        ("lead_id,arm,sql\n1,control,yes\n2,,no\n", "line 3: empty arm"),
        ("lead_id,arm,sql,sal\n1,control,yes,yes\n2,v,no,no\n", "never reached 'sal'"),
        ("", "empty"),
    ],
)
def test_export_validation_errors_name_file_and_field(tmp_path, text, fragment):
    path = _write(tmp_path, text)
    with pytest.raises(DataError) as info:
        ex.load_experiment_export(path, "sal")
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_export_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        ex.load_experiment_export(tmp_path / "nope.csv", "sal")


def test_export_repairs_skipped_stage_flags_and_reads_dates(tmp_path):
    path = _write(
        tmp_path,
        "Lead_ID,Arm,sql_date,won\n1,control,2026-10-03,1\n2,control,,1\n3,v,,0\n4,v,10/5/2026,0\n",
    )
    counts = ex.load_experiment_export(path, "sal")
    assert counts.reached["control"] == {"sql": 2, "won": 2}
    assert counts.reached["v"] == {"sql": 1, "won": 0}
    assert any("without 'sql'" in note for note in counts.notes)


def test_export_parquet_with_booleans_and_timestamps(tmp_path):
    import pandas as pd

    path = tmp_path / "export.parquet"
    pd.DataFrame(
        {
            "lead_id": ["a", "b", "c", "d"],
            "arm": ["control", "control", "v", "v"],
            "sql": [True, False, True, True],
            "won_date": pd.to_datetime(["2026-11-02", None, None, "2026-12-01"]),
        }
    ).to_parquet(path)
    counts = ex.load_experiment_export(path, "sal")
    assert counts.control == (1, 2) and counts.variants == {"v": (2, 2)}
    assert counts.reached["v"]["won"] == 1


# --------------------------------------------------------------------------------------
# Experiments from the parameters file
# --------------------------------------------------------------------------------------
def test_analyse_experiment_from_counts_spec():
    spec = {
        "name": "fast_response_routing",
        "stage": "sal",
        "control": {"conversions": 412, "n": 1020},
        "variants": {"instant_routing": {"conversions": 468, "n": 1005}},
        "expected_shares": [0.5, 0.5],
        "planned_n_per_arm": 1100,
    }
    r = ex.analyse_experiment(spec, monthly_volume=600)
    assert r.trustworthy and r.source == "counts"
    assert r.comparison["instant_routing"].control == (412, 1020)
    assert r.detectable_effect is not None and r.detectable_effect.n_per_arm == 1100
    assert r.weeks_to_plan == pytest.approx(ex.weeks_to_run(95, 600))
    assert "SAL->SQL" in r.headline
    json.dumps(r.to_dict())
    assert "Experiment fast_response_routing" in str(r)


def test_analyse_experiment_flags_sample_ratio_mismatch():
    spec = {
        "name": "broken",
        "stage": "mql",
        "control": {"conversions": 500, "n": 5000},
        "variants": {"v": {"conversions": 600, "n": 5400}},
    }
    r = ex.analyse_experiment(spec)
    assert not r.trustworthy
    assert r.headline.startswith("DO NOT TRUST")
    assert "cannot be trusted" in str(r)


def test_analyse_experiment_from_export_follows_later_stages():
    spec = {"name": "routing", "stage": "sal", "export": EXPORT.name, "planned_n_per_arm": 400}
    r = ex.analyse_experiment(spec, base_dir=FIXTURES)
    assert r.funnel_depth is not None
    assert r.funnel_depth.stages == ("sql", "opportunity", "won")
    assert r.source == str(FIXTURES / EXPORT.name)
    assert "later stages" in str(r)


def test_analyse_experiments_reads_the_params_file(tmp_path):
    from alignlib.params import load_params

    yaml_text = f"""
quarter: 2026Q4
target: {{bookings: 1200000}}
conversion_rates: {{lead: 0.3, mql: 0.5, sal: 0.4, sql: 0.5, opportunity: 0.3}}
deal_size: {{mean: 24000, spread: 9000}}
capacity: {{reps: 9, opportunities_per_rep_per_month: 14, handoff_stage: mql,
           responses_per_rep_per_day: 25, working_days_per_month: 21}}
sla: {{lead_response_hours: 4, acceptance_hours: 48}}
channels:
  paid_search: {{label: Paid search, cost_per_lead: 95, share: 1.0}}
experiments:
  - name: routing
    stage: sal
    control: {{conversions: 412, n: 1020}}
    variants: {{instant: {{conversions: 468, n: 1005}}, batch: {{conversions: 430, n: 990}}}}
    planned_n_per_arm: 1100
  - name: from_export
    stage: sal
    export: {EXPORT}
"""
    path = tmp_path / "2026Q4.yaml"
    path.write_text(yaml_text)
    params = load_params(path)
    readouts = ex.analyse_experiments(params, monthly_volume={"sal": 700})
    assert [r.name for r in readouts] == ["routing", "from_export"]
    assert readouts[0].comparison.correction == "holm"
    assert readouts[0].weeks_to_plan is not None
    table = ex.readouts_frame(readouts)
    assert list(table["experiment"]) == ["routing", "routing", "from_export"]


def test_posterior_grid_integrates_to_one():
    grid = ex.posterior_grid({"control": (200, 1000), "v2": (240, 1000)})
    x = grid["rate"].to_numpy()
    for col in ("control", "v2"):
        assert np.trapezoid(grid[col].to_numpy(), x) == pytest.approx(1, abs=1e-4)


# --------------------------------------------------------------------------------------
# Revenue impact through the simulation
# --------------------------------------------------------------------------------------
@pytest.fixture
def quarter(params_dict, write_params):
    """A quarter without lags, so expected bookings have a closed form."""
    from alignlib.params import load_params

    params_dict.pop("lag_days", None)
    return load_params(write_params(params_dict))


def _beta_mean(c, n):
    return (1 + c) / (2 + n)


def _expected_bookings_parts(params, stage):
    from alignlib import simulation as sim

    kwargs = sim.funnel_inputs_from_params(params)
    lam = kwargs["leads"].mean
    means = []
    for spec in params.rate_inputs:
        means.append(_beta_mean(*spec) if isinstance(spec, tuple) else float(spec))
    i = params.stage_names.index(stage)
    others = float(np.prod([m for j, m in enumerate(means) if j != i]))
    return lam * params.deal_size.mean * others, means[i]


def test_revenue_impact_lift_matches_closed_form(quarter):
    comp = ex.compare_proportions((2000, 10_000), (2400, 10_000), stage="sal")
    impact = ex.revenue_impact(quarter, comp, trials=40_000, seed=11)
    scale, base_rate = _expected_bookings_parts(quarter, "sal")
    a_c, b_c = 2001, 8001
    e_lift = _beta_mean(2400, 10_000) * (a_c + b_c - 1) / (a_c - 1)  # E[p_v] E[1/p_c]
    exact_delta = scale * base_rate * (e_lift - 1)
    se = impact.delta_bookings.std(ddof=1) / math.sqrt(impact.trials)
    assert impact.expected_delta_se == pytest.approx(se)
    assert abs(impact.expected_delta - exact_delta) < 5 * se
    assert impact.lift_mean == pytest.approx(e_lift - 1, abs=5e-3)
    assert impact.prob_hit_variant >= impact.prob_hit_control
    assert impact.delta_interval[0] <= impact.expected_delta <= impact.delta_interval[1]
    assert "P(hit the" in impact.message and "SAL->SQL" in impact.message
    json.dumps(impact.to_dict())


def test_revenue_impact_replace_mode_matches_closed_form(quarter):
    comp = ex.compare_proportions((1500, 5000), (1750, 5000), stage="sql")
    impact = ex.revenue_impact(quarter, comp, mode="replace", trials=40_000, seed=3)
    scale, _ = _expected_bookings_parts(quarter, "sql")
    exact_delta = scale * (_beta_mean(1750, 5000) - _beta_mean(1500, 5000))
    se = impact.delta_bookings.std(ddof=1) / math.sqrt(impact.trials)
    assert abs(impact.expected_delta - exact_delta) < 5 * se
    # Monte Carlo error of each arm's mean is far larger than of the paired difference.
    assert impact.expected_bookings_variant - impact.expected_bookings_control == pytest.approx(
        impact.expected_delta
    )


def test_revenue_impact_common_random_numbers(quarter):
    # A variant better in every trial never loses bookings in any simulated quarter.
    comp = ex.compare_proportions((200_000, 1_000_000), (260_000, 1_000_000), stage="sal")
    impact = ex.revenue_impact(quarter, comp, trials=20_000, seed=5)
    assert np.all(impact.delta_bookings >= 0)
    assert impact.prob_hit_variant >= impact.prob_hit_control
    # No rollout: no change at all, in any trial.
    none = ex.revenue_impact(quarter, comp, trials=20_000, seed=5, rollout_share=0.0)
    assert np.all(none.delta_bookings == 0) and none.prob_hit_delta == 0
    # Same seed, same numbers.
    again = ex.revenue_impact(quarter, comp, trials=20_000, seed=5)
    assert again.expected_delta == impact.expected_delta


def test_revenue_impact_picks_variant_and_rejects_bad_input(quarter):
    comp = ex.compare_variants((200, 1000), {"a": (190, 1000), "b": (240, 1000)}, stage="sal")
    impact = ex.revenue_impact(quarter, comp, trials=2_000, seed=1)
    assert impact.variant_name == "b"
    with pytest.raises(InputError, match="no variant 'c'"):
        ex.revenue_impact(quarter, comp, "c", trials=2_000)
    won = ex.compare_proportions((200, 1000), (240, 1000), stage="won")
    with pytest.raises(InputError, match="not a converting stage"):
        ex.revenue_impact(quarter, won, trials=2_000)
    with pytest.raises(InputError, match="rollout_share"):
        ex.revenue_impact(quarter, comp, trials=2_000, rollout_share=1.5)
