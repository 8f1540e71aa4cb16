"""Charts of the annual plan: the year by quarter, the team month by month, the year's odds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from alignlib.charts._format import (
    ACCENT,
    MARKETING,
    NEUTRAL,
    PALETTE,
    SALES,
    WARN,
    chart,
    currency_axis,
    legend_outside,
    month_ticks,
    new_figure,
    thousands_axis,
)
from alignlib.docstrings import shared_doc
from alignlib.format import money_compact, pct

if TYPE_CHECKING:
    from alignlib.planning.annual import AnnualPlan

#: Every chart of the annual plan draws one plan.
_ANNUAL_CHART = shared_doc(
    parameters={"plan : AnnualPlan": "The annual plan."},
    returns={"matplotlib.figure.Figure": "The chart."},
)


@chart
@_ANNUAL_CHART
def year_chart(plan: AnnualPlan) -> Figure:
    """Per quarter: the target (the demand plan books it), and what the team can carry."""
    fig, ax = new_figure(f"Target and sales capacity by quarter, {plan.year}")
    labels = [q.quarter for q in plan.quarters]
    x = np.arange(len(labels))
    targets = [q.target for q in plan.quarters]
    caps = [q.bookings_capacity for q in plan.quarters]
    width = 0.38 if caps[0] is not None else 0.6
    offset = width / 2 if caps[0] is not None else 0.0
    ax.bar(x - offset, targets, width, color=MARKETING, label="Target (the demand plan books it)")
    for xi, t in zip(x.tolist(), targets, strict=True):
        ax.text(
            xi - offset, t, money_compact(t, plan.currency), ha="center", va="bottom", fontsize=9
        )
    if caps[0] is not None:
        values = [float(c or 0.0) for c in caps]
        ax.bar(x + offset, values, width, color=SALES, label="Sales capacity (planned team)")
        for xi, c, q in zip(x.tolist(), values, plan.quarters, strict=True):
            colour = WARN if (q.gap or 0) > 0 else ACCENT
            ax.text(xi + offset, c, money_compact(c, plan.currency), ha="center", va="bottom",
                    fontsize=9, color=colour)  # fmt: skip
        if plan.monthly_team is not None and plan.hires_needed:
            with_needed = plan.monthly_team["capacity_with_needed"]
            per_quarter = [
                float(with_needed[with_needed.index.quarter == n].sum()) for n in (1, 2, 3, 4)
            ]
            ax.scatter(x + offset, per_quarter, marker="_", s=900, color=NEUTRAL, zorder=3,
                       label="Capacity with the hires needed")  # fmt: skip
    ax.set_xticks(x, labels)
    ax.set_ylabel("Bookings")
    currency_axis(ax, currency=plan.currency)
    top = max([*targets, *[float(c or 0.0) for c in caps]])
    ax.set_ylim(0, top * 1.3 if top > 0 else 1)
    legend_outside(fig, ax)
    return fig


@chart
@_ANNUAL_CHART
def team_chart(plan: AnnualPlan) -> Figure:
    """Ramped reps month by month: the planned team, and with the hires needed.

    Drawn from the plan's sales team (``monthly_team``); a plan without one gets a chart
    that says so.
    """
    fig, ax = new_figure(f"Ramped reps by month, {plan.year}")
    team = plan.monthly_team
    if team is None:
        ax.text(0.5, 0.5, "No sales team in the parameters", ha="center", va="center",
                transform=ax.transAxes, color=NEUTRAL)  # fmt: skip
        ax.set_axis_off()
        return fig
    x = np.arange(len(team))
    ax.plot(
        x,
        team["ramped_reps"],
        color=SALES,
        marker="o",
        label="Planned team (after ramp and attrition)",
    )
    if plan.hires_needed:
        ax.plot(x, team["ramped_reps_with_needed"], color=ACCENT, marker="o", linestyle="--",
                label="With the hires needed")  # fmt: skip
    month_ticks(ax, team.index, fontsize=9)
    ax.set_ylabel("Full-productivity reps")
    top = float(team[["ramped_reps", "ramped_reps_with_needed"]].to_numpy().max())
    ax.set_ylim(0, top * 1.25 if top > 0 else 1)
    legend_outside(fig, ax)
    return fig


@chart
@_ANNUAL_CHART
def lead_arrivals_chart(plan: AnnualPlan) -> Figure:
    """Leads that must arrive each month, stacked by the quarter whose bookings they make."""
    fig, ax = new_figure(f"New leads needed per month, by the quarter they book in, {plan.year}")
    frame = plan.lead_arrivals
    x = np.arange(len(frame))
    bottom = np.zeros(len(frame))
    for i, column in enumerate(frame.columns):
        values = frame[column].to_numpy(dtype=float)
        ax.bar(x, values, bottom=bottom, color=PALETTE[i % len(PALETTE)], label=f"for {column}")
        bottom += values
    month_ticks(ax, frame.index, fontsize=9)
    ax.set_ylabel("New leads")
    thousands_axis(ax)
    ax.set_ylim(0, bottom.max() * 1.25 if len(bottom) and bottom.max() > 0 else 1)
    legend_outside(fig, ax)
    return fig


@chart
@_ANNUAL_CHART
def year_odds_chart(plan: AnnualPlan) -> Figure:
    """The simulated year's bookings against its target."""
    fig, ax = new_figure(
        f"Simulated bookings of {plan.year}: {pct(plan.p_hit_year)} reach the target"
    )
    values = np.asarray(plan.year_bookings, dtype=float)
    ax.hist(values, bins=60, color=MARKETING, alpha=0.8)
    ax.axvline(
        plan.target,
        color=WARN,
        linewidth=2,
        label=f"Target {money_compact(plan.target, plan.currency)}",
    )
    if plan.bookings_capacity is not None:
        ax.axvline(plan.bookings_capacity, color=SALES, linewidth=2, linestyle="--",
                   label=f"Team capacity {money_compact(plan.bookings_capacity, plan.currency)}")  # fmt: skip
    ax.set_xlabel("Bookings in the year")
    ax.set_ylabel("Simulated years")
    currency_axis(ax, axis="x", currency=plan.currency)
    legend_outside(fig, ax)
    return fig
