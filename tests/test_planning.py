"""The reverse funnel and the quarter plan: known values, invariants, property tests."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignlib.errors import InputError
from alignlib.params import load_params
from alignlib.planning import build_plan, compare_scenarios, monthly_phasing, reverse_funnel

STAGES = ["lead", "mql", "sql", "opportunity", "won"]


def test_known_values_are_not_pushed_up_by_float_noise():
    # 14 deals at 40%, 50%, 35%, 10% need exactly 35, 70, 200 and 2,000 (not 2,001).
    f = reverse_funnel(14 * 25_000, 25_000, STAGES, [0.10, 0.35, 0.50, 0.40])
    assert f.required == (2000, 200, 70, 35, 14)
    assert f.leads == 2000 and f.wins == 14
    frame = f.to_frame()
    assert list(frame.index) == STAGES
    assert frame.loc["sql", "required"] == 70
    assert frame.loc["lead", "rate_to_won"] == pytest.approx(0.007)


def test_each_stage_rounds_up_once_from_the_exact_value():
    # Cascading ceilings would give ceil(ceil(ceil(10/0.3)/0.3)/0.3) = 373; exact is 370.37.
    f = reverse_funnel(10 * 1000, 1000, ["a", "b", "c", "won"], [0.3, 0.3, 0.3])
    assert f.exact[0] == pytest.approx(10 / 0.027)
    assert f.required == (371, 112, 34, 10)


def test_counts_are_exact_fractions():
    f = reverse_funnel(3 * 100, 100, ["lead", "won"], [(1, 3)])
    assert f.required == (9, 3)
    assert f.rates == (pytest.approx(1 / 3),)


def test_rate_of_one_passes_volume_through():
    f = reverse_funnel(5_000, 1_000, ["sql", "opportunity", "won"], [1.0, 0.5])
    assert f.required == (10, 10, 5)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0, 1000, STAGES, [0.1] * 4), "target revenue"),
        ((1e6, -5, STAGES, [0.1] * 4), "deal size"),
        ((1e6, 1000, STAGES, [0.1] * 3), "need 4 conversion rates"),
        ((1e6, 1000, STAGES, [0.1, 0.0, 0.1, 0.1]), "stage 'mql'.*\\(0, 1\\]"),
        ((1e6, 1000, STAGES, [0.1, 1.5, 0.1, 0.1]), "stage 'mql'"),
        ((1e6, 1000, STAGES, [(5, 3), 0.1, 0.1, 0.1]), "stage 'lead'.*converted=5"),
        ((1e6, 1000, STAGES, [math.nan, 0.1, 0.1, 0.1]), "must be a number"),
        ((1e6, 1000, ["won"], []), "at least two stages"),
    ],
)
def test_bad_input_is_a_clear_error(args, match):
    with pytest.raises(InputError, match=match):
        reverse_funnel(*args)


rates_strategy = st.lists(
    st.floats(min_value=0.001, max_value=1.0, allow_nan=False), min_size=1, max_size=7
)


@settings(max_examples=300, deadline=None)
@given(
    target=st.floats(min_value=1_000, max_value=1e9),
    deal=st.floats(min_value=100, max_value=1e6),
    rates=rates_strategy,
)
def test_forward_pass_reaches_the_target_and_nothing_is_over_rounded(target, deal, rates):
    stages = [f"s{i}" for i in range(len(rates) + 1)]
    f = reverse_funnel(target, deal, stages, rates)
    exact_rates = [Fraction(repr(r)) for r in rates]
    for i, required in enumerate(f.required):
        # Bookings one contact entering stage i is worth, in exact arithmetic.
        per_contact = math.prod(exact_rates[i:], start=Fraction(1)) * Fraction(repr(deal))
        # Forward pass from every stage books at least the target...
        assert required * per_contact >= Fraction(repr(target))
        # ...and one fewer would not: each stage is the smallest whole volume that works.
        if required > 1:
            assert (required - 1) * per_contact < Fraction(repr(target))
    assert f.forward_revenue() >= target * (1 - 1e-12)


@settings(max_examples=200, deadline=None)
@given(
    target=st.floats(min_value=1_000, max_value=1e8),
    extra=st.floats(min_value=0, max_value=1e8),
    rates=rates_strategy,
)
def test_more_target_never_needs_fewer_leads(target, extra, rates):
    stages = [f"s{i}" for i in range(len(rates) + 1)]
    low = reverse_funnel(target, 10_000, stages, rates)
    high = reverse_funnel(target + extra, 10_000, stages, rates)
    assert all(h >= lo for h, lo in zip(high.required, low.required, strict=True))


def test_volumes_never_grow_down_the_funnel():
    f = reverse_funnel(1e6, 20_000, STAGES, [0.3, 0.6, 0.5, 0.25])
    assert list(f.required) == sorted(f.required, reverse=True)


# -- monthly phasing ----------------------------------------------------------------------

MONTHS = list(pd.period_range("2026-10", "2026-12", freq="M"))


def test_without_lags_volume_follows_the_phasing():
    required = pd.Series([1000.0, 100.0], index=["lead", "won"])
    out = monthly_phasing(
        required, pd.Series([0.0, 0.0], index=required.index), MONTHS, [0.2, 0.3, 0.5]
    )
    assert list(out.index) == MONTHS
    np.testing.assert_allclose(out["lead"], [200, 300, 500])
    np.testing.assert_allclose(out["won"], [20, 30, 50])


def test_lags_push_volume_into_earlier_months_and_totals_are_kept():
    required = pd.Series([900.0, 90.0], index=["lead", "won"])
    lags = pd.Series([31.0, 0.0], index=required.index)  # exactly October's length
    out = monthly_phasing(required, lags, MONTHS, [1 / 3, 1 / 3, 1 / 3])
    assert out["lead"].sum() == pytest.approx(900)
    assert out["won"].sum() == pytest.approx(90)
    # October's wins (1 Oct - 1 Nov) shifted back 31 days enter 31 Aug - 1 Oct:
    # one day's worth in August, thirty in September. November's 30 days land in October.
    per_month = 300
    assert out.loc[pd.Period("2026-08", "M"), "lead"] == pytest.approx(per_month / 31)
    assert out.loc[pd.Period("2026-09", "M"), "lead"] == pytest.approx(per_month * 30 / 31)
    assert out.loc[pd.Period("2026-10", "M"), "lead"] == pytest.approx(per_month + per_month / 31)
    assert out.loc[pd.Period("2026-11", "M"), "lead"] == pytest.approx(per_month * 30 / 31)
    assert out.loc[pd.Period("2026-12", "M"), "lead"] == pytest.approx(0, abs=1e-9)
    assert out.index[0] == pd.Period("2026-08", "M")  # empty leading months are dropped


# -- the quarter plan ------------------------------------------------------------------------


@pytest.fixture
def plan_params(params_dict, write_params):
    return load_params(write_params(params_dict))


def test_plan_ties_together(plan_params):
    plan = build_plan(plan_params)
    f = plan.funnel
    # 1.2M at 20k = 60 wins; rates 0.3, 0.6, 0.5, 0.5, 0.25.
    assert f.wins == 60
    assert f.required == (5334, 1600, 960, 480, 240, 60)
    # Monthly volumes add up to the quarter's required volumes.
    np.testing.assert_allclose(plan.monthly.sum().to_numpy(), f.required)
    # Volume before October is what must already be in the funnel at the start.
    before = plan.monthly.loc[plan.monthly.index < pd.Period("2026-10", "M")].sum()
    pd.testing.assert_series_equal(plan.in_funnel_at_start, before)
    assert plan.in_funnel_at_start["won"] == 0
    assert plan.in_funnel_at_start["lead"] > 0  # 74 days of lag: leads start before October


def test_channels_and_costs(plan_params):
    plan = build_plan(plan_params)
    ch = plan.channels
    assert ch["leads"].sum() == pytest.approx(5334)
    assert ch.loc["paid_search", "budget"] == pytest.approx(5334 * 0.6 * 100)
    assert ch.loc["events", "budget"] == pytest.approx(5334 * 0.4 * 250)
    assert plan.budget == pytest.approx(5334 * (60 + 100))
    assert plan.costs["cost_per_mql"] == pytest.approx(plan.budget / 1600)
    assert plan.cac == pytest.approx(plan.budget / 60)
    assert ch.loc["events", "label"] == "Events"
    assert ch.loc["paid_search", "label"] == "Paid search"


def test_coverage_checks_the_rule_against_the_win_rate(plan_params):
    plan = build_plan(plan_params)
    c = plan.coverage
    assert c.win_rate == pytest.approx(0.25)
    assert c.implied_coverage == pytest.approx(4.0)
    assert c.pipeline_needed == pytest.approx(3.6e6)
    assert c.planned_pipeline == pytest.approx(240 * 20_000)
    assert c.target_below_implied
    assert "3.0x coverage target is below the 4.0x" in c.message
    assert "75% of target" in c.message
    assert c.message in plan.warnings


def test_capacity_flags_when_sales_cannot_keep_up(params_dict, write_params):
    plan = build_plan(load_params(write_params(params_dict)))
    cap = plan.capacity
    assert cap.followup_capacity_per_month == 5 * 10 * 20
    assert cap.peak_handoffs_per_month == pytest.approx(plan.monthly_targets["mql"].max())
    assert cap.reps_needed == math.ceil(plan.monthly_targets["opportunity"].max() / 10)
    params_dict["capacity"]["reps"] = 1
    params_dict["capacity"]["responses_per_rep_per_day"] = 1
    small = build_plan(load_params(write_params(params_dict))).capacity
    assert small.exceeds_followup_capacity and small.reps_short > 0
    assert any("SLA" in m for m in small.messages)
    assert any("reps" in m for m in small.messages)


def test_plan_json_is_complete(plan_params):
    d = build_plan(plan_params).to_dict()
    assert [s["stage"] for s in d["stages"]] == list(plan_params.stage_names)
    assert d["stages"][0]["required"] == 5334
    assert d["stages"][-1]["conversion_rate"] is None
    assert {"budget", "monthly", "channels", "coverage", "capacity", "costs"} <= d.keys()
    assert d["monthly"][0]["month"] < d["monthly"][-1]["month"]


def test_scenarios_side_by_side(plan_params):
    table = compare_scenarios(plan_params)
    assert list(table.columns) == ["base", "conservative", "conservative vs base"]
    base = build_plan(plan_params)
    cons = build_plan(plan_params.with_scenario("conservative"))
    assert table.loc["required_lead", "base"] == base.funnel.leads
    assert table.loc["required_lead", "conservative"] == cons.funnel.leads
    assert table.loc["budget", "conservative vs base"] == pytest.approx(cons.budget - base.budget)
    # Lower acceptance and smaller deals need more leads.
    assert table.loc["required_lead", "conservative vs base"] > 0
    assert cons.scenario == "conservative"


def test_steady_state_targets_without_lags_equal_the_phasing():
    from alignlib.planning import steady_state_targets

    required = pd.Series([1000.0, 100.0], index=["lead", "won"])
    zero = pd.Series([0.0, 0.0], index=required.index)
    targets = steady_state_targets(required, zero, MONTHS, [0.2, 0.3, 0.5])
    pd.testing.assert_frame_equal(
        targets, monthly_phasing(required, zero, MONTHS, [0.2, 0.3, 0.5]), check_names=False
    )


def test_steady_state_targets_fill_every_quarter_month(plan_params):
    plan = build_plan(plan_params)
    targets = plan.monthly_targets
    assert list(targets.index) == plan_params.months
    # This quarter's deals need no leads in December, but next quarter's do.
    assert plan.monthly.loc[pd.Period("2026-12", "M"), "lead"] == pytest.approx(0, abs=1e-9)
    assert targets.loc[pd.Period("2026-12", "M"), "lead"] > 0
    # Over a quarter the targets add up to the required volumes (to within the
    # difference in month lengths between neighbouring quarters).
    np.testing.assert_allclose(targets.sum().to_numpy(), plan.funnel.required, rtol=0.03)
    # The last stage's targets are exactly this quarter's wins by month.
    np.testing.assert_allclose(targets["won"], plan.monthly.loc[plan_params.months, "won"])
    # Capacity is checked against the busiest target month.
    assert plan.capacity.peak_handoffs_per_month == pytest.approx(targets["mql"].max())


def test_monthly_table_is_whole_and_adds_up_to_the_required_volumes(plan_params):
    plan = build_plan(plan_params)
    table = plan.monthly_table()
    assert all(pd.api.types.is_integer_dtype(t) for t in table.dtypes)
    assert table.sum().tolist() == list(plan.funnel.required)
    assert table.index[-1] == "Dec 2026"
    # No month is more than one contact away from its exact volume.
    assert (abs(table.to_numpy() - plan.monthly.to_numpy()) < 1).all()


# -- issue 12: exact counts, channels as funnels, growth and seasonality in the targets ----


def _small_funnel_params(params_dict):
    """Issue 12's smallest case: 1 of 3 leads reach opportunity, every opportunity wins."""
    for key in ("capacity", "sla", "scenarios", "lag_days", "pipeline"):
        del params_dict[key]
    params_dict["stages"] = [
        {"name": n, "label": n.title(), "owner": "sales"} for n in ("lead", "opportunity", "won")
    ]
    params_dict["target"] = {"bookings": 3_000}
    params_dict["deal_size"] = {"mean": 1_000}
    params_dict["conversion_rates"] = {"lead": {"converted": 1, "total": 3}, "opportunity": 1.0}
    return params_dict


