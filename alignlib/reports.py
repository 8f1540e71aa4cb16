"""What the report notebooks compute, in one tested place, so the notebooks stay thin.

Each function turns validated parameters (and the results of planning, simulation,
metrics and experiments) into the small tables and objects a report shows. The
maths lives in those modules; this module only wires them together for the reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib import paths
from alignlib.errors import InputError

if TYPE_CHECKING:
    from alignlib.params import QuarterParams
    from alignlib.planning import QuarterPlan


def resolve_params_path(params_path: str | Path) -> Path:
    """Find a parameters file named relative to the working folder or the project.

    Notebooks run with the notebook's folder as working directory (JupyterLab,
    papermill, nbval), so ``../params/2026Q4.yaml`` works there; a bare name such
    as ``2026Q4.yaml`` is also looked up in ``params/`` and relative to ``notebooks/``.

    Parameters
    ----------
    params_path : str or Path

    Returns
    -------
    Path
        An existing file (absolute).

    Raises
    ------
    InputError
        When no candidate exists; the message lists where it looked.
    """
    path = Path(params_path).expanduser()
    candidates = (
        [path]
        if path.is_absolute()
        else [
            Path.cwd() / path,
            paths.NOTEBOOKS_DIR / path,
            paths.PARAMS_DIR / path,
            paths.PROJECT_ROOT / path,
        ]
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    looked = ", ".join(str(c) for c in candidates)
    raise InputError(f"parameters file {params_path!r} not found (looked in: {looked})")


def load_report_params(params_path: str | Path, scenario: str | None = None) -> QuarterParams:
    """Load and validate a parameters file for a report, with an optional scenario applied."""
    from alignlib.params import load_params

    params = load_params(resolve_params_path(params_path))
    return params.with_scenario(scenario) if scenario else params


def short_label(stage: str) -> str:
    """A compact stage name for charts and row labels: ``MQL``, ``SAL``, ``Opportunity``."""
    if len(stage) <= 3 and stage not in ("won", "new"):
        return stage.upper()
    return stage.replace("_", " ").capitalize()


_ACRONYMS = {
    "mql",
    "mqls",
    "sal",
    "sals",
    "sql",
    "sqls",
    "sla",
    "sdr",
    "ae",
    "crm",
    "cac",
    "abm",
    "seo",
}


def pretty_name(name: str) -> str:
    """``mql_threshold`` -> ``MQL threshold``: a file-safe name as a heading."""
    words = name.replace("-", "_").split("_")
    out = [w.upper() if w.lower() in _ACRONYMS else w.lower() for w in words if w]
    if out and not out[0].isupper():
        out[0] = out[0].capitalize()
    return " ".join(out)


def stage_owners(params: QuarterParams) -> dict[str, str]:
    """Stage name -> owning team (``marketing`` or ``sales``), for colouring charts."""
    return {s.name: s.owner for s in params.stages}


def quarter_monthly_volume(plan: QuarterPlan) -> dict[str, float]:
    """Average volume entering each stage per month of the quarter (required / months).

    Used to turn an experiment's remaining sample into weeks of running time.
    """
    n_months = 3
    return {s: v / n_months for s, v in zip(plan.funnel.stages, plan.funnel.required, strict=True)}


def plan_table(plan: QuarterPlan) -> pd.DataFrame:
    """The plan by stage for readers and spreadsheets (labels, rates, volumes, cost).

    Indexed by stage name. Columns: ``label``, ``conversion_rate`` into the next stage, ``rate_to_won``,
    ``required`` volume, ``in_funnel_at_start`` (must already have entered before
    the quarter) and ``cost_per_stage`` (budget / required).
    """
    frame = plan.to_frame()
    out = pd.DataFrame(
        {
            "label": frame["label"],
            "conversion_rate": frame["conversion_rate"],
            "rate_to_won": frame["rate_to_won"],
            "required": frame["required"].astype(int),
            "in_funnel_at_start": frame["in_funnel_at_start"].round().astype(int),
            "cost_per_stage": frame["cost_per_stage"],
        },
        index=frame.index,
    )
    return out


def monthly_table(plan: QuarterPlan) -> pd.DataFrame:
    """Volume entering each stage per month (rounded up), stages as rows, months as columns.

    Months before the quarter are marked ``(before)`` so readers see the lead time.
    """
    table = plan.monthly_table()
    first = pd.Period(plan.quarter, freq="Q").asfreq("M", "start")
    labels = [
        f"{label} (before)" if period < first else label
        for label, period in zip(table.index, plan.monthly.index, strict=True)
    ]
    out = table.T
    out.columns = labels
    out.index = [plan.stage_labels.get(s, s) for s in out.index]
    out.index.name = "stage"
    out["quarter total"] = out.sum(axis=1)
    return out


def channel_table(plan: QuarterPlan) -> pd.DataFrame:
    """Per channel: share, leads, cost per lead, budget, customers and CAC."""
    ch = plan.channels
    won = plan.funnel.stages[-1]
    out = pd.DataFrame(
        {
            "label": ch["label"],
            "share": ch["share"],
            "leads": ch["leads"].round().astype(int),
            "cost_per_lead": ch["cost_per_lead"],
            "budget": ch["budget"],
            "customers": ch[won],
            "cac": ch["cac"],
        },
        index=ch.index,
    )
    total = pd.DataFrame(
        {
            "label": ["Total"],
            "share": [out["share"].sum()],
            "leads": [int(out["leads"].sum())],
            "cost_per_lead": [plan.costs.get("cost_per_lead")],
            "budget": [plan.budget],
            "customers": [out["customers"].sum()],
            "cac": [plan.cac],
        },
        index=["total"],
    )
    return pd.concat([out, total])


def cost_per_stage_table(plan: QuarterPlan) -> pd.DataFrame:
    """Marketing budget divided by each stage's planned volume (cost per lead ... CAC)."""
    rows = []
    for stage in plan.funnel.stages:
        key = f"cost_per_{stage}"
        if key in plan.costs:
            rows.append((plan.stage_labels.get(stage, stage), float(plan.costs[key])))
    frame = pd.DataFrame(rows, columns=["stage", "cost_per_stage"]).set_index("stage")
    return frame


