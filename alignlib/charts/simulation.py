"""Charts of the Monte Carlo funnel: revenue distribution against the target, tornado of
what moves P(hit), and the confidence-sized plan beside the point plan.

Each function takes a result from :mod:`alignlib.simulation` and returns a
:class:`matplotlib.figure.Figure`; nothing here computes a statistic beyond
reading quantiles off the simulated trials.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from alignlib.charts._format import (
    ACCENT,
    MARKETING,
    NEUTRAL,
    SALES,
    WARN,
    currency_axis,
    money,
    new_figure,
    percent_axis,
    thousands_axis,
)
from alignlib.simulation import ConfidencePlan, SensitivityResult, SimulationResult


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
        title or f"Chance of hitting {money(target, currency)}: {p_hit:.0%}", width=8.5
    )
    lo, hi = np.quantile(revenue, [0.001, 0.999])
    lo, hi = min(lo, target), max(hi, target)
    pad = 0.03 * (hi - lo or 1.0)
    counts, edges = np.histogram(revenue, bins=bins, range=(lo - pad, hi + pad))
    share = counts / result.trials
    centers = (edges[:-1] + edges[1:]) / 2
    colors = [ACCENT if c >= target else NEUTRAL for c in centers]
    ax.bar(centers, share, width=np.diff(edges), color=colors, alpha=0.75, linewidth=0)
    ax.axvspan(q["P10"], q["P90"], color=MARKETING, alpha=0.08, label="P10-P90")
    ax.axvline(q["P50"], color=MARKETING, linestyle="--", linewidth=1.2, label="median (P50)")
    ax.axvline(target, color=WARN, linewidth=2, label=f"target {money(target, currency)}")
    ax.text(
        0.99,
        0.95,
        f"P(hit) {p_hit:.1%}\nP10 {money(q['P10'], currency)} · "
        f"P50 {money(q['P50'], currency)} · P90 {money(q['P90'], currency)}\n"
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
    ax.legend(loc="upper left", frameon=False, fontsize=9)
    return fig


def tornado_chart(result: SensitivityResult, title: str | None = None) -> Figure:
    """P(hit) when each input sits at its low and its high value, largest effect on top."""
    rows = list(result.rows)[::-1]  # barh draws bottom-up; largest effect at the top
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
    for yi, lo, hi in zip(y, low, high, strict=True):
        ax.text(min(lo, hi), yi, f"{min(lo, hi):.0%} ", ha="right", va="center", fontsize=9)
        ax.text(max(lo, hi), yi, f" {max(lo, hi):.0%}", ha="left", va="center", fontsize=9)
    ax.set_yticks(y, [f"{r['input']}\n({r['how']})" for r in rows], fontsize=8.5)
    percent_axis(ax, "x")
    ax.set_xlim(max(0.0, min(low.min(), base) - 0.08), min(1.0, max(high.max(), base) + 0.08))
    ax.set_xlabel(f"P(hit) (base {base:.0%})")
    ax.set_ylabel("Input")
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    return fig


def plan_comparison_chart(plan: ConfidencePlan, title: str | None = None) -> Figure:
    """Volume per stage: the point-estimate plan beside the plan sized for confidence."""
    frame = plan.to_frame()
    fig, ax = new_figure(
        title
        or f"Plan for {plan.confidence:.0%} confidence vs the point estimate "
        f"(P(hit) {plan.point_p_hit:.0%} -> {plan.p_hit:.0%})",
        width=8.5,
    )
    x = np.arange(len(frame))
    width = 0.38
    ax.bar(x - width / 2, frame["point_plan"], width, color=NEUTRAL, label="point-estimate plan")
    ax.bar(
        x + width / 2,
        frame["confidence_plan"],
        width,
        color=ACCENT,
        label=f"sized for {plan.confidence:.0%} confidence",
    )
    for xi, value in zip(x, frame["confidence_plan"], strict=True):
        ax.text(xi + width / 2, value, f"{value:,.0f}", ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    thousands_axis(ax, "y")
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda _v, _p: ""))
    ax.set_xticks(x, [str(s) for s in frame.index])
    ax.set_xlabel("Stage")
    ax.set_ylabel("Volume per quarter (log scale)")
    ax.legend(loc="upper right", frameon=False, fontsize=9)
    return fig