def test_counts_stay_exact_fractions_through_the_plan(params_dict, write_params):
    params = load_params(write_params(_small_funnel_params(params_dict)))
    plan = build_plan(params)
    # 3 wins at 1 in 3: exactly 9 leads (the float 0.333... planned 10).
    assert plan.funnel.required == (9, 3, 3)
    assert plan.channels["leads"].sum() == pytest.approx(9)
    assert plan.channels.loc["paid_search", "won"] == pytest.approx(9 * 0.6 / 3)
    assert compare_scenarios(params).loc["required_lead", "base"] == 9


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(
        st.tuples(st.integers(1, 500), st.integers(0, 500)).map(lambda t: (t[0], t[0] + t[1])),
        min_size=1,
        max_size=5,
    ),
    wins=st.integers(1, 400),
    deal=st.integers(1, 90_000),
)
def test_plan_rates_from_counts_match_an_exact_fraction_computation(counts, wins, deal):
    from alignlib.params import QuarterParams
    from alignlib.planning import plan_funnel, plan_rates

    stages = [f"s{i}" for i in range(len(counts) + 1)]
    params = QuarterParams.model_validate(
        {
            "quarter": "2026Q4",
            "target": {"bookings": wins * deal},
            "stages": [{"name": s, "label": s, "owner": "sales"} for s in stages],
            "conversion_rates": {
                s: {"converted": c, "total": t} for s, (c, t) in zip(stages, counts, strict=False)
            },
            "deal_size": {"mean": deal},
        }
    )
    assert plan_rates(params) == [Fraction(c, t) for c, t in counts]
    expected = [Fraction(wins)]
    for c, t in reversed(counts):
        expected.insert(0, expected[0] * t / c)
    assert plan_funnel(params).required == tuple(math.ceil(x) for x in expected)


