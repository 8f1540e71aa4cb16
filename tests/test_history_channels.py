"""Channels as funnels: shrinkage checked against a beta-binomial of known strength, and
per-channel rates recovered from a generator whose channels convert differently."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from alignlib.history import channels as cf
from alignlib.history.learning import learn_params
from alignlib.params import load_params
from alignlib.synthetic import SyntheticFunnel, synthetic_table


def test_shrinkage_strength_matches_a_known_beta_binomial():
    rng = np.random.default_rng(11)
    p, strength, groups, size = 0.2, 50.0, 400, 400
    true = rng.beta(strength * p, strength * (1 - p), groups)
    converted = rng.binomial(size, true)
    counts = {f"g{i}": (int(c), size) for i, c in enumerate(converted)}
    shrunk = cf.shrunk_counts(counts)
    # Every group has the same size, so m = total_eff - size for all of them.
    m = {round(t - size, 6) for _, t in shrunk.values()}
    assert len(m) == 1
    (estimate,) = m
    # The method-of-moments estimate of m has a relative error of ~10% at 400 groups.
    assert estimate == pytest.approx(strength, rel=0.3)
    # Shrunk rates are closer to the truth than the raw rates, on average.
    raw = converted / size
    eff = np.array([c / t for c, t in shrunk.values()])
    assert np.mean((eff - true) ** 2) < np.mean((raw - true) ** 2)


def test_groups_that_differ_only_by_noise_get_the_pooled_rate():
    rng = np.random.default_rng(3)
    counts = {f"g{i}": (int(rng.binomial(1000, 0.3)), 1000) for i in range(6)}
    pooled = sum(c for c, _ in counts.values()) / 6000
    for c, t in cf.shrunk_counts(counts).values():
        assert c / t == pytest.approx(pooled, abs=0.02)


def test_a_small_group_moves_toward_the_pool_a_large_one_keeps_its_rate():
    counts = {"big_low": (2_000, 20_000), "big_high": (6_000, 20_000), "small": (9, 30)}
    shrunk = cf.shrunk_counts(counts)
    rate = {k: c / t for k, (c, t) in shrunk.items()}
    assert rate["big_low"] == pytest.approx(0.1, abs=0.002)
    assert rate["big_high"] == pytest.approx(0.3, abs=0.002)
    pooled = (2_000 + 6_000 + 9) / 40_030
    assert abs(rate["small"] - pooled) < abs(9 / 30 - pooled)


def test_empty_and_degenerate_counts():
    assert cf.shrunk_counts({}) == {}
    assert cf.shrunk_counts({"a": (0, 0)}) == {}
    one = cf.shrunk_counts({"a": (3, 10)})
    assert one["a"][0] / one["a"][1] == pytest.approx(0.3)


def _params_file(tmp_path, funnel, channels_yaml: str):
    from alignlib.synthetic import write_generic_export

    table = synthetic_table(funnel, start="2024-01-01", months=24, as_of="2025-12-20", seed=8)
    columns = write_generic_export(table, tmp_path / "export.csv", funnel.stage_names)
    stages = "".join(
        f"  - {{name: {s}, label: {s.title()}, owner: sales}}\n" for s in funnel.stage_names
    )
    mapping = "".join(f"    {k}: {v}\n" for k, v in columns.items())
    path = tmp_path / "2026Q1.yaml"
    path.write_text(
        "quarter: 2026Q1\ntarget: {bookings: 1000000}\nstages:\n"
        + stages
        + channels_yaml
        + "actuals:\n  crm_export: export.csv\n  format: csv\n  columns:\n"
        + mapping,
        encoding="utf-8",
    )
    return table, load_params(path)


def test_channel_rates_learned_from_history_match_each_channels_truth(tmp_path):
    funnel = SyntheticFunnel(
        ("lead", "sql", "won"),
        (0.2, 0.25),
        (7.0, 30.0),
        monthly_leads=3_000,
        channels={"events": 0.3, "social": 0.5, "partners": 0.2},
        channel_rates={"events": (0.4, 0.3), "social": (0.1, 0.2)},
    )
    channels = (
        "channels:\n"
        "  events: {share: 0.3, cost_per_lead: 300}\n"
        "  social: {share: 0.5, cost_per_lead: 50}\n"
        "  partners: {share: 0.2, cost_per_lead: 80, conversion_rates: {sql: 0.5}}\n"
    )
    table, params = _params_file(tmp_path, funnel, channels)
    params = learn_params(params)
    by_channel = cf.learn_by_channel(table, "2025-12-20", funnel.stage_names)
    funnels = {f.name: f for f in cf.channel_funnels(params, by_channel)}
    # Out of the first stage no channel's rate is given: each channel's own (shrunk)
    # history, centred on a blend learned from the same history, is its truth.
    for name in ("events", "social"):
        rate, true = funnels[name].rates[0], funnel.rates_for(name)[0]
        assert rate.source == "actuals"
        se = math.sqrt(true * (1 - true) / rate.total)
        assert abs(rate.rate - true) < 5 * se + 0.01, name
    # Params win where they give a channel's rate; the learned ones keep how they differ
    # from each other and, with it, average back to the blended rate at the file's shares.
    partners = funnels["partners"]
    assert partners.rates[1].source == "params" and partners.rates[1].rate == 0.5
    assert partners.rates[0].source == "actuals"
    events, social = funnels["events"].rates[1], funnels["social"].rates[1]
    raw = {k: h.rates["sql"] for k, h in by_channel.items()}
    shrunk = cf.shrunk_counts(raw)
    assert events.rate / social.rate == pytest.approx(
        (shrunk["events"][0] / shrunk["events"][1]) / (shrunk["social"][0] / shrunk["social"][1])
    )
    reach = {n: params.reference_shares[n] * f.rates[0].rate for n, f in funnels.items()}
    blend = sum(reach[n] * f.rates[1].rate for n, f in funnels.items()) / sum(reach.values())
    assert blend == pytest.approx(params.conversion_rates["sql"].rate, rel=1e-12)
    assert funnels["events"].rate_to_won > 4 * funnels["social"].rate_to_won


def test_written_rates_and_deal_size_are_what_the_plan_uses(tmp_path):
    """Target 3,000 at $1,000 a deal, 1 of 3 leads converting and the rest all: 9 leads.

    The sample's channels are on, with what the sample's history teaches about how they
    differ; at the file's shares they average back to the rates and deal size written.
    """
    import yaml

    from alignlib.paths import PROJECT_ROOT
    from alignlib.planning import build_plan

    raw = yaml.safe_load((PROJECT_ROOT / "params" / "2026Q4.yaml").read_text(encoding="utf-8"))
    raw["target"] = {"bookings": 3000}
    raw["deal_size"] = {"mean": 1000, "spread": 300}
    first, *rest = [s["name"] for s in raw["stages"]][:-1]
    raw["conversion_rates"] = {first: {"converted": 1, "total": 3}} | {s: 1.0 for s in rest}
    for key in ("crm_export", "spend"):
        raw["actuals"][key] = str(PROJECT_ROOT / "data" / "sample" / Path(raw["actuals"][key]).name)
    path = tmp_path / "2026Q4.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    params = learn_params(load_params(path))
    plan = build_plan(params)
    funnels = cf.channel_funnels(params, params.history.by_channel)
    sources = {r.source for f in funnels for r in f.rates}
    assert "actuals" in sources  # the channels do differ in the history
    assert plan.funnel.required[0] == 9
    assert plan.avg_deal_size == pytest.approx(1000)
    assert plan.funnel.rates[0] == pytest.approx(1 / 3)
    wins = plan.channels[plan.funnel.stages[-1]].sum()
    assert plan.channels["bookings"].sum() == pytest.approx(1000 * wins)


def test_channels_without_history_use_the_blended_funnel(params_dict, write_params):
    params_dict["channels"]["events"]["deal_size"] = {"mean": 40_000, "spread": 10_000}
    params = load_params(write_params(params_dict))
    funnels = cf.channel_funnels(params)
    assert [f.name for f in funnels] == list(params.channels)
    search = funnels[0]
    assert search.converts_like_blend
    assert [r.rate for r in search.rates] == pytest.approx(params.rates)
    assert funnels[1].deal_size_source == "params" and funnels[1].deal_size_mean == 40_000
