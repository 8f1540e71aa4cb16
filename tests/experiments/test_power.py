"""Sample size, detectable effect and weeks to run against statsmodels."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

from alignlib import experiments as ex
from alignlib.errors import InputError


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