def _mixed_exact(target, channels):
    """Independent: leads solve sum_k L s_k prod(r_k) d_k = target; stage sums of L s_k reach."""
    total = sum(Fraction(s) for s, _, _ in channels)
    per_lead = sum(
        Fraction(s) / total * math.prod(Fraction(r) for r in rates) * Fraction(d)
        for s, rates, d in channels
    )
    leads = Fraction(target) / per_lead
    n = len(channels[0][1]) + 1
    volumes = []
    for i in range(n):
        volumes.append(
            sum(
                leads * Fraction(s) / total * math.prod(Fraction(r) for r in rates[:i])
                for s, rates, _ in channels
            )
        )
    return volumes


def test_mixed_reverse_funnel_solves_the_channel_sum_exactly():
    from alignlib.planning import ChannelInput, mixed_reverse_funnel

    channels = [
        ("0.7", ["0.1", "0.2"], 10_000),  # paid social: weak, small deals
        ("0.3", ["0.3", "0.5"], 30_000),  # events: strong, big deals
    ]
    f = mixed_reverse_funnel(
        1_000_000,
        ["lead", "sql", "won"],
        [ChannelInput(Fraction(s), [Fraction(r) for r in rs], d) for s, rs, d in channels],
    )
    expected = _mixed_exact(1_000_000, channels)
    # 0.7 x 0.02 x 10k + 0.3 x 0.15 x 30k = 140 + 1,350 = 1,490 a lead.
    assert expected[0] == Fraction(1_000_000, 1_490)
    assert f.required == tuple(math.ceil(v) for v in expected)
    assert f.exact == pytest.approx([float(v) for v in expected])
    # A forward pass of the effective funnel gets the target back.
    assert f.exact[0] * math.prod(f.rates) * f.avg_deal_size == pytest.approx(1_000_000)


