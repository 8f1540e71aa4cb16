"""The decision line and the methods named in every output."""

from __future__ import annotations

import json

from alignlib import experiments as ex


def test_decision_line_reads_like_the_issue_example():
    r = ex.compare_proportions((200, 1000), (240, 1000), stage="sal")
    assert r.decision.startswith("Variant raises SAL->SQL conversion from 20.0% to 24.0% (+20%)")
    assert "98% chance it is better" in r.decision
    assert "ship it" in r.decision
    worse = ex.compare_proportions((240, 1000), (190, 1000), stage="mql", variant_name="v3")
    assert worse.decision.startswith("V3 lowers MQL->SAL conversion")  # ids read as words
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
