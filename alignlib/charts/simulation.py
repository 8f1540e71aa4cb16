"""Charts of the Monte Carlo funnel: revenue against the target, and what moves P(hit).

Each function takes a result from :mod:`alignlib.simulation` and returns a
:class:`matplotlib.figure.Figure`; nothing here computes a statistic beyond
reading quantiles off the simulated trials.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from matplotlib.figure import Figure

from alignlib.charts._format import (
    ACCENT,
    MARKETING,
    NEUTRAL,
    SALES,
    WARN,
    chart,
    currency_axis,
    legend_outside,
    new_figure,
    percent_axis,
)
from alignlib.format import money_compact, pct
from alignlib.simulation import SensitivityResult, SimulationResult


@chart
def revenue_distribution_chart(
    result: SimulationResult,
    target: float,
    currency: str = "USD",
    title: str | None = None,
    bins: int = 80,
) -> Figure:
    """Distribution of in-quarter revenue over the simulated quarters, with the target.

    The P10-P90 band is shaded (the "fan"), the median and the target are marked, and the
    title states P(hit).
    """
    revenue = np.asarray(result.revenue)
    p_hit = result.p_hit(target)
    q = result.quantiles((0.1, 0.5, 0.9))
    fig, ax = new_figure(
        title or f"Chance of hitting {money_compact(target, currency)}: {pct(p_hit)}", width=8.5
    )
    lo, hi = np.quantile(revenue, [0.001, 0.999])
    lo, hi = min(lo, target), max(hi, target)
    pad = 0.03 * (hi - lo or 1.0)
    counts, edges = np.histogram(revenue, bins=bins, range=(lo - pad, hi + pad))
    share = counts / result.trials
    centers = (edges[:-1] + edges[1:]) / 2
    colors = [ACCENT if c >= target else NEUTRAL for c in centers]
    ax.bar(centers, share, width=np.diff(edges), color=colors, alpha=0.75, linewidth=0)
    ax.axvspan(
        q["P10"],
        q["P90"],
        color=MARKETING,
        alpha=0.08,
        label="likely range (pessimistic to optimistic)",
    )
    ax.axvline(q["P50"], color=MARKETING, linestyle="--", linewidth=1.2, label="most likely")
    ax.axvline(target, color=WARN, linewidth=2, label=f"target {money_compact(target, currency)}")
    ax.text(
        0.99,
        0.95,
        f"chance {pct(p_hit, 1)}\npessimistic {money_compact(q['P10'], currency)} · "
        f"most likely {money_compact(q['P50'], currency)} · "
        f"optimistic {money_compact(q['P90'], currency)}\n"
        f"{result.trials:,} simulated quarters",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=9,
        color=NEUTRAL,
    )
    currency_axis(ax, "x", currency)
    percent_axis(ax, "y", decimals=1)
    ax.set_xlabel("Bookings closing inside the quarter")
    ax.set_ylabel("Share of simulated quarters")
    legend_outside(fig, ax)
    return fig


@chart
def tornado_chart(
    result: SensitivityResult,
    title: str | None = None,
    *,
    which: Literal["all", "uncertainty", "levers"] = "all",
) -> Figure:
    """P(hit) when each input sits at its low and its high value, largest effect on top.

    Parameters
    ----------
    result : SensitivityResult
        From :func:`alignlib.simulation.sensitivity`.
    title : str, optional
        The chart's title.
    which : {"all", "uncertainty", "levers"}
        Every row, or only what we do not know (posterior P10/P90), or only what a plan
        can change (each input -/+ the swing): the two questions are not comparable.

    Returns
    -------
    matplotlib.figure.Figure
        The chart.
    """
    chosen = {
        "all": result.rows,
        "uncertainty": result.uncertainty_rows,
        "levers": result.lever_rows,
    }[which]
    rows = list(chosen)[::-1]  # barh draws bottom-up; largest effect at the top
    if not rows:
        rows = list(result.rows)[::-1]
    fig, ax = new_figure(
        title or "What moves the chance of hitting the target",
        width=8.5,
        height=max(3.0, 0.55 * len(rows) + 1.5),
    )
    ax.grid(axis="y", alpha=0.0)
    ax.grid(axis="x", alpha=0.3)
    base = result.base_p_hit
    y = np.arange(len(rows))
    low = np.array([r["p_hit_low"] for r in rows])
    high = np.array([r["p_hit_high"] for r in rows])
    ax.barh(y, low - base, left=base, color=SALES, alpha=0.85, label="input at its low value")
    ax.barh(y, high - base, left=base, color=MARKETING, alpha=0.85, label="input at its high value")
    ax.axvline(base, color=NEUTRAL, linewidth=1.2)
    for yi, lo, hi in zip(y.tolist(), low, high, strict=True):
        ax.text(min(lo, hi), yi, f"{pct(min(lo, hi))} ", ha="right", va="center", fontsize=9)
        ax.text(max(lo, hi), yi, f" {pct(max(lo, hi))}", ha="left", va="center", fontsize=9)
    ax.set_yticks(y, [f"{r['input']}\n({r['how']})" for r in rows], fontsize=8.5)
    percent_axis(ax, "x")
    ax.set_xlim(max(0.0, min(low.min(), base) - 0.08), min(1.0, max(high.max(), base) + 0.08))
    ax.set_xlabel(f"Chance of hitting target (as planned: {pct(base)})")
    ax.set_ylabel("Input")
    legend_outside(fig, ax)
    return fig
