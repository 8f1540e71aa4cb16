"""Scenarios side by side: every scenario's plan beside the base plan."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from alignlib.planning.plan import build_plan

if TYPE_CHECKING:
    from alignlib.params import QuarterParams


def compare_scenarios(params: QuarterParams) -> pd.DataFrame:
    """Every scenario beside the base plan: volumes, budget, CAC, coverage, capacity.

    Returns
    -------
    DataFrame
        One row per measure, one column per plan (``base`` first), plus a
        ``<scenario> vs base`` column of differences for each scenario.
    """
    plans = {"base": build_plan(params)}
    for name in params.scenarios:
        plans[name] = build_plan(params.with_scenario(name))
    rows: dict[str, dict[str, float]] = {}
    for name, plan in plans.items():
        col: dict[str, float] = {"target": plan.target, "avg_deal_size": plan.avg_deal_size}
        for stage, volume in zip(plan.funnel.stages, plan.funnel.required, strict=True):
            col[f"required_{stage}"] = volume
        col["budget"] = plan.budget
        col["cac"] = plan.cac
        col["implied_coverage"] = plan.coverage.implied_coverage
        col["pipeline_needed"] = plan.coverage.pipeline_needed
        col["reps_needed"] = plan.capacity.reps_needed if plan.capacity else float("nan")
        col["capacity_flags"] = len(plan.capacity.messages) if plan.capacity else 0
        rows[name] = col
    table = pd.DataFrame(rows)
    for name in params.scenarios:
        table[f"{name} vs base"] = table[name] - table["base"]
    table.index.name = "measure"
    return table
