"""Frequentist figures against statsmodels and scipy; multiple-testing corrections."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from alignlib import experiments as ex
from tests.experiments._experiments_helpers import CASES


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
def test_fisher_runs_exactly_when_an_expected_cell_is_below_five_in_a_small_table(control, variant):
    r = ex.compare_proportions(control, variant)
    small = _min_expected(control, variant) < 5 and control[1] + variant[1] < 10_000
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


def test_large_sparse_table_uses_the_z_test_to_bound_fishers_cost():
    control, variant = (1, 500_000), (7, 500_000)
    assert _min_expected(control, variant) < 5
    r = ex.compare_proportions(control, variant)
    assert ex.FISHER_MAX_TOTAL == 10_000
    assert r.test == "z-test" and r.fisher_p_value is None
    assert r.p_value == r.z_p_value
    assert "pooled two-proportion z-test" in r.methods["test"]


def test_small_lopsided_case_uses_fisher():
    r = ex.compare_proportions((1, 5000), (9, 80))
    assert r.test == "fisher"
    assert r.p_value < 1e-6


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
