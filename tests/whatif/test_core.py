"""What-if re-plans with changed inputs, and the static one-at-a-time table."""

from __future__ import annotations

import pytest

from alignlib import paths, whatif
from alignlib.errors import InputError
from alignlib.params import load_params
from alignlib.planning import build_plan, replan_funnel


@pytest.fixture(scope="module")
def params():
    return load_params(paths.DEFAULT_PARAMS)


@pytest.fixture(scope="module")
def plan(params):
    return build_plan(params)


def test_whatif_without_changes_is_the_plan(params, plan) -> None:
    r = whatif.whatif(params, trials=500, seed=1)
    assert r["required_leads"] == plan.funnel.leads
    assert r["budget"] == pytest.approx(plan.budget)
    assert 0.0 <= r["p_hit"] <= 1.0


def test_whatif_changes_follow_the_reverse_funnel(params) -> None:
    target = params.target.bookings * 1.2
    rates = {"mql": 0.7}
    r = whatif.whatif(params, target=target, rates=rates, deal_size=30_000, trials=500, seed=1)
    # The sample's channels convert differently: the re-plan moves every channel's funnel.
    expected = replan_funnel(params, target=target, deal_size=30_000, rates={"mql": 0.7})
    assert r["required_leads"] == expected.leads
    more = whatif.whatif(params, leads=r["leads"] * 2, trials=500, seed=1)
    less = whatif.whatif(params, leads=r["leads"] // 2, trials=500, seed=1)
    assert more["p_hit"] >= less["p_hit"]
    with pytest.raises(InputError, match="conversion rate of 'mql'"):
        whatif.whatif(params, rates={"mql": 1.5}, trials=100)


def test_whatif_table_static_version(params) -> None:
    table = whatif.whatif_table(params, trials=300, seed=1)
    assert "As planned" in table.index
    assert table.loc["Target +10%", "leads_needed"] > table.loc["Target -10%", "leads_needed"]
    assert table["p_hit"].between(0, 1).all()


def test_whatif_of_a_two_stage_funnel_without_channel_costs(params_dict, write_params):
    """Issue 11: the budget is unknown (NaN), not a KeyError on ``cost_per_lead``."""
    import math

    for key in ("capacity", "sla", "scenarios", "lag_days", "pipeline"):
        del params_dict[key]
    params_dict["stages"] = [
        {"name": "mql", "label": "MQL", "owner": "marketing"},
        {"name": "won", "label": "Won", "owner": "sales"},
    ]
    params_dict["conversion_rates"] = {"mql": 0.1}
    params_dict["channels"] = {"web": {"share": 1.0}}
    p = load_params(write_params(params_dict))
    r = whatif.whatif(p, trials=500, seed=1)
    assert r["required_leads"] == 600 and math.isnan(r["budget"])
    table = whatif.whatif_table(p, trials=300, seed=1)
    assert table["budget"].isna().all() and len(table) == 1 + 4 + 2 + 2
