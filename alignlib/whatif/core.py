"""Re-plan the quarter with some inputs changed, and the static one-at-a-time what-if table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from alignlib.docstrings import PARAMS_DOC
from alignlib.errors import InputError
from alignlib.format import pct, stage_label
from alignlib.reports.common import as_frame

if TYPE_CHECKING:
    from alignlib.params import QuarterParams
    from alignlib.simulation import FunnelModel


def whatif(
    params: QuarterParams,
    *,
    target: float | None = None,
    rates: dict[str, float] | None = None,
    deal_size: float | None = None,
    leads: int | None = None,
    trials: int = 5_000,
    seed: int | None = None,
    model: FunnelModel | None = None,
    cost_per_lead: float | None = None,
) -> dict[str, Any]:
    """Re-plan the quarter with some inputs changed, and the chance of hitting target.

    Conversion rates given here are fixed (no historical-count uncertainty), as a
    person moving a slider means "suppose the rate were exactly this".

    Parameters
    ----------
    params : QuarterParams
        The base parameters.
    target : float, optional
        Bookings target (default: the parameters').
    rates : dict, optional
        From-stage -> conversion rate into the next stage; others keep their inputs.
    deal_size : float, optional
        Average deal size (the spread scales with it).
    leads : int, optional
        Leads the quarter will get (default: what the re-planned funnel requires).
    trials, seed : int
        Monte Carlo trials and seed.
    model : FunnelModel, optional
        The quarter's funnel, ``model_from_params(params)``: callers that re-plan many
        times build it once (the changed inputs go in with ``dataclasses.replace``).
    cost_per_lead : float, optional
        The plan's blended cost per lead (default: from ``build_plan(params)``; NaN when
        a channel has no cost). Callers that re-plan many times compute it once.

    Returns
    -------
    dict
        ``required`` (DataFrame: volume per stage), ``required_leads``, ``leads``,
        ``budget`` (leads x the plan's blended cost per lead), ``p_hit``, ``target``.
    """
    from alignlib.planning import replan_funnel
    from alignlib.simulation import (
        DealSize,
        lead_volume_from_params,
        model_from_params,
        simulate_funnel,
    )

    if cost_per_lead is None:
        cost_per_lead = base_cost_per_lead(params)
    target = float(params.target.bookings if target is None else target)
    mean = float(params.deal_size.mean if deal_size is None else deal_size)
    if target <= 0 or mean <= 0:
        raise InputError(f"target and deal size must be positive (got {target}, {mean})")
    names = list(params.stage_names)
    fixed: dict[str, float] = {}
    for stage, value in (rates or {}).items():
        if not 0 < float(value) <= 1:
            raise InputError(f"conversion rate of {stage!r} must be in (0, 1], got {value}")
        fixed[stage] = float(value)
    funnel = replan_funnel(params, target=target, deal_size=mean, rates=fixed)
    n_leads = int(funnel.leads if leads is None else leads)
    spread = params.deal_size.spread * mean / params.deal_size.mean
    changed = (
        replace(
            model_from_params(params) if model is None else model,
            leads=lead_volume_from_params(params, max(n_leads, 1)),
        )
        .with_deal_size(DealSize(mean, spread))
        .with_rates(fixed)
    )
    res = simulate_funnel(changed, trials=trials, seed=seed)
    required = pd.DataFrame(
        {"stage": [params.stage_labels.get(s, s) for s in names], "required": funnel.required},
        index=pd.Index(names, name="stage_name"),
    )
    return {
        "target": target,
        "required": required,
        "required_leads": funnel.leads,
        "leads": n_leads,
        "budget": n_leads * cost_per_lead,
        "p_hit": res.p_hit(target) if n_leads > 0 else 0.0,
    }


@PARAMS_DOC
def base_cost_per_lead(params: QuarterParams) -> float:
    """The plan's blended cost per lead (its budget over its leads).

    Returns
    -------
    float
        NaN when the budget is unknown (no channels, or a channel without a cost).
    """
    from alignlib.planning import build_plan

    plan = build_plan(params)
    return float(plan.costs[f"cost_per_{plan.funnel.stages[0]}"])


def whatif_table(
    params: QuarterParams, *, trials: int = 5_000, seed: int | None = None, swing: float = 0.1
) -> pd.DataFrame:
    """The static what-if: each input moved down and up by ``swing``, one at a time.

    Returns
    -------
    DataFrame
        One row per change: ``leads_needed`` to plan for the target under it, ``budget``
        for those leads, and ``p_hit`` if the quarter gets the base plan's leads.
    """
    from alignlib.planning import replan_funnel
    from alignlib.simulation import model_from_params

    model = model_from_params(params)
    cost = base_cost_per_lead(params)
    base_leads = replan_funnel(params).leads
    changes: list[tuple[str, dict[str, Any]]] = [("As planned", {})]
    by = pct(swing)
    changes += [
        (f"Target -{by}", {"target": params.target.bookings * (1 - swing)}),
        (f"Target +{by}", {"target": params.target.bookings * (1 + swing)}),
        (f"Deal size -{by}", {"deal_size": params.deal_size.mean * (1 - swing)}),
        (f"Deal size +{by}", {"deal_size": params.deal_size.mean * (1 + swing)}),
    ]
    names = params.stage_names
    for i, (stage, rate) in enumerate(zip(names[:-1], params.rates, strict=True)):
        move = f"{stage_label(stage)} → {stage_label(names[i + 1])}"
        changes.append((f"{move} rate -{by}", {"rates": {stage: rate * (1 - swing)}}))
        changes.append((f"{move} rate +{by}", {"rates": {stage: min(1.0, rate * (1 + swing))}}))
    same: dict[str, Any] = {"trials": trials, "seed": seed, "model": model, "cost_per_lead": cost}

    def row(label: str, needed: Mapping[str, Any], at_base: Mapping[str, Any]) -> dict[str, Any]:
        # leads and budget that reach the target; the odds at the plan's own leads
        return {
            "what if": label,
            "leads_needed": needed["required_leads"],
            "budget": needed["budget"],
            "p_hit": at_base["p_hit"],
        }

    rows = []
    for label, change in changes:
        needed = whatif(params, **change, **same)
        rows.append(row(label, needed, whatif(params, **change, leads=base_leads, **same)))
    for label, factor in ((f"Lead volume -{by}", 1 - swing), (f"Lead volume +{by}", 1 + swing)):
        r = whatif(params, leads=round(base_leads * factor), **same)
        rows.append(row(label, r, r))
    return as_frame(rows, "what if")