def sla_table(params: QuarterParams) -> pd.DataFrame:
    """The service levels both teams signed up to, as a small table."""
    cap = params.capacity
    rows = [
        (
            "Lead response",
            f"{params.sla.lead_response_hours:g} hours",
            f"Sales makes first contact with every new {cap.handoff_stage.upper()}.",
        ),
        (
            "Acceptance",
            f"{params.sla.acceptance_hours:g} hours",
            "Sales accepts or rejects (with a reason) each hand-off.",
        ),
        (
            "Follow-up capacity",
            f"{cap.responses_per_rep_per_day * cap.reps:,.0f} per day",
            f"{cap.reps} reps x {cap.responses_per_rep_per_day:g} responses a day.",
        ),
    ]
    return pd.DataFrame(rows, columns=["service level", "within", "meaning"]).set_index(
        "service level"
    )


def check_trials(trials: int) -> int:
    """A trial count for a report (at least 100, so probabilities are not pure noise)."""
    if int(trials) < 100:
        raise InputError(f"trials must be at least 100 for a report, got {trials}")
    return int(trials)


def as_frame(rows: list[dict[str, Any]], index: str) -> pd.DataFrame:
    """Records as a DataFrame indexed by ``index`` (empty frame when there are none)."""
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame.from_records(rows).set_index(index)


# -- simulation views ---------------------------------------------------------------------


def simulation_summary(result: Any, target: float, currency: str = "USD") -> pd.DataFrame:
    """Bookings and wins of the simulated quarters: mean, P10, P50, P90, formatted for reading.

    Returns
    -------
    DataFrame
        One row per measure; values are formatted strings (money or counts per row).
    """
    from alignlib.display import format_value

    rows = []
    labels = {
        "revenue": "Bookings inside the quarter",
        "revenue_after": "Bookings landing after the quarter",
        "won_in_quarter": "Deals won inside the quarter",
    }
    for key, label in labels.items():
        values = getattr(result, key, None)
        if values is None:
            continue
        values = np.asarray(values, dtype=float)
        kind = "money" if "revenue" in key else "count"
        q = np.quantile(values, [0.1, 0.5, 0.9])
        rows.append(
            {
                "measure": label,
                "average": format_value(values.mean(), kind, currency),
                "P10 (1 in 10 quarters is worse)": format_value(q[0], kind, currency),
                "P50 (median)": format_value(q[1], kind, currency),
                "P90 (1 in 10 is better)": format_value(q[2], kind, currency),
            }
        )
    rows.append(
        {
            "measure": "Chance of reaching the target",
            "average": format_value(float(np.mean(result.revenue >= target)), "pct"),
            "P10 (1 in 10 quarters is worse)": "",
            "P50 (median)": "",
            "P90 (1 in 10 is better)": "",
        }
    )
    return as_frame(rows, "measure")


def target_sentence(plan: QuarterPlan, params: QuarterParams) -> str:
    """One sentence stating the quarter's target and what it means in deals and leads."""
    from alignlib.display import format_value, money

    seg = "the whole company" if params.segment in ("all", "") else f"the {params.segment} segment"
    scen = f" (scenario: {plan.scenario})" if plan.scenario else ""
    return (
        f"The {plan.quarter} bookings target for {seg}{scen} is "
        f"{format_value(plan.target, 'money', plan.currency)}: at an average deal of "
        f"{money(plan.avg_deal_size, plan.currency)} that is {plan.funnel.wins:,} won deals, "
        f"which needs {plan.funnel.leads:,} new leads and a marketing budget of "
        f"{money(plan.budget, plan.currency)}."
    )


