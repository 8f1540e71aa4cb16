"""The quarterly plan report: plan, monthly, channel and cost tables, simulation views.

Also the scenarios, the what-if view and actual-to-plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from alignlib.docstrings import PARAMS_DOC
from alignlib.format import chance, count, format_value, money_compact, pct, stage_label
from alignlib.reports.common import (
    as_frame,
    handoff_stage,
    rejected_note,
    sla_frame,
)

if TYPE_CHECKING:
    from alignlib.params import QuarterParams
    from alignlib.planning import QuarterPlan


@PARAMS_DOC
def plan_omissions(params: QuarterParams, plan: QuarterPlan) -> dict[str, str]:
    """The plan report's sections that have no inputs, each with the one line that says so.

    Parameters
    ----------
    plan : QuarterPlan
        Their plan.

    Returns
    -------
    dict
        Section -> reason, for the sections left out: ``channels`` (no channels),
        ``budget`` (a channel without a cost), ``capacity``, ``sla``.
    """
    out = {}
    if plan.channels.empty:
        out["channels"] = (
            "No channels in the parameters or the actuals: leads by channel, budget and CAC "
            "are left out."
        )
        out["budget"] = out["channels"]
    elif np.isnan(plan.budget):
        out["budget"] = (
            "No channel costs in the parameters or a spend file: budget and CAC are left out."
        )
    if plan.capacity is None:
        out["capacity"] = "No capacity section: the capacity check is left out."
    if params.sla is None:
        out["sla"] = "No sla section: the service levels both teams signed up to are left out."
    return out


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


def monthly_table(plan: QuarterPlan, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Volume entering each stage per month (rounded up), stages as rows, months as columns.

    Months before the quarter are marked ``(before)`` so readers see the lead time; with
    the actuals' data date ``as_of``, months over before it are marked ``(past)``: their
    leads can no longer arrive.
    """
    table = plan.monthly_table()
    first = pd.Period(plan.quarter, freq="Q").asfreq("M", "start")
    current = None if as_of is None else pd.Timestamp(as_of).to_period("M")

    def label_of(label: str, period: pd.Period) -> str:
        if current is not None and period < current:
            return f"{label} (past)"
        return f"{label} (before)" if period < first else label

    labels = [
        label_of(label, period)
        for label, period in zip(table.index, plan.monthly.index, strict=True)
    ]
    out = table.T
    out.columns = labels
    out.index = [plan.stage_labels.get(s, s) for s in out.index]
    out.index.name = "stage"
    out["quarter total"] = out.sum(axis=1)
    return out


def channel_table(plan: QuarterPlan) -> pd.DataFrame:
    """Per channel: share, leads, cost per lead, budget, customers and CAC.

    Without a cost for every channel the budget is unknown: the cost columns are
    left out. Without channels the table has only its total row.
    """
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
            "cost_per_lead": [plan.costs.get(f"cost_per_{plan.funnel.stages[0]}")],
            "budget": [plan.budget],
            "customers": [out["customers"].sum()],
            "cac": [plan.cac],
        },
        index=["total"],
    )
    if np.isnan(plan.budget):
        out, total = (f.drop(columns=["cost_per_lead", "budget", "cac"]) for f in (out, total))
    return pd.concat([out, total]) if len(out) else total


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
    """The service levels both teams signed up to, as a small table.

    Empty without an ``sla`` section; the follow-up capacity row needs ``capacity``.
    """
    sla, cap = params.sla, params.capacity
    rows = []
    if sla is not None:
        rows += [
            (
                "Lead response",
                f"{sla.lead_response_hours:g} hours",
                f"Sales makes first contact with every new {stage_label(handoff_stage(params))}.",
            ),
            (
                "Acceptance",
                f"{sla.acceptance_hours:g} hours",
                "Sales accepts or rejects (with a reason) each hand-off.",
            ),
        ]
    if sla is not None and cap is not None:
        rows.append(
            (
                "Follow-up capacity",
                f"{count(cap.responses_per_rep_per_day * cap.reps)} per day",
                f"{cap.reps} reps x {cap.responses_per_rep_per_day:g} responses a day.",
            )
        )
    return pd.DataFrame(rows, columns=["service level", "within", "meaning"]).set_index(
        "service level"
    )