@settings(max_examples=40, deadline=None)
@given(
    channels=st.lists(
        st.tuples(
            st.integers(1, 100),
            st.lists(st.integers(1, 100), min_size=2, max_size=2),
            st.integers(100, 50_000),
        ),
        min_size=1,
        max_size=4,
    ),
    target=st.integers(10_000, 10_000_000),
)
def test_mixed_reverse_funnel_matches_an_independent_fraction_sum(channels, target):
    from alignlib.planning import ChannelInput, mixed_reverse_funnel

    spec = [(Fraction(s, 100), [Fraction(r, 100) for r in rs], d) for s, rs, d in channels]
    f = mixed_reverse_funnel(target, ["a", "b", "c"], [ChannelInput(*c) for c in spec])
    assert f.required == tuple(math.ceil(v) for v in _mixed_exact(target, spec))


def test_channels_with_their_own_funnels_change_the_plan(params_dict, write_params):
    # Without channel rates (and no actuals) the plan is the blended one, as before.
    blend = build_plan(load_params(write_params(params_dict)))
    assert blend.funnel.required == (5334, 1600, 960, 480, 240, 60)
    assert (blend.channels["rate_source"] == "blended").all()
    # Events convert lead -> MQL at 0.6 instead of 0.3 with 30k deals.
    params_dict["channels"]["events"]["conversion_rates"] = {"lead": 0.6}
    params_dict["channels"]["events"]["deal_size"] = {"mean": 30_000}
    plan = build_plan(load_params(write_params(params_dict)))
    blend_rtw = (
        Fraction("0.3") * Fraction(6, 10) * Fraction("0.5") * Fraction("0.5") * Fraction("0.25")
    )
    events_rtw = blend_rtw * 2
    per_lead = Fraction("0.6") * blend_rtw * 20_000 + Fraction("0.4") * events_rtw * 30_000
    leads = Fraction(1_200_000) / per_lead
    assert plan.funnel.leads == math.ceil(leads)
    ch = plan.channels
    assert ch.loc["events", "rate_source"] == "params + blended"
    assert ch.loc["events", "mql"] == pytest.approx(ch.loc["events", "leads"] * 0.6)
    assert ch.loc["paid_search", "mql"] == pytest.approx(ch.loc["paid_search", "leads"] * 0.3)
    # Stage totals are the channels' sums (to within the rounding up of the leads).
    for stage in ("mql", "won"):
        assert ch[stage].sum() == pytest.approx(
            plan.funnel.exact[plan.funnel.stages.index(stage)], rel=1e-3
        )
    assert ch["bookings"].sum() == pytest.approx(1_200_000, rel=1e-3)
    assert plan.budget == pytest.approx(plan.funnel.leads * (0.6 * 100 + 0.4 * 250))
    assert plan.cac == pytest.approx(plan.budget / plan.funnel.wins)
    assert ch.loc["events", "cac"] == pytest.approx(
        ch.loc["events", "budget"] / ch.loc["events", "won"]
    )
    # A scenario that moves share into the better channel needs fewer leads.
    params_dict["scenarios"]["more_events"] = {
        "overrides": {"channels": {"paid_search": {"share": 0.3}, "events": {"share": 0.7}}}
    }
    table = compare_scenarios(load_params(write_params(params_dict)))
    assert table.loc["required_lead", "more_events vs base"] < 0