def confidence_sentence(confidence_plan: Any, plan: QuarterPlan) -> str:
    """Plain words for the confidence-sized plan against the point plan."""
    c = confidence_plan
    return (
        f"Planning the point-estimate {plan.funnel.leads:,} leads gives only a "
        f"{c.point_p_hit:.0%} chance of reaching the target. To be {c.confidence:.0%} sure, "
        f"plan for {c.leads:,} leads ({c.extra_leads:+,.0f}, "
        f"{c.leads / max(plan.funnel.leads, 1) - 1:+.0%})."
    )


def confidence_table(confidence_plan: Any, params: QuarterParams) -> pd.DataFrame:
    """Point plan vs confidence-sized plan per stage, with stage labels."""
    frame = confidence_plan.to_frame()
    out = pd.DataFrame(
        {
            "label": [params.stage_labels.get(s, s) for s in frame.index],
            "point_plan": np.ceil(frame["point_plan"].to_numpy(dtype=float) - 1e-9),
            f"plan_for_{confidence_plan.confidence:.0%}_confidence": np.ceil(
                frame["confidence_plan"].to_numpy(dtype=float) - 1e-9
            ),
        },
        index=frame.index,
    )
    out["extra"] = out.iloc[:, 2] - out["point_plan"]
    return out


def sensitivity_table(sens: Any) -> pd.DataFrame:
    """The sensitivity rows for reading: input, its low/base/high value, P(hit) low/high."""
    from alignlib.display import format_value

    frame = sens.to_frame()
    rows = []
    for label, row in frame.iterrows():
        kind = {"deal_size": "money", "lead_volume": "count"}.get(row["kind"], "pct1")
        rows.append(
            {
                "input": str(label),
                "lower": format_value(row["low_value"], kind),
                "as planned": format_value(row["base_value"], kind),
                "higher": format_value(row["high_value"], kind),
                "how": row.get("how", ""),
                "P(hit) lower": format_value(row["p_hit_low"], "pct1"),
                "P(hit) higher": format_value(row["p_hit_high"], "pct1"),
                "swing in P(hit)": format_value(row["effect"], "pct1"),
            }
        )
    return as_frame(rows, "input")


def revenue_fan(
    params: QuarterParams,
    *,
    trials: int,
    seed: int | None,
    lead_volumes: list[int] | None = None,
    marks: dict[str, int] | None = None,
) -> pd.DataFrame:
    """Bookings quantiles and P(hit) for a range of planned lead volumes (for a fan chart).

    Parameters
    ----------
    params : QuarterParams
    trials, seed : int
        Monte Carlo trials per lead volume, and the seed (the same for each volume, so
        the curve is smooth: common random numbers).
    lead_volumes : list of int, optional
        Default: 60% to 160% of the point plan's leads, plus every ``marks`` value.
    marks : dict, optional
        Label -> lead volume to annotate (e.g. ``{"point plan": 7513}``).

    Returns
    -------
    DataFrame
        Indexed by ``leads``: ``P10, P25, P50, P75, P90, p_hit, label``.
    """
    from alignlib.planning import reverse_funnel
    from alignlib.simulation import simulate_from_params

    point = reverse_funnel(
        params.target.bookings, params.deal_size.mean, params.stage_names, params.rates
    ).leads
    volumes = set(lead_volumes or [round(point * f) for f in (0.6, 0.8, 1.0, 1.2, 1.4, 1.6)])
    volumes |= set((marks or {}).values())
    names = {v: k for k, v in (marks or {}).items()}
    rows = []
    for leads in sorted(volumes):
        res = simulate_from_params(params, trials=trials, seed=seed, leads=int(leads))
        rev = res.revenue
        qs = {f"P{q}": float(pd.Series(rev).quantile(q / 100)) for q in (10, 25, 50, 75, 90)}
        rows.append(
            {
                "leads": int(leads),
                **qs,
                "p_hit": res.p_hit(params.target.bookings),
                "label": names.get(leads, ""),
            }
        )
    return as_frame(rows, "leads")