def plan_reach_note(result: Any, plan: Any) -> str:
    """Whether the plan's own simulation books the target at the plan's leads, and why not.

    The reverse funnel sizes the leads so that, on average, their wins book the target;
    the timed simulation also moves deals across the quarter's edges: this quarter's leads
    that close outside it, and deals carried in from the leads of the quarters around it
    (those already arrived count at their actual volume). When the two differ by more than
    the Monte Carlo error, the note says by how much and how many deals each way.

    Parameters
    ----------
    result : SimulationResult
        The quarter simulated at the plan's leads.
    plan : QuarterPlan
        The plan.

    Returns
    -------
    str
        One or two sentences.
    """
    cur = plan.currency
    revenue = np.asarray(result.revenue, dtype=float)
    mean = float(revenue.mean())
    se = float(revenue.std(ddof=1) / math.sqrt(len(revenue))) if len(revenue) > 1 else 0.0
    gap = mean - plan.target
    head = (
        f"At the plan's {count(plan.funnel.leads)} leads the simulated quarter books "
        f"{money_compact(mean, cur)} on average"
    )
    if abs(gap) <= 3 * se or not result.has_lags:
        return f"{head}: the target, within the simulation's error ({money_compact(se, cur)})."
    deal = plan.avg_deal_size
    outside = float(np.mean(result.revenue_after + result.revenue_before)) / deal
    carried = float(np.mean(result.won_carried_in))
    side = "below" if gap < 0 else "above"
    return (
        f"{head}, {money_compact(abs(gap), cur)} ({pct(abs(gap) / plan.target, 1)}) {side} the "
        f"target. The plan counts on the quarter carrying in as many deals from the leads of "
        f"the quarters around it as its own leads close outside it; the simulation carries in "
        f"{carried:,.1f} deals (from the leads that actually arrived before the quarter, at "
        f"their volume) while {outside:,.1f} of this quarter's deals close outside it."
    )


def simulation_summary(result: Any, target: float, currency: str = "USD") -> pd.DataFrame:
    """Bookings and wins of the simulated quarters: mean, P10, P50, P90, formatted for reading.

    Returns
    -------
    DataFrame
        One row per measure; values are formatted strings (money or counts per row).
    """
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
                "Pessimistic (1 in 10 quarters is worse)": format_value(q[0], kind, currency),
                "Most likely (the middle quarter)": format_value(q[1], kind, currency),
                "Optimistic (1 in 10 is better)": format_value(q[2], kind, currency),
            }
        )
    rows.append(
        {
            "measure": "Chance of reaching the target",
            "average": format_value(float(np.mean(result.revenue >= target)), "pct"),
            "Pessimistic (1 in 10 quarters is worse)": "",
            "Most likely (the middle quarter)": "",
            "Optimistic (1 in 10 is better)": "",
        }
    )
    return as_frame(rows, "measure")


def target_sentence(plan: QuarterPlan, params: QuarterParams) -> str:
    """One sentence stating the quarter's target and what it means in deals and leads."""
    seg = "the whole company" if params.segment in ("all", "") else f"the {params.segment} segment"
    scen = f" (scenario: {plan.scenario})" if plan.scenario else ""
    budget = (
        ""
        if np.isnan(plan.budget)
        else f" and a marketing budget of {money_compact(plan.budget, plan.currency)}"
    )
    return (
        f"The {plan.quarter} bookings target for {seg}{scen} is "
        f"{format_value(plan.target, 'money', plan.currency)}: at an average deal of "
        f"{money_compact(plan.avg_deal_size, plan.currency)} that is {count(plan.funnel.wins)} "
        f"won deals, which needs {count(plan.funnel.leads)} new leads{budget}."
    )


def confidence_sentence(confidence_plan: Any, plan: QuarterPlan) -> str:
    """Plain words for the confidence-sized plan against the point plan."""
    c = confidence_plan
    return (
        f"Planning the point-estimate {count(plan.funnel.leads)} leads gives only a "
        f"{pct(c.point_p_hit)} chance of reaching the target. To be {pct(c.confidence)} sure, "
        f"plan for {count(c.leads)} leads ({c.extra_leads:+,.0f}, "
        f"{c.leads / max(plan.funnel.leads, 1) - 1:+.0%})."
    )


