"""Charts of the quarter plan: reverse funnel, monthly volumes, budget, coverage, capacity.

Each function takes a :class:`alignlib.planning.QuarterPlan` (or a small table) and
returns a :class:`matplotlib.figure.Figure`; nothing here computes a plan.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from alignlib.charts._format import (
    ACCENT,
    MARKETING,
    NEUTRAL,
    PALETTE,
    SALES,
    WARN,
    chart,
    chart_groups,
    currency_axis,
    legend_outside,
    log_axis,
    month_ticks,
    new_figure,
    percent_axis,
    thousands_axis,
)
from alignlib.format import count, money_compact, pct, ratio, stage_label
from alignlib.planning import QuarterPlan


def _owner_colour(owner: str | None) -> str:
    return MARKETING if owner == "marketing" else SALES if owner == "sales" else NEUTRAL


def _quarter_months(plan: QuarterPlan) -> pd.PeriodIndex:
    q = pd.Period(plan.quarter, freq="Q")
    return pd.period_range(q.asfreq("M", "start"), q.asfreq("M", "end"), freq="M")


def _title_suffix(plan: QuarterPlan) -> str:
    return f" — {plan.scenario}" if plan.scenario else ""


@chart
def reverse_funnel_chart(plan: QuarterPlan, owners: Mapping[str, str] | None = None) -> Figure:
    """Volume each stage must reach this quarter, top of the funnel first.

    Parameters
    ----------
    plan : QuarterPlan
    owners : mapping, optional
        Stage -> ``marketing`` or ``sales``; colours the bars by the team that owns them.

    Returns
    -------
    Figure
    """
    stages = list(plan.funnel.stages)
    required = np.asarray(plan.funnel.required, dtype=float)
    labels = [plan.stage_labels.get(s, s) for s in stages]
    fig, ax = new_figure(
        f"What the {money_compact(plan.target, plan.currency)} target needs, stage by stage"
        + _title_suffix(plan),
        height=0.55 * len(stages) + 1.6,
    )
    colours = [_owner_colour((owners or {}).get(s)) for s in stages]
    y = np.arange(len(stages))[::-1]
    ax.barh(y, required, color=colours, height=0.65)
    log_axis(ax, "x")
    ax.set_yticks(y, labels)
    ax.set_xlim(max(0.8, required.min() / 2), required.max() * 4)
    ax.set_xlabel("Volume needed this quarter (log scale: each gridline is 10x)")
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", alpha=0.3)
    rates = [*plan.funnel.rates, None]
    for yi, value, rate in zip(y, required, rates, strict=True):
        text = count(value)
        if rate is not None:
            text += f"   ({pct(rate)} convert to next)"
        ax.text(value * 1.08, yi, text, va="center", fontsize=10)
    if owners:
        legend_outside(
            fig,
            [],
            extra={  # only the teams that own a stage here
                name: Patch(color=_owner_colour(owner), label=name)
                for owner, name in (("marketing", "Marketing"), ("sales", "Sales"))
                if owner in set(owners.values())
            },
        )
    return fig


@chart
def monthly_leads_chart(plan: QuarterPlan) -> Figure:
    """New leads needed per month, stacked by channel; months before the quarter marked.

    Leads for a December close must arrive months earlier (the stage lags), so
    the bars start before the quarter does.
    """
    leads = plan.monthly[plan.funnel.stages[0]]
    shares = plan.channels["share"]
    labels = plan.channels["label"]
    if shares.empty:  # no channels: one bar of all leads
        shares, labels = pd.Series({"all": 1.0}), pd.Series({"all": "All channels"})
    shares, labels = chart_groups(shares, dict(labels))  # the plan's table keeps them all
    fig, ax = new_figure(f"New leads needed per month, by channel{_title_suffix(plan)}")
    x = np.arange(len(leads))
    bottom = np.zeros(len(leads))
    for i, (channel, share) in enumerate(shares.items()):
        values = leads.to_numpy() * float(share)
        ax.bar(x, values, bottom=bottom, color=PALETTE[i % len(PALETTE)], label=labels[channel])
        bottom += values
    for xi, total in zip(x.tolist(), bottom, strict=True):
        if total > 0:
            ax.text(xi, total, count(total), ha="center", va="bottom", fontsize=9)
    month_ticks(ax, leads.index, fontsize=9)
    quarter = set(_quarter_months(plan))
    before = [i for i, p in enumerate(leads.index) if p not in quarter and p < min(quarter)]
    if before:
        ax.axvspan(-0.5, max(before) + 0.5, color="#edf2f7", zorder=0)
        ax.text(
            -0.4,
            0.99,  # the top of the axes (x in months), above every bar and its label
            "before the quarter starts",
            va="top",
            fontsize=9,
            color=NEUTRAL,
            transform=ax.get_xaxis_transform(),
        )
    ax.set_ylabel("New leads")
    ax.set_xlabel("Month the leads must arrive")
    thousands_axis(ax)
    legend_outside(fig, ax)
    ax.set_ylim(0, bottom.max() * 1.25 if bottom.max() > 0 else 1)
    return fig


@chart
def monthly_stages_chart(plan: QuarterPlan, owners: Mapping[str, str] | None = None) -> Figure:
    """Volume entering each stage per month: one small panel per stage."""
    stages = list(plan.funnel.stages)
    monthly = plan.monthly
    ncols = 3
    nrows = int(np.ceil(len(stages) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(10, 2.6 * nrows + 0.6), layout="constrained", squeeze=False
    )
    fig.suptitle(
        f"When each stage's volume must happen{_title_suffix(plan)}",
        x=0.01,
        ha="left",
        fontsize=13,
        fontweight="bold",
    )
    quarter = set(_quarter_months(plan))
    for ax, stage in zip(axes.flat, stages, strict=False):
        values = monthly[stage].to_numpy()
        colours = [
            _owner_colour((owners or {}).get(stage)) if p in quarter else "#a0aec0"
            for p in monthly.index
        ]
        ax.bar(np.arange(len(values)), values, color=colours)
        ax.set_title(plan.stage_labels.get(stage, stage), fontsize=11, loc="left")
        month_ticks(ax, monthly.index, most=6)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
        thousands_axis(ax)
    for ax in list(axes.flat)[len(stages) :]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel("Entering the stage")
    fig.text(0.99, 0.005, "grey: months before the quarter", ha="right", fontsize=8, color=NEUTRAL)
    return fig


@chart
def budget_chart(plan: QuarterPlan) -> Figure:
    """Marketing budget by channel, with each channel's cost per customer (CAC).

    Raises
    ------
    ValueError
        When the budget is unknown (no channels, or a channel without a cost per lead).
    """
    if np.isnan(plan.budget):
        raise ValueError("the plan's budget is unknown: a channel has no cost per lead")
    ch = plan.channels.sort_values("budget")
    fig, ax = new_figure(
        f"Budget by channel: {money_compact(plan.budget, plan.currency)} in total{_title_suffix(plan)}",
        height=0.5 * len(ch) + 1.6,
    )
    y = np.arange(len(ch))
    ax.barh(y, ch["budget"], color=MARKETING, height=0.6)
    ax.set_yticks(y, ch["label"])
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", alpha=0.3)
    currency_axis(ax, "x", plan.currency)
    ax.set_xlabel("Budget for the planned leads")
    for yi, (_, row) in zip(y.tolist(), ch.iterrows(), strict=True):
        ax.text(
            row["budget"],
            yi,
            f"  {money_compact(row['budget'], plan.currency)}  ·  {count(row['leads'])} leads at "
            f"{money_compact(row['cost_per_lead'], plan.currency)}  ·  CAC {money_compact(row['cac'], plan.currency)}",
            va="center",
            fontsize=9,
        )
    ax.set_xlim(0, ch["budget"].max() * 1.9)
    return fig


@chart
def coverage_chart(plan: QuarterPlan) -> Figure:
    """Pipeline coverage: the target multiple, the plan's, and what the win rate implies."""
    cov = plan.coverage
    planned = cov.planned_pipeline / plan.target if plan.target else 0.0
    items = [
        (f"Coverage target ({ratio(cov.coverage_target)})", cov.coverage_target, NEUTRAL),
        (
            f"Implied by the {pct(cov.win_rate)} win rate",
            cov.implied_coverage,
            WARN if cov.target_below_implied else ACCENT,
        ),
        ("Pipeline in this plan", planned, MARKETING),
    ]
    fig, ax = new_figure(f"Pipeline coverage at {cov.stage} stage{_title_suffix(plan)}", height=2.8)
    y = np.arange(len(items))[::-1]
    ax.barh(y, [v for _, v, _ in items], color=[c for _, _, c in items], height=0.6)
    ax.set_yticks(y, [t for t, _, _ in items])
    for yi, (_, v, _) in zip(y, items, strict=True):
        ax.text(
            v,
            yi,
            f"  {ratio(v)}  ({money_compact(v * plan.target, plan.currency)})",
            va="center",
            fontsize=10,
        )
    ax.axvline(1.0, color=NEUTRAL, lw=1, ls=":")
    ax.set_xlim(0, max(v for _, v, _ in items) * 1.45)
    ax.set_xlabel("Pipeline as a multiple of the bookings target")
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