def test_plan_reads_the_actuals_once(tmp_path, monkeypatch):
    from alignlib import crm
    from alignlib.history.learning import learn_params
    from alignlib.synthetic import SyntheticFunnel, synthetic_table, write_generic_export

    funnel = SyntheticFunnel(
        ("lead", "sql", "won"),
        (0.2, 0.25),
        (7.0, 30.0),
        monthly_leads=2_000,
        channels={"events": 0.3, "social": 0.7},
        channel_rates={"events": (0.4, 0.3), "social": (0.1, 0.2)},
    )
    table = synthetic_table(funnel, start="2024-01-01", months=24, as_of="2025-12-20", seed=5)
    columns = write_generic_export(table, tmp_path / "export.csv", funnel.stage_names)
    mapping = "".join(f"    {k}: {v}\n" for k, v in columns.items())
    stages = "".join(f"  - {{name: {s}, label: {s}, owner: sales}}\n" for s in funnel.stage_names)
    path = tmp_path / "2026Q1.yaml"
    path.write_text(
        "quarter: 2026Q1\ntarget: {bookings: 1000000}\nstages:\n"
        + stages
        + "conversion_rates: {lead: 0.2, sql: 0.25}\ndeal_size: {mean: 10000}\n"
        + "channels:\n  events: {share: 0.3, cost_per_lead: 300}\n"
        + "  social: {share: 0.7, cost_per_lead: 50}\n"
        + "scenarios:\n  events_heavy:\n    overrides:\n      channels:\n"
        + "        events: {share: 0.6}\n        social: {share: 0.4}\n"
        + "actuals:\n  crm_export: export.csv\n  format: csv\n  columns:\n"
        + mapping,
        encoding="utf-8",
    )
    calls = []
    real = crm.load_actuals
    monkeypatch.setattr(crm, "load_actuals", lambda p: calls.append(1) or real(p))
    params = load_params(path)
    assert calls == [] and not params.is_learned  # loading reads no data
    params = learn_params(params)
    assert calls == [1] and params.history is not None
    base = build_plan(params)
    table_ = compare_scenarios(params)
    assert calls == [1]  # the plan and every scenario read what learning read
    assert (base.channels["rate_source"] == "actuals").all()
    # Events convert ~4x better: moving share into them needs fewer leads.
    assert table_.loc["required_lead", "events_heavy vs base"] < -0.2 * base.funnel.leads


