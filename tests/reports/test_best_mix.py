"""The plan report's channel-mix section: channels at their own rates, today and least-cost."""

from __future__ import annotations

import pytest

from alignlib.params import load_params
from alignlib.planning import build_plan
from alignlib.reports import best_mix as mix_report


def test_channel_funnel_table_and_mix_view(params_dict, write_params):
    params_dict["channels"]["events"]["conversion_rates"] = {"lead": 0.6}
    params_dict["channels"]["paid_search"]["max_leads_per_month"] = 1_000
    params = load_params(write_params(params_dict))
    plan = build_plan(params)
    table = mix_report.channel_funnel_table(plan)
    assert list(table.index) == ["paid_search", "events"]
    assert table.loc["events", "rates_from"] == "params + blended"
    assert table.loc["events", "Marketing qualified lead"] == pytest.approx(
        table.loc["events", "leads"] * 0.6
    )
    assert {"bookings", "budget", "cac"} <= set(table.columns)
    view = mix_report.mix_view(params, plan)
    assert view.table.loc["total", "optimal_leads"] == pytest.approx(
        view.table["optimal_leads"].iloc[:-1].sum()
    )
    assert "least-cost mix" in view.message


def test_without_channels_or_costs(params_dict, write_params):
    params_dict["channels"] = {"partners": {"share": 1.0}}
    params = load_params(write_params(params_dict))
    plan = build_plan(params)
    assert "budget" not in mix_report.channel_funnel_table(plan).columns
    view = mix_report.mix_view(params, plan)
    assert view.table.empty and "No channel has a cost" in view.message
    params_dict["channels"] = {}
    plan = build_plan(load_params(write_params(params_dict)))
    assert mix_report.channel_funnel_table(plan).empty