@chart
def capacity_chart(plan: QuarterPlan) -> Figure:
    """Sales capacity: reps needed vs available, and hand-offs vs SLA follow-up capacity.

    Raises
    ------
    ValueError
        When the plan has no capacity check (no ``capacity`` section).
    """
    cap = plan.capacity
    if cap is None:
        raise ValueError("the plan has no capacity check: the parameters have no capacity")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
    fig.suptitle(
        f"Can sales work the plan?{_title_suffix(plan)}",
        x=0.01,
        ha="left",
        fontsize=13,
        fontweight="bold",
    )
    short = cap.reps_needed > cap.reps
    ax1.bar(
        ["Reps on the team", "Reps the plan needs"],
        [cap.reps, cap.reps_needed],
        color=[NEUTRAL, WARN if short else ACCENT],
    )
    ax1.set_title(
        f"Busiest month: {count(cap.peak_opportunities_per_month)} new opportunities",
        fontsize=10,
        loc="left",
    )
    ax1.set_ylabel("Account executives")
    over = cap.exceeds_followup_capacity
    ax2.bar(
        [f"Peak {stage_label(cap.handoff_stage)}s / month", "Answerable within SLA"],
        [cap.peak_handoffs_per_month, cap.followup_capacity_per_month],
        color=[WARN if over else MARKETING, NEUTRAL],
    )
    title = (
        "Follow-up capacity (no SLA in the parameters)"
        if np.isnan(cap.sla_hours)
        else f"Follow-up within the {cap.sla_hours:g}-hour SLA"
    )
    ax2.set_title(title, fontsize=10, loc="left")
    ax2.set_ylabel("Contacts per month")
    thousands_axis(ax2)
    for ax in (ax1, ax2):
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
        for patch in ax.patches:
            ax.text(
                patch.get_x() + patch.get_width() / 2,
                patch.get_height(),
                count(patch.get_height()),
                ha="center",
                va="bottom",
                fontsize=10,
            )
        ax.set_ylim(0, max(p.get_height() for p in ax.patches) * 1.2 or 1)
    return fig