def test_replan_moves_every_channel_by_the_same_factor(params_dict, write_params):
    from alignlib.planning import replan_funnel

    params_dict["channels"]["events"]["conversion_rates"] = {"lead": 0.6}
    params = load_params(write_params(params_dict))
    assert replan_funnel(params).required == build_plan(params).funnel.required
    # MQL -> SAL from 0.6 to 0.3 halves both channels' rate; deals 10% larger everywhere.
    moved = replan_funnel(params, rates={"mql": 0.3}, deal_size=22_000, target=600_000)
    rtw = Fraction("0.3") * Fraction("0.3") * Fraction("0.5") * Fraction("0.5") * Fraction("0.25")
    per_lead = Fraction("0.6") * rtw * 22_000 + Fraction("0.4") * 2 * rtw * 22_000
    assert moved.leads == math.ceil(Fraction(600_000) / per_lead)
    # Without channels that differ, the blended funnel.
    blend = replan_funnel(load_params(write_params(dict(params_dict, channels={}))))
    assert blend.required == reverse_funnel(1_200_000, 20_000, VALID_STAGES, BLEND).required


VALID_STAGES = ["lead", "mql", "sal", "sql", "opportunity", "won"]
BLEND = [Fraction("0.3"), Fraction(3, 5), Fraction("0.5"), Fraction("0.5"), Fraction("0.25")]