def scenario_table(params: QuarterParams, *, trials: int, seed: int | None) -> pd.DataFrame:
    """The base plan and every scenario side by side, with each one's P(hit).

    Returns
    -------
    DataFrame
        One row per plan (``base`` first): description, target, deal size, leads,
        budget, CAC, reps needed, capacity flags, ``p_hit`` (Monte Carlo at the
        scenario's own point-estimate leads: about even by construction) and
        ``p_hit_base_plan`` (the scenario's world, but only the base plan's leads:
        the risk of not re-planning if the scenario comes true).
    """
    from alignlib.planning import build_plan
    from alignlib.simulation import simulate_from_params

    rows = []
    base_leads = build_plan(params).funnel.leads
    for name in [None, *params.scenarios]:
        p = params.with_scenario(name)
        plan = build_plan(p)
        res = simulate_from_params(p, trials=trials, seed=seed)
        on_base = (
            res
            if plan.funnel.leads == base_leads
            else simulate_from_params(p, trials=trials, seed=seed, leads=base_leads)
        )
        desc = "The plan as submitted" if name is None else params.scenarios[name].description
        rows.append(
            {
                "scenario": "base" if name is None else name,
                "target": plan.target,
                "deal_size": plan.avg_deal_size,
                "leads": plan.funnel.leads,
                "budget": plan.budget,
                "p_hit_base_plan": on_base.p_hit(plan.target),
                "p_hit": res.p_hit(plan.target),
                "cac": plan.cac,
                "opportunities": plan.funnel.required[plan.funnel.stages.index(p.pipeline.stage)],
                "reps_needed": plan.capacity.reps_needed,
                "capacity_flags": len(plan.capacity.messages),
                # Last: the one column that wraps, so the figures stay in view.
                "description": desc or "",
            }
        )
    return as_frame(rows, "scenario")


# -- what-if ----------------------------------------------------------------------------------


