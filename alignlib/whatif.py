"""The what-if panel: re-plan the quarter with some inputs changed, and the chance of hitting target."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

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


def base_cost_per_lead(params: QuarterParams) -> float:
    """The plan's blended cost per lead (its budget over its leads).

    Parameters
    ----------
    params : QuarterParams
        Validated parameters.

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
    rows = []
    for label, change in changes:
        needed = whatif(params, **change, trials=trials, seed=seed, model=model, cost_per_lead=cost)
        at_base = whatif(
            params,
            **change,
            leads=base_leads,
            trials=trials,
            seed=seed,
            model=model,
            cost_per_lead=cost,
        )
        rows.append(
            {
                "what if": label,
                "leads_needed": needed["required_leads"],
                "budget": needed["budget"],
                "p_hit": at_base["p_hit"],
            }
        )
    for label, factor in ((f"Lead volume -{by}", 1 - swing), (f"Lead volume +{by}", 1 + swing)):
        r = whatif(
            params,
            leads=round(base_leads * factor),
            trials=trials,
            seed=seed,
            model=model,
            cost_per_lead=cost,
        )
        rows.append(
            {
                "what if": label,
                "leads_needed": r["required_leads"],
                "budget": r["budget"],
                "p_hit": r["p_hit"],
            }
        )
    return as_frame(rows, "what if")


def whatif_panel(params: QuarterParams, *, trials: int = 5_000, seed: int | None = None) -> Any:
    """An ipywidgets panel: sliders for the target, each stage's rate, deal size and leads.

    Moving a slider re-plans the quarter and re-runs the Monte Carlo (``trials``
    trials) and shows required volumes, budget and P(hit). Needs a live kernel
    (JupyterLab); rendered reports show :func:`whatif_table` instead.

    Returns
    -------
    ipywidgets.VBox
    """
    import ipywidgets as w
    from IPython.display import HTML, display

    from alignlib import display as disp
    from alignlib.simulation import model_from_params

    # built once: each slider move changes it with dataclasses.replace (inside whatif)
    model = model_from_params(params)
    cost = base_cost_per_lead(params)
    base = whatif(params, trials=trials, seed=seed, model=model, cost_per_lead=cost)

    def slider(
        kind: type,
        description: str,
        value: float,
        lo: float,
        hi: float,
        step: float,
        fmt: str | None = None,
    ) -> Any:
        extra = {"readout_format": fmt} if fmt else {}
        return kind(
            value=value,
            min=lo,
            max=hi,
            step=step,
            description=description,
            style={"description_width": "220px"},
            layout=w.Layout(width="560px"),
            continuous_update=False,
            **extra,
        )

    def around(description: str, value: float) -> Any:
        """A slider from half to one and a half times a money amount."""
        return slider(
            w.FloatSlider, description, value, value * 0.5, value * 1.5, value / 100, ",.0f"
        )

    target = around("Bookings target", params.target.bookings)
    deal = around("Average deal size", params.deal_size.mean)
    n = base["leads"]
    leads = slider(
        w.IntSlider, "Leads the quarter gets", n, max(1, n // 3), n * 2, max(1, n // 200)
    )
    follow = w.Checkbox(value=True, description="Leads follow the plan's requirement")
    names = params.stage_names
    rate_sliders = {
        stage: slider(
            w.FloatSlider,
            f"{stage_label(stage)} → {stage_label(names[i + 1])} rate",
            rate,
            0.01,
            1.0,
            0.005,
            ".1%",
        )
        for i, (stage, rate) in enumerate(zip(names[:-1], params.rates, strict=True))
    }
    out = w.Output()

    def refresh(_change: Any = None) -> None:
        rates = {s: sl.value for s, sl in rate_sliders.items()}
        n = None if follow.value else leads.value
        r = whatif(
            params,
            target=target.value,
            rates=rates,
            deal_size=deal.value,
            leads=n,
            trials=trials,
            seed=seed,
            model=model,
            cost_per_lead=cost,
        )
        if follow.value and leads.value != r["leads"]:
            leads.unobserve(refresh, "value")
            leads.max = max(leads.max, r["leads"])
            leads.value = r["leads"]
            leads.observe(refresh, "value")
        out.clear_output(wait=True)
        with out:
            display(
                HTML(
                    disp.key_figures_html(
                        {
                            "target": r["target"],
                            "required_leads": r["required_leads"],
                            "budget": r["budget"],
                            "p_hit": r["p_hit"],
                        },
                        currency=params.currency,
                    )
                )
            )
            display(disp.table(r["required"], index=False, caption="Volume needed per stage"))

    for widget in [target, deal, leads, follow, *rate_sliders.values()]:
        widget.observe(refresh, "value")
    refresh()
    return w.VBox(
        [
            w.HTML("<b>Move a slider: the plan and the chance of hitting target update.</b>"),
            target,
            deal,
            *rate_sliders.values(),
            w.HBox([leads, follow]),
            out,
        ]
    )