def test_sample_targets_follow_growth_and_seasonality():
    from alignlib.paths import DEFAULT_PARAMS

    params = load_params(DEFAULT_PARAMS)
    plan = build_plan(params)
    leads = plan.monthly_targets["lead"]
    # December is the sample's weakest lead month every year: it is no longer asked for the
    # most leads, and seasonality takes the most off it.
    from alignlib.planning import steady_state_targets

    assert plan.seasonality is not None and plan.seasonality.index.idxmin() == 12
    assert leads.idxmax() != pd.Period("2026-12", "M")
    required = pd.Series(plan.funnel.required, index=list(plan.funnel.stages))
    lags = [lag.typical for lag in params.lags]
    to_won = pd.Series([sum(lags[i:]) for i in range(len(lags) + 1)], index=required.index)
    flat = steady_state_targets(
        required, to_won, params.months, params.phasing, growth=plan.growth
    )["lead"]
    assert (leads / flat).idxmin() == pd.Period("2026-12", "M")
    assert leads.sum() == pytest.approx(flat.sum())
    # The sample grows: targets are above the plan's leads, and the note says why.
    assert plan.growth_source == "actuals" and plan.growth > 0.2
    assert leads.sum() > plan.funnel.leads
    assert plan.targets_note and "next quarter's pipeline build-up" in plan.targets_note
    assert f"{plan.funnel.leads:,}" in plan.targets_note
    assert plan.to_dict()["targets_note"] == plan.targets_note


def test_without_growth_the_pacing_totals_are_the_plan(params_dict, write_params):
    params_dict["target"]["growth"] = 0.0
    plan = build_plan(load_params(write_params(params_dict)))
    np.testing.assert_allclose(plan.monthly_targets.sum().to_numpy(), plan.funnel.required)
    assert plan.targets_note is None and plan.growth_source == "params"
    params_dict["target"]["growth"] = 0.3
    grown = build_plan(load_params(write_params(params_dict)))
    assert grown.monthly_targets["lead"].sum() > grown.funnel.leads
    assert "+30% a year" in grown.targets_note


def test_follow_up_flag_without_an_sla_reads_per_month_not_nan_hours(params_dict, write_params):
    from alignlib.planning import build_plan

    del params_dict["sla"]
    params_dict["capacity"]["responses_per_rep_per_day"] = 0.01  # far too few
    plan = build_plan(load_params(write_params(params_dict)))
    assert plan.capacity is not None
    (flag,) = [m for m in plan.capacity.messages if "sales can answer" in m]
    assert "nan" not in flag and flag.endswith("sales can answer in a month.")
    assert "MQLs in the busiest month" in flag