def whatif(
    params: QuarterParams,
    *,
    target: float | None = None,
    rates: dict[str, float] | None = None,
    deal_size: float | None = None,
    leads: int | None = None,
    trials: int = 5_000,
    seed: int | None = None,
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

    Returns
    -------
    dict
        ``required`` (DataFrame: volume per stage), ``required_leads``, ``leads``,
        ``budget`` (leads x the plan's blended cost per lead), ``p_hit``, ``target``.
    """
    from alignlib.planning import build_plan, reverse_funnel
    from alignlib.simulation import DealSize, funnel_inputs_from_params, simulate_funnel

    base_plan = build_plan(params)
    target = float(params.target.bookings if target is None else target)
    mean = float(params.deal_size.mean if deal_size is None else deal_size)
    if target <= 0 or mean <= 0:
        raise InputError(f"target and deal size must be positive (got {target}, {mean})")
    names = list(params.stage_names)
    point_rates = list(params.rates)
    inputs = list(params.rate_inputs)
    for stage, value in (rates or {}).items():
        i = names.index(stage)
        if not 0 < float(value) <= 1:
            raise InputError(f"conversion rate of {stage!r} must be in (0, 1], got {value}")
        point_rates[i] = float(value)
        inputs[i] = float(value)
    funnel = reverse_funnel(target, mean, names, point_rates)
    n_leads = int(funnel.leads if leads is None else leads)
    kwargs = funnel_inputs_from_params(params, leads=max(n_leads, 1))
    kwargs["rates"] = inputs
    spread = params.deal_size.spread * mean / params.deal_size.mean
    kwargs["deal_size"] = DealSize(mean, spread)
    res = simulate_funnel(**kwargs, trials=trials, seed=seed)
    cost_per_lead = float(base_plan.costs["cost_per_lead"])
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
    from alignlib.planning import reverse_funnel

    base_leads = reverse_funnel(
        params.target.bookings, params.deal_size.mean, params.stage_names, params.rates
    ).leads
    changes: list[tuple[str, dict[str, Any]]] = [("As planned", {})]
    pct = f"{swing:.0%}"
    changes += [
        (f"Target -{pct}", {"target": params.target.bookings * (1 - swing)}),
        (f"Target +{pct}", {"target": params.target.bookings * (1 + swing)}),
        (f"Deal size -{pct}", {"deal_size": params.deal_size.mean * (1 - swing)}),
        (f"Deal size +{pct}", {"deal_size": params.deal_size.mean * (1 + swing)}),
    ]
    names = params.stage_names
    for i, (stage, rate) in enumerate(zip(names[:-1], params.rates, strict=True)):
        move = f"{short_label(stage)} → {short_label(names[i + 1])}"
        changes.append((f"{move} rate -{pct}", {"rates": {stage: rate * (1 - swing)}}))
        changes.append((f"{move} rate +{pct}", {"rates": {stage: min(1.0, rate * (1 + swing))}}))
    rows = []
    for label, change in changes:
        needed = whatif(params, **change, trials=trials, seed=seed)
        at_base = whatif(params, **change, leads=base_leads, trials=trials, seed=seed)
        rows.append(
            {
                "what if": label,
                "leads_needed": needed["required_leads"],
                "budget": needed["budget"],
                "p_hit": at_base["p_hit"],
            }
        )
    for label, factor in ((f"Lead volume -{pct}", 1 - swing), (f"Lead volume +{pct}", 1 + swing)):
        r = whatif(params, leads=round(base_leads * factor), trials=trials, seed=seed)
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

    base = whatif(params, trials=trials, seed=seed)

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
            f"{short_label(stage)} → {short_label(names[i + 1])} rate",
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


def whatif_view(
    params: QuarterParams, *, interactive: bool, trials: int = 5_000, seed: int | None = None
) -> Any:
    """The live panel in JupyterLab (``interactive=True``), the static table otherwise.

    The batch runs notebooks with ``interactive=False`` (papermill cannot show live
    widgets in HTML), so a rendered report gets the table of one-at-a-time changes.
    """
    if interactive:
        return whatif_panel(params, trials=trials, seed=seed)
    from alignlib import display

    return display.table(
        whatif_table(params, trials=trials, seed=seed),
        caption="What if one input changes by 10%? Leads and budget to still hit the target, "
        "and the chance of hitting it with the leads as planned",
        labels={"p_hit": "P(hit) with planned leads", "leads_needed": "Leads needed"},
        currency=params.currency,
    )


# -- actuals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActualsView:
    """What a report shows about actuals: notes, charts and formatted tables."""

    notes: tuple[str, ...] = ()
    figures: tuple[Any, ...] = ()
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()
    sla_tables: tuple[tuple[str, pd.DataFrame], ...] = ()


def actuals_view(params: QuarterParams, plan: QuarterPlan) -> ActualsView:
    """Actual-to-plan, pacing and SLA compliance from the CRM exports, when there are any.

    Returns an empty view with a note when the parameters name no actuals.
    """
    if params.actuals is None:
        return ActualsView(notes=("No actuals in the parameters file: plan only.",))
    try:
        from alignlib import metrics  # noqa: F401
    except ImportError:
        return ActualsView(notes=("Actual-to-plan needs alignlib.metrics (not installed yet).",))
    return _actuals_view(params, plan)


def _actuals_view(params: QuarterParams, plan: QuarterPlan) -> ActualsView:
    from alignlib import crm, metrics
    from alignlib.charts import plan as charts

    ingest = crm.load_actuals(params)
    as_of = ingest.as_of
    table = ingest.table
    notes = [
        f"Actuals from the {ingest.format} export {Path(ingest.source).name} as of "
        f"{as_of:%d %b %Y}: {ingest.accepted:,} of {ingest.rows_read:,} rows used"
        + (
            f", {ingest.rejected:,} rejected (`alignlib ingest` lists why)."
            if ingest.rejected
            else "."
        )
    ]
    # Pace against the quarter's monthly targets (every quarter running this plan),
    # not against plan.monthly: that counts only this quarter's deals, so last
    # quarter's wins in September would read as 'ahead of plan'.
    atp = metrics.actual_to_plan(table, plan.monthly_targets, as_of, stage_names=params.stage_names)
    summary = atp.summary
    labels = params.stage_labels
    tables = [
        (
            f"Actual to plan by stage, as of {as_of:%d %b %Y} (monthly targets for "
            f"{plan.monthly_targets.index[0]:%b}–{plan.monthly_targets.index[-1]:%b %Y})",
            pd.DataFrame(
                {
                    "stage": [labels.get(s, s) for s in summary.index],
                    "plan_total": summary["plan_total"].round(),
                    "plan_to_date": summary["plan_to_date"].round(),
                    "actual_to_date": summary["actual_to_date"],
                    "variance_to_date": summary["variance_to_date"].round(),
                    "pacing_vs_plan": summary["pacing"],
                    "projected_landing": summary["projected"].round(),
                }
            ).set_index("stage"),
        )
    ]
    import matplotlib.pyplot as plt

    figure = charts.actual_vs_plan_chart(atp.monthly, labels, as_of=as_of)
    plt.close(figure)  # shown later by display.show; an open figure would show twice inline
    figures = [figure]
    won = params.stage_names[-1]
    if won in summary.index and summary.loc[won, "plan_total"] > 0:
        pace = summary.loc[won, "pacing"]
        if pd.notna(pace):
            notes.append(
                f"Won deals are pacing at {pace:.0%} of plan to date; at this pace the quarter "
                f"lands {summary.loc[won, 'projected']:,.0f} deals against "
                f"{summary.loc[won, 'plan_total']:,.0f} planned."
            )
    report = metrics.sla(
        table,
        as_of,
        params.sla.lead_response_hours,
        acceptance_hours=params.sla.acceptance_hours,
    )
    sla_tables = [
        (
            f"Response-time SLA actuals ({params.sla.lead_response_hours:g}-hour response), "
            "by channel",
            _sla_frame(report.by_channel, params),
        )
    ]
    return ActualsView(
        notes=tuple(notes),
        figures=tuple(figures),
        tables=tuple(tables),
        sla_tables=tuple(sla_tables),
    )


def _sla_frame(frame: pd.DataFrame, params: QuarterParams) -> pd.DataFrame:
    """SLA columns for reading, channel labels from the parameters."""
    cols = [
        c
        for c in (
            "handoffs",
            "compliance",
            "median_hours",
            "p90_hours",
            "acceptance_rate",
            "recycle_rate",
        )
        if c in frame.columns
    ]
    out = frame[cols].copy()
    if out.index.name == "channel":
        out.index = [
            (params.channels[c].label if c in params.channels else str(c)) for c in out.index
        ]
        out.index.name = "channel"
    return out


# -- experiments ------------------------------------------------------------------------------


def experiment_impacts(
    params: QuarterParams, readouts: Any, *, trials: int, seed: int | None
) -> dict[str, Any]:
    """Revenue impact this quarter of each experiment's best variant (name -> RevenueImpact).

    Experiments whose stage is not in the funnel, or that cannot be simulated, are left
    out (their readout still shows).
    """
    from alignlib.errors import AlignError
    from alignlib.experiments import revenue_impact

    out = {}
    for r in readouts:
        try:
            out[r.name] = revenue_impact(
                params, r, r.comparison.best.variant_name, trials=trials, seed=seed
            )
        except (AlignError, ValueError):
            continue
    return out


def experiments_table(readouts: Any) -> pd.DataFrame:
    """One row per variant across experiments, in words and formatted numbers."""
    from alignlib.display import format_value

    rows = []
    for r in readouts:
        for name in r.comparison.names:
            c = r.comparison[name]
            rows.append(
                {
                    "experiment": pretty_name(r.name),
                    "stage": f"{short_label(r.stage)} → {short_label(r.next_stage or '')}",
                    "variant": name.replace("_", " "),
                    "control rate": format_value(c.rate_control, "pct1"),
                    "variant rate": format_value(c.rate_variant, "pct1"),
                    "lift": f"{c.relative_lift:+.1%}",
                    "lift interval": f"{c.relative_lift_ci[0]:+.1%} to {c.relative_lift_ci[1]:+.1%}",
                    "p-value": _p(c.p_value_adjusted),
                    "chance better": format_value(c.prob_beat_control, "pct1"),
                    "assignment (SRM)": "MISMATCH" if r.srm.flag else "ok",
                }
            )
    return as_frame(rows, "experiment")


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def experiment_detail_table(readout: Any) -> pd.DataFrame:
    """The full readout of one experiment, one column per arm comparison, in words."""
    from alignlib.display import format_value

    cols = {}
    for name in readout.comparison.names:
        c = readout.comparison[name]
        cols[name.replace("_", " ")] = {
            "control": f"{c.control[0]:,} of {c.control[1]:,} ({c.rate_control:.1%})",
            "variant": f"{c.variant[0]:,} of {c.variant[1]:,} ({c.rate_variant:.1%})",
            "difference": f"{c.diff * 100:+.2f} pts ({c.ci[0] * 100:+.2f} to {c.ci[1] * 100:+.2f})",
            "relative lift": (
                f"{c.relative_lift:+.1%} ({c.relative_lift_ci[0]:+.1%} to "
                f"{c.relative_lift_ci[1]:+.1%})"
            ),
            "test": f"{c.test}, p = {_p(c.p_value)}"
            + (
                f" (adjusted {_p(c.p_value_adjusted)}, {c.correction})"
                if c.correction and c.correction != "none"
                else ""
            ),
            "chance variant is better": format_value(c.prob_beat_control, "pct1"),
            "expected loss if shipped": f"{c.expected_loss * 100:.2f} pts",
        }
    frame = pd.DataFrame(cols)
    frame.index.name = "measure"
    return frame


def show_experiment(readout: Any, impact: Any | None, params: QuarterParams) -> None:
    """Display one experiment's section: readout, warnings, power, revenue impact."""
    from IPython.display import display as show

    from alignlib import display
    from alignlib.charts import experiments as echarts

    r = readout
    transition = f"{short_label(r.stage)} → {short_label(r.next_stage or '')}"
    show(display.heading(f"{pretty_name(r.name)} ({transition})"))
    if r.description:
        show(display.note(r.description))
    kind = (
        "danger" if r.srm.flag else "warning" if r.comparison.best.sequential.read_early else "ok"
    )
    show(display.callout(r.headline, kind, title="Decision"))
    show(display.table(experiment_detail_table(r), caption="Readout (95% intervals)"))
    display.show(echarts.posterior_chart(r))
    warnings = []
    warnings.append(("danger" if r.srm.flag else "ok", f"Sample ratio: {r.srm.message}"))
    seq = r.comparison.best.sequential
    if seq is not None and seq.read_early:
        warnings.append(("warning", f"Peeking: {seq.message}"))
    if r.detectable_effect is not None:
        warnings.append(("info", f"Power: {r.detectable_effect}"))
    if r.weeks_to_plan is not None:
        weeks = r.weeks_to_plan
        text = (
            "The planned sample is reached."
            if weeks <= 0
            else f"About {weeks:.1f} more weeks to reach the planned sample at this quarter's "
            f"planned {short_label(r.stage)} volume."
        )
        warnings.append(("info", f"Run time: {text}"))
    for note in r.notes:
        warnings.append(("info", note))
    show(display.flags(warnings, none_message=None))
    if r.funnel_depth is not None:
        display.show(echarts.funnel_depth_chart(r.funnel_depth))
    if impact is not None:
        show(display.callout(impact.message, "info", title="What it is worth this quarter"))
        display.show(echarts.revenue_impact_chart(impact))
    methods = r.comparison.best.methods
    if methods:
        text = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in dict(methods).items())
        show(display.note(f"Methods — {text}"))


# -- trends -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendData:
    """Every metric the trend report shows, computed once from the CRM export."""

    params: Any
    ingest: Any
    metrics: Mapping[str, Any]
    next_quarter: pd.Period

    @property
    def as_of(self) -> pd.Timestamp:
        return self.ingest.as_of

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(self.params.stage_names)

    @property
    def transitions(self) -> list[str]:
        s = self.stages
        return [f"{a}_to_{b}" for a, b in zip(s[:-1], s[1:], strict=True)]

    def channel_labels(self) -> dict[str, str]:
        return {k: (c.label or k) for k, c in self.params.channels.items()}


def trend_data(params: QuarterParams) -> TrendData:
    """Load the actuals named in the parameters and compute every trend metric.

    Raises
    ------
    InputError
        When the parameters name no actuals (a trend report needs history).
    """
    from alignlib import crm, metrics

    if params.actuals is None:
        raise InputError(
            f"{params.source_path}: the trend report needs `actuals:` (a CRM export) in the "
            "parameters file"
        )
    ingest = crm.load_actuals(params)
    spend = crm.load_spend(params.actuals.spend) if params.actuals.spend else None
    next_quarter = pd.Period(params.quarter, freq="Q") + 1
    data = metrics.summarise(
        ingest.table,
        ingest.as_of,
        spend=spend,
        sla_hours=params.sla.lead_response_hours,
        acceptance_hours=params.sla.acceptance_hours,
        forecast_quarter=next_quarter,
        confidence=0.8,
    )
    return TrendData(params, ingest, data, next_quarter)


def data_note(td: TrendData) -> str:
    """Where the numbers come from, in one sentence."""
    ing = td.ingest
    rejected = f"; {ing.rejected:,} rejected rows are left out" if ing.rejected else ""
    return (
        f"From the {ing.format} export {Path(ing.source).name} as of {td.as_of:%d %b %Y}: "
        f"{ing.accepted:,} contacts{rejected}. Names and emails never leave the export: "
        "every figure here is an aggregate."
    )


def funnel_table(td: TrendData) -> pd.DataFrame:
    """Lead to won: contacts reaching each stage, conversion, and marketing cost per stage."""
    f = td.metrics["funnel"]
    labels = td.params.stage_labels
    out = pd.DataFrame(
        {
            "label": [labels.get(s, s) for s in f.index],
            "reached": f["reached"],
            "conversion_to_next": f["conversion_to_next"],
            "conversion_from_lead": f["conversion_from_top"],
        },
        index=f.index,
    )
    costs = td.metrics.get("costs")
    if costs is not None:
        spend = float(costs.by_channel["spend"].sum())
        out["cost_per_contact"] = [spend / r if r else np.nan for r in out["reached"]]
    return out


def growth_table(td: TrendData) -> pd.DataFrame:
    """Latest complete month: volume per stage, growth month over month and year over year."""
    tr = td.metrics["trends"]
    monthly = tr.monthly
    complete = [p for p in monthly.index if p != tr.partial_month]
    last = complete[-1]
    labels = td.params.stage_labels
    rows = []
    for s in td.stages:
        rows.append(
            {
                "stage": labels.get(s, s),
                f"volume_{last:%b_%Y}": monthly.loc[last, s],
                "3_month_average": tr.rolling3.loc[last, s],
                "mom_growth": tr.mom.loc[last, s] if last in tr.mom.index else np.nan,
                "yoy_growth": tr.yoy.loc[last, s] if last in tr.yoy.index else np.nan,
            }
        )
    for t in td.transitions:
        rows.append(
            {
                "stage": " → ".join(short_label(x) for x in t.split("_to_")) + " rate",
                f"volume_{last:%b_%Y}": monthly.loc[last, t],
                "3_month_average": tr.rolling3.loc[last, t],
                "mom_growth": tr.mom.loc[last, t] if last in tr.mom.index else np.nan,
                "yoy_growth": tr.yoy.loc[last, t] if last in tr.yoy.index else np.nan,
            }
        )
    return as_frame(rows, "stage")


def growth_formats(frame: pd.DataFrame) -> dict[str, Any]:
    """Row-aware formats for :func:`growth_table` (volumes as counts, rates as %)."""
    from alignlib.display import format_value

    def vol(v: Any) -> str:
        if v is None or pd.isna(v):
            return "—"
        return format_value(v, "pct1") if 0 < abs(float(v)) < 1 else format_value(v, "count")

    volume_cols = [c for c in frame.columns if c.startswith("volume_") or c == "3_month_average"]
    return {**{c: vol for c in volume_cols}, "mom_growth": "pct1", "yoy_growth": "pct1"}


def quarterly_table(td: TrendData, quarters: int = 6) -> pd.DataFrame:
    """The last quarters: volume per stage and lead-to-won, quarter over quarter growth."""
    tr = td.metrics["trends"]
    q = tr.quarterly.tail(quarters)
    labels = td.params.stage_labels
    out = q[list(td.stages)].T.astype(float)
    out.columns = [f"{p}{'' if q.loc[p, 'complete'] else ' (to date)'}" for p in q.index]
    out.index = [labels.get(s, s) for s in out.index]
    out.index.name = "stage"
    last_complete = [p for p in q.index if q.loc[p, "complete"]]
    if last_complete and last_complete[-1] in tr.qoq.index:
        out["qoq_growth"] = [tr.qoq.loc[last_complete[-1], s] for s in td.stages]
    return out


def cohort_table(td: TrendData, months: int = 12) -> pd.DataFrame:
    """The last cohorts: leads created, customers so far, lead-to-won, maturing flag."""
    c = td.metrics["cohort_conversion"].frame.tail(months)
    won = td.stages[-1]
    first = td.stages[0]
    return pd.DataFrame(
        {
            "leads": c[first],
            "customers_so_far": c[won],
            "lead_to_customer": c[f"{first}_to_{won}"],
            "status": np.where(c["maturing"].fillna(False), "maturing", "complete"),
        },
        index=pd.Index([p.strftime("%b %Y") for p in c.index], name="cohort"),
    )


def velocity_table(td: TrendData) -> pd.DataFrame:
    """Days between stages: contacts measured, median, P90, mean."""
    v = td.metrics["velocity"].summary.copy()
    v.index = [" → ".join(short_label(x) for x in str(t).split("_to_")) for t in v.index]
    v.index.name = "step"
    return v.rename(
        columns={"n": "contacts", "p90": "p90_days", "median": "median_days", "mean": "mean_days"}
    )


def channel_trend_table(td: TrendData) -> pd.DataFrame:
    """By source: spend, leads, customers, cost per lead / MQL / customer and win rate."""
    costs = td.metrics.get("costs")
    wl = td.metrics["won_lost"].by_group
    labels = td.channel_labels()
    first, won = td.stages[0], td.stages[-1]
    if costs is None:
        base = pd.DataFrame(index=wl.index)
    else:
        by = costs.by_channel
        cols = {
            "spend": by["spend"],
            "leads": by[first],
            "customers": by[won],
            "cost_per_lead": by[f"cost_per_{first}"],
        }
        if len(td.stages) > 1 and f"cost_per_{td.stages[1]}" in by:
            cols[f"cost_per_{td.stages[1]}"] = by[f"cost_per_{td.stages[1]}"]
        cols["cac"] = by["cac"]
        base = pd.DataFrame(cols)
    base["win_rate"] = wl["win_rate"].reindex(base.index)
    base["avg_won_deal"] = wl["avg_won_deal"].reindex(base.index)
    base.index = [labels.get(c, str(c)) for c in base.index]
    base.index.name = "source"
    return base


def sla_owner_table(td: TrendData) -> pd.DataFrame:
    """SLA by owner with owners anonymised (Rep A, Rep B, ...): no names leave the export."""
    by_owner = td.metrics["sla"].by_owner
    frame = _sla_frame(by_owner, td.params).sort_values("handoffs", ascending=False)
    frame.index = pd.Index(
        [f"Rep {chr(65 + i)}" if i < 26 else f"Rep {i + 1}" for i in range(len(frame))],
        name="owner (anonymised)",
    )
    return frame


def sla_channel_table(td: TrendData) -> pd.DataFrame:
    """SLA compliance, response times, acceptance and recycling by source."""
    return _sla_frame(td.metrics["sla"].by_channel, td.params)


def forecast_table(td: TrendData) -> pd.DataFrame:
    """Next quarter's forecast per stage with its interval, and the plan if known."""
    fc = td.metrics["forecast"]
    q = fc.quarter
    labels = td.params.stage_labels
    out = pd.DataFrame(
        {
            "forecast": q["forecast"],
            f"low_({fc.confidence:.0%}_range)": q["lower"],
            f"high_({fc.confidence:.0%}_range)": q["upper"],
        }
    )
    out = out.round().astype(int)
    out.index = [labels.get(s, s) for s in out.index]
    out.index.name = "stage"
    return out


def forecast_method(td: TrendData) -> str:
    """The forecasting method, named once for the reader."""
    methods = sorted(set(td.metrics["forecast"].method.values()))
    return (
        f"Forecast of {td.next_quarter} from monthly history with statsmodels exponential "
        f"smoothing ({', '.join(methods)}); ranges are {td.metrics['forecast'].confidence:.0%} "
        "prediction intervals."
    )