@chart
def scenarios_chart(table: pd.DataFrame, currency: str = "USD") -> Figure:
    """Chance of hitting target for each scenario: with the base plan's leads, and re-planned.

    Parameters
    ----------
    table : DataFrame
        One row per scenario (index), with columns ``p_hit`` (at the scenario's own
        plan), ``budget`` and, optionally, ``p_hit_base_plan`` (at the base plan's leads).
    currency : str
        ISO code for the budget labels.
    """
    fig, ax = new_figure(
        "Scenarios: chance of hitting target, as planned and re-planned", height=3.8
    )
    x = np.arange(len(table))
    has_base = "p_hit_base_plan" in table.columns
    width = 0.38 if has_base else 0.6
    if has_base:
        ax.bar(
            x - width / 2,
            table["p_hit_base_plan"],
            width,
            color=NEUTRAL,
            label="with the base plan's leads",
        )
        for xi, v in zip(x, table["p_hit_base_plan"], strict=True):
            ax.text(xi - width / 2, v + 0.02, pct(v), ha="center", va="bottom", fontsize=9)
    offset = width / 2 if has_base else 0.0
    ax.bar(x + offset, table["p_hit"], width, color=MARKETING, label="re-planned for the scenario")
    for xi, (_, row) in zip(x, table.iterrows(), strict=True):
        ax.text(
            xi + offset,
            row["p_hit"] + 0.02,
            f"{pct(row['p_hit'])}\nbudget {money_compact(row['budget'], currency)}",
            ha="center",
            va="bottom",
            fontsize=9,
        )
    ax.set_xticks(x, [stage_label(str(i)) for i in table.index])
    ax.set_ylim(0, 1.18)
    percent_axis(ax)
    ax.set_ylabel("Chance of hitting target")
    legend_outside(fig, ax)
    return fig


# -- the odds of hitting the plan (Monte Carlo) ---------------------------------------------


