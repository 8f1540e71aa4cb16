"""The sample-ratio mismatch check against a chi-square by hand."""

from __future__ import annotations

import pytest
from scipy import stats

from alignlib import experiments as ex
from alignlib.errors import InputError


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