def confidence_table(confidence_plan: Any, params: QuarterParams) -> pd.DataFrame:
    """Point plan vs confidence-sized plan per stage, with stage labels."""
    frame = confidence_plan.to_frame()
    out = pd.DataFrame(
        {
            "label": [params.stage_labels.get(s, s) for s in frame.index],
            "point_plan": np.ceil(frame["point_plan"].to_numpy(dtype=float) - 1e-9),
            f"plan_for_a_{pct(confidence_plan.confidence)}_chance": np.ceil(
                frame["confidence_plan"].to_numpy(dtype=float) - 1e-9
            ),
        },
        index=frame.index,
    )
    out["extra"] = out.iloc[:, 2] - out["point_plan"]
    return out


def sensitivity_table(
    sens: Any, which: Literal["all", "uncertainty", "levers"] = "all"
) -> pd.DataFrame:
    """The sensitivity rows for reading: input, its low/base/high value, P(hit) low/high.

    Parameters
    ----------
    sens : SensitivityResult
        From :func:`alignlib.simulation.sensitivity`.
    which : {"all", "uncertainty", "levers"}
        Every row; what we do not know (each input at its posterior P10/P90); or what a
        plan can change (each input -/+ the swing). Kept apart on the page because a
        posterior range and a planning lever are not the same question.

    Returns
    -------
    pandas.DataFrame
        One row per input, largest swing in P(hit) first.
    """
    frame = {
        "all": sens.to_frame,
        "uncertainty": lambda: sens.uncertainty,
        "levers": lambda: sens.levers,
    }[which]()
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
                "chance if lower": format_value(row["p_hit_low"], "pct1"),
                "chance if higher": format_value(row["p_hit_high"], "pct1"),
                "swing in the chance": format_value(row["effect"], "pct1"),
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
                "reps_needed": (plan.capacity.reps_needed if plan.capacity is not None else np.nan),
                "capacity_flags": len(plan.capacity.messages) if plan.capacity is not None else 0,
                # Last: the one column that wraps, so the figures stay in view.
                "description": desc or "",
            }
        )
    return as_frame(rows, "scenario")


def whatif_view(
    params: QuarterParams, *, interactive: bool, trials: int = 5_000, seed: int | None = None
) -> Any:
    """The live panel in JupyterLab (``interactive=True``), the static table otherwise.

    The batch runs notebooks with ``interactive=False`` (papermill cannot show live
    widgets in HTML), so a rendered report gets the table of one-at-a-time changes.
    """
    from alignlib import display
    from alignlib.whatif import whatif_panel, whatif_table

    if interactive:
        return whatif_panel(params, trials=trials, seed=seed)

    table = whatif_table(params, trials=trials, seed=seed)
    if table["budget"].isna().all():  # a channel without a cost: the budget is unknown
        table = table.drop(columns="budget")
    return display.table(
        table,
        caption="What if one input changes by 10%? Leads and budget to still hit the target, "
        "and the chance of hitting it with the leads as planned",
        labels={"p_hit": "Chance with planned leads", "leads_needed": "Leads needed"},
        currency=params.currency,
    )


@dataclass(frozen=True)
class ActualsView:
    """What a report shows about actuals: notes, charts and formatted tables."""

    notes: tuple[str, ...] = ()
    figures: tuple[Any, ...] = ()
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()
    sla_tables: tuple[tuple[str, pd.DataFrame], ...] = ()
    sla_notes: tuple[str, ...] = ()


