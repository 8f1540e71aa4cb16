"""One or several variants against control: degenerate input, corrections applied, funnel depth."""

from __future__ import annotations

import json

import pytest
from statsmodels.stats.multitest import multipletests

from alignlib import experiments as ex
from alignlib.errors import InputError
from tests.experiments._experiments_helpers import EXPORT


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