@chart
def fan_chart(fan: pd.DataFrame, target: float, currency: str = "USD") -> Figure:
    """Bookings outcomes (P10-P90 fan, median line) against the number of leads planned.

    Parameters
    ----------
    fan : DataFrame
        Indexed by planned leads, with columns ``P10``, ``P25``, ``P50``, ``P75``,
        ``P90`` (bookings) and ``p_hit``; optional boolean column ``marker`` and string
        column ``label`` name points to annotate (e.g. the point and confidence plans).
    target : float
    currency : str
    """
    x = fan.index.to_numpy(dtype=float)
    fig, ax = new_figure("More leads, better odds: the range of bookings for each lead volume")
    ax.fill_between(
        x,
        fan["P10"],
        fan["P90"],
        color=MARKETING,
        alpha=0.15,
        label="likely range (pessimistic to optimistic)",
    )
    ax.fill_between(
        x, fan["P25"], fan["P75"], color=MARKETING, alpha=0.30, label="middle half of quarters"
    )
    ax.plot(x, fan["P50"], color=MARKETING, lw=2, label="most likely")
    ax.axhline(
        target, color=WARN, lw=1.5, ls="--", label=f"target {money_compact(target, currency)}"
    )
    if "label" in fan.columns:
        for leads, row in fan[fan["label"].fillna("") != ""].iterrows():
            ax.axvline(float(leads), color=NEUTRAL, lw=1, ls=":")
            ax.text(
                float(leads),
                ax.get_ylim()[0],
                f" {row['label']}",
                fontsize=9,
                va="bottom",
                color=NEUTRAL,
            )
    currency_axis(ax, "y", currency)
    thousands_axis(ax, "x")
    ax.set_xlabel("Leads planned for the quarter")
    ax.set_ylabel("Bookings inside the quarter")
    legend_outside(fig, ax)
    return fig


@chart
def actual_vs_plan_chart(
    monthly: pd.DataFrame,
    stage_labels: Mapping[str, str] | None = None,
    *,
    stages: tuple[str, ...] | None = None,
    as_of: pd.Timestamp | None = None,
) -> Figure:
    """Actual against plan by month for a few stages (bars: plan; dots: actual).

    Parameters
    ----------
    monthly : DataFrame
        Index (month, stage) with ``plan`` and ``actual`` columns
        (:class:`alignlib.metrics.ActualToPlan` ``.monthly``).
    stage_labels : mapping, optional
    stages : tuple of str, optional
        Stages to show (default: the first, the pipeline-like fifth, and the last).
    as_of : Timestamp, optional
        Date of the export; the month it falls in is marked as partial.
    """
    all_stages = list(dict.fromkeys(monthly.index.get_level_values(1)))
    if stages is None:
        picks = [all_stages[0], all_stages[len(all_stages) // 2], all_stages[-1]]
        stages = tuple(dict.fromkeys(picks))
    fig, axes = plt.subplots(
        1, len(stages), figsize=(3.4 * len(stages) + 0.6, 3.4), layout="constrained", squeeze=False
    )
    fig.suptitle("Actual against plan, by month", x=0.01, ha="left", fontsize=13, fontweight="bold")
    for ax, stage in zip(axes[0], stages, strict=True):
        part = monthly.xs(stage, level=1)
        x = np.arange(len(part))
        ax.bar(x, part["plan"], color="#cbd5e0", label="plan")
        actual = part["actual"].astype(float)
        if as_of is not None:
            # Months after the export have no actuals yet (not zero), and the
            # current month is compared with the plan to date.
            stamp = pd.Timestamp(as_of)
            current = stamp.to_period("M")
            actual = actual.where(part.index <= current)
            for xi, p in zip(x, part.index, strict=True):
                if p == current:
                    share = stamp.day / current.days_in_month
                    ax.bar(
                        xi,
                        part.loc[p, "plan"] * share,
                        color="#a0aec0",
                        width=0.8,
                        label="plan to date",
                    )
        ax.plot(x, actual, "o-", color=MARKETING, label="actual")
        month_ticks(ax, part.index, most=6)
        ax.set_title((stage_labels or {}).get(stage, stage), fontsize=11, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
        thousands_axis(ax)
        if as_of is not None:
            current = pd.Timestamp(as_of).to_period("M")
            for xi, p in zip(x, part.index, strict=True):
                if p == current:
                    ax.text(xi, 0, "to date", ha="center", va="bottom", fontsize=7, color=NEUTRAL)
    axes[0, 0].set_ylabel("Contacts entering the stage")
    legend_outside(fig, axes[0, 0])
    return fig