def actuals_view(params: QuarterParams, plan: QuarterPlan) -> ActualsView:
    """Actual-to-plan, pacing and SLA compliance from the CRM exports, when there are any.

    Returns an empty view with a note when the parameters name no actuals.
    """
    if params.actuals is None:
        return ActualsView(notes=("No actuals in the parameters file: plan only.",))
    import matplotlib.pyplot as plt

    from alignlib import metrics
    from alignlib.charts import plan as charts
    from alignlib.history.learning import read_actuals

    ingest = read_actuals(params)  # the plan has read it already
    as_of = ingest.as_of
    table = ingest.table
    notes = [
        f"Actuals from the {ingest.format} export {ingest.source_label} as of "
        f"{as_of:%d %b %Y}: {rejected_note(ingest)}."
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
    figure = charts.actual_vs_plan_chart(atp.monthly, labels, as_of=as_of)
    plt.close(figure)  # shown later by display.show; an open figure would show twice inline
    figures = [figure]
    won = params.stage_names[-1]
    if won in summary.index and summary.loc[won, "plan_total"] > 0:
        pace = summary.loc[won, "pacing"]
        if pd.notna(pace):
            notes.append(
                f"Won deals are pacing at {pct(pace)} of plan to date; at this pace the quarter "
                f"lands {count(summary.loc[won, 'projected'])} deals against "
                f"{count(summary.loc[won, 'plan_total'])} planned."
            )
    sla_tables, sla_notes = [], []
    if params.sla is not None:
        stage = handoff_stage(params)
        report = metrics.sla(
            table,
            as_of,
            params.sla.lead_response_hours,
            acceptance_hours=params.sla.acceptance_hours,
            handoff_stage=stage,
        )
        if report.summary.get("responded", 0) > 0:
            sla_tables.append(
                (
                    f"Response-time SLA actuals ({params.sla.lead_response_hours:g}-hour "
                    "response), by channel",
                    sla_frame(report.by_channel, params),
                )
            )
        else:
            sla_notes.append(
                f"No response dates in the export after {stage_label(stage)}: SLA actuals are "
                "left out."
            )
    return ActualsView(
        notes=tuple(notes),
        figures=tuple(figures),
        tables=tuple(tables),
        sla_tables=tuple(sla_tables),
        sla_notes=tuple(sla_notes),
    )


def hourly_capacity_table(plan: QuarterPlan) -> pd.DataFrame:
    """The hourly SLA check beside the monthly one, for reading (empty without it).

    Parameters
    ----------
    plan : QuarterPlan
        The plan; its ``capacity.hourly`` (:mod:`alignlib.planning.response_queue`) is shown.

    Returns
    -------
    pandas.DataFrame
        One row per figure (``value`` as text); empty without a capacity or an sla section.
    """
    cap = plan.capacity
    h = cap.hourly if cap is not None else None
    if cap is None or h is None:
        return pd.DataFrame(columns=["value"])
    label = stage_label(cap.handoff_stage)
    rows = [
        (f"{label}s in the busiest month", count(h.handoffs_per_month)),
        ("Monthly follow-up capacity (the monthly check)", count(cap.followup_capacity_per_month)),
        ("Working hours", h.working_week),
        (
            "Arrivals an hour: average, busiest hour",
            f"{h.arrivals_per_hour_average:.1f}, {h.arrivals_per_hour_peak:.1f} ({h.peak_hour})",
        ),
        (
            "Reps answering at any hour, answers an hour each",
            f"{h.on_duty or h.responders} of {h.responders}, {h.service_rate:g} "
            f"(busy {pct(h.utilisation)} of the time)",
        ),
        (
            f"Wait over {h.sla_hours:g} h at the busiest hour",
            chance(h.wait_exceeds_peak),
        ),
        ("Arriving outside working hours", pct(h.out_of_hours_share)),
        (
            f"Arriving {h.sla_hours:g} h or more before the next working hour",
            pct(h.out_of_hours_breach_share),
        ),
        (
            "Predicted compliance (target)",
            f"{pct(h.predicted_compliance)} ({pct(h.compliance_target)})",
        ),
        (
            "Reps needed for the target",
            count(h.reps_needed)
            if h.reps_needed is not None
            else f"none reach it (at most {pct(h.best_compliance)})",
        ),
    ]
    if h.responses_out_of_hours_share is not None:
        rows.append(
            ("First responses logged outside working hours", pct(h.responses_out_of_hours_share))
        )
    if h.check is not None:
        rows.append(
            (
                f"Against the export ({h.check.months}): predicted, observed",
                f"{pct(h.check.predicted)}, {pct(h.check.observed)}",
            )
        )
    return pd.DataFrame(rows, columns=["figure", "value"]).set_index("figure")
