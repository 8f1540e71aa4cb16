"""Charts of the funnel's history: volumes, conversion trends, cohorts, velocity, costs, SLA.

Also the forecast. Each function takes a table from :mod:`alignlib.metrics` and returns a Figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from alignlib.charts._format import (
    ACCENT,
    MARKETING,
    NEUTRAL,
    PALETTE,
    SALES,
    chart,
    currency_axis,
    legend_outside,
    log_axis,
    month_ticks,
    new_figure,
    percent_axis,
    thousands_axis,
)
from alignlib.format import count, money_compact, pct, stage_label


@chart
def funnel_chart(funnel: pd.DataFrame, labels: Mapping[str, str] | None = None) -> Figure:
    """All-time funnel: contacts reaching each stage, with the conversion into the next.

    Parameters
    ----------
    funnel : DataFrame
        Indexed by stage with ``reached`` and ``conversion_to_next`` (``metrics.funnel``).
    labels : mapping, optional
        Stage -> display label.
    """
    stages = list(funnel.index)
    fig, ax = new_figure(
        "The full funnel: contacts reaching each stage", height=0.5 * len(stages) + 1.6
    )
    y = np.arange(len(stages))[::-1]
    ax.barh(y, funnel["reached"], color=MARKETING, height=0.6)
    log_axis(ax, "x")
    ax.set_yticks(y, [(labels or {}).get(s, stage_label(s)) for s in stages])
    for yi, (_, row) in zip(y, funnel.iterrows(), strict=True):
        text = f" {count(row['reached'])}"
        if pd.notna(row.get("conversion_to_next")):
            text += f"   ({pct(row['conversion_to_next'])} to next)"
        ax.text(row["reached"], yi, text, va="center", fontsize=10)
    ax.set_xlim(max(0.8, funnel["reached"].min() / 2), funnel["reached"].max() * 5)
    ax.set_xlabel("Contacts that reached the stage (log scale)")
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


@chart
def monthly_volume_chart(
    monthly: pd.DataFrame, stages: Sequence[str], *, partial: pd.Period | None = None
) -> Figure:
    """Contacts entering each stage per month, one line per stage (log scale)."""
    fig, ax = new_figure("Contacts entering each stage, by month")
    x = np.arange(len(monthly))
    for i, stage in enumerate(stages):
        ax.plot(
            x, monthly[stage], "-", color=PALETTE[i % len(PALETTE)], lw=2, label=stage_label(stage)
        )
    log_axis(ax, "y")
    month_ticks(ax, monthly.index)
    if partial is not None and partial in monthly.index:
        xi = list(monthly.index).index(partial)
        ax.axvspan(xi - 0.5, xi + 0.5, color="#edf2f7", zorder=0)
        ax.text(
            xi, ax.get_ylim()[1], "month to date", fontsize=8, ha="right", va="top", color=NEUTRAL
        )
    ax.set_ylabel("Contacts per month (log scale)")
    ax.set_xlabel("Month the contact entered the stage")
    legend_outside(fig, ax, ncols=min(len(stages), 4))
    return fig


@chart
def conversion_trend_chart(
    monthly: pd.DataFrame, rolling: pd.DataFrame, transitions: Sequence[str]
) -> Figure:
    """Each stage-to-stage conversion rate by month (thin) and its 3-month average (thick)."""
    fig, ax = new_figure("Conversion rates by month (thick: 3-month average)")
    x = np.arange(len(monthly))
    for i, t in enumerate(transitions):
        colour = PALETTE[i % len(PALETTE)]
        ax.plot(x, monthly[t], "-", color=colour, lw=0.8, alpha=0.5)
        ax.plot(
            x,
            rolling[t].reindex(monthly.index),
            "-",
            color=colour,
            lw=2.2,
            label=" → ".join(stage_label(s) for s in t.split("_to_")),
        )
    percent_axis(ax)
    month_ticks(ax, monthly.index)
    ax.set_ylabel("Converted into the next stage")
    rates = monthly[list(transitions)].to_numpy(dtype=float)
    top = float(np.nanmax(rates)) if np.isfinite(rates).any() else 0.8
    ax.set_ylim(0, min(1.0, top * 1.25))
    legend_outside(fig, ax, fontsize=8, ncols=3)
    return fig


@chart
def cohort_chart(cohorts: pd.DataFrame, column: str | None = None) -> Figure:
    """Lead-to-won conversion by the month leads were created; maturing cohorts hatched.

    Parameters
    ----------
    cohorts : DataFrame
        ``metrics.cohort_conversion(...).frame``: indexed by cohort month, with the
        conversion ``column`` and a boolean ``maturing``.
    column : str, optional
        Which conversion to show (default: top of the funnel to its last stage, e.g.
        ``lead_to_won``).
    """
    if column is None:
        first = str(cohorts.columns[0])
        ends = [c for c in cohorts.columns if f"{first}_to_{c}" in cohorts.columns]
        column = f"{first}_to_{ends[-1]}"
    fig, ax = new_figure("Cohort conversion: leads created each month that became customers")
    x = np.arange(len(cohorts))
    maturing = cohorts["maturing"].fillna(False).to_numpy(dtype=bool)
    values = cohorts[column].to_numpy(dtype=float)
    ax.bar(x[~maturing], values[~maturing], color=ACCENT, label="complete cohort")
    ax.bar(
        x[maturing],
        values[maturing],
        color="white",
        edgecolor=NEUTRAL,
        hatch="///",
        label="still maturing (will rise)",
    )
    month_ticks(ax, cohorts.index)
    percent_axis(ax, decimals=None)  # as many decimals as the ticks need (1.25%)
    ax.set_ylabel("Lead to customer")
    ax.set_xlabel("Month the leads were created")
    legend_outside(fig, ax)
    return fig


@chart
def velocity_chart(summary: pd.DataFrame) -> Figure:
    """Days between stages: median and P90 per transition."""
    summary = summary.iloc[::-1]
    fig, ax = new_figure("How long each step takes (days)", height=0.45 * len(summary) + 1.6)
    y = np.arange(len(summary))
    ax.barh(y, summary["p90"], color="#cbd5e0", height=0.6, label="9 in 10 are faster than this")
    ax.barh(y, summary["median"], color=SALES, height=0.6, label="typical (half are faster)")
    ax.set_yticks(
        y, [" → ".join(stage_label(s) for s in str(t).split("_to_")) for t in summary.index]
    )
    for yi, (_, row) in zip(y.tolist(), summary.iterrows(), strict=True):
        ax.text(
            row["p90"],
            yi,
            f"  {row['median']:.0f} / {row['p90']:.0f} days",
            va="center",
            fontsize=9,
        )
    longest = float(summary["p90"].max())
    # Every step on the day (or none measured): a one-day axis, not an empty one.
    ax.set_xlim(0, longest * 1.6 if np.isfinite(longest) and longest > 0 else 1.0)
    ax.set_xlabel("Days")
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", alpha=0.3)
    legend_outside(fig, ax)
    return fig


@chart
def channel_chart(
    costs: pd.DataFrame,
    won_lost: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    currency: str = "USD",
) -> Figure:
    """By source: cost per customer (CAC) and conversion to won, side by side.

    ``won_lost`` is a :func:`alignlib.metrics.conversion_by` frame (its ``conversion``:
    won of every contact of the source) or, as before, a ``won_lost`` by-group frame
    (its ``win_rate`` of closed deals, meaningful only when losses are recorded).
    """
    channels = list(costs.index)
    names = [(labels or {}).get(c, str(c).replace("_", " ")) for c in channels]
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(10, 0.45 * len(channels) + 1.8), layout="constrained"
    )
    fig.suptitle(
        "By source: what a customer costs and how often contacts win"
        if "conversion" in won_lost
        else "By source: what a customer costs and how often opportunities win",
        x=0.01,
        ha="left",
        fontsize=13,
        fontweight="bold",
    )
    y = np.arange(len(channels))[::-1]
    cac = costs["cac"].to_numpy(dtype=float)
    ax1.barh(y, cac, color=MARKETING, height=0.6)
    ax1.set_yticks(y, names)
    ax1.set_title("Cost per customer (CAC)", fontsize=10, loc="left")
    currency_axis(ax1, "x", currency)
    for yi, v in zip(y, cac, strict=True):
        if np.isfinite(v):
            ax1.text(v, yi, f" {money_compact(v, currency)}", va="center", fontsize=9)
    ax1.set_xlim(0, np.nanmax(cac) * 1.35 if np.isfinite(cac).any() else 1)
    rate_col, rate_title = (
        ("conversion", "Won of every contact")
        if "conversion" in won_lost
        else ("win_rate", "Opportunity win rate")
    )
    rate = won_lost[rate_col].reindex(channels).to_numpy(dtype=float)
    ax2.barh(y, rate, color=SALES, height=0.6)
    ax2.set_yticks(y, [""] * len(y))
    ax2.set_title(rate_title, fontsize=10, loc="left")
    percent_axis(ax2, "x")
    for yi, v in zip(y, rate, strict=True):
        if np.isfinite(v):
            ax2.text(v, yi, f" {pct(v)}", va="center", fontsize=9)
    ax2.set_xlim(0, max(np.nanmax(rate) * 1.3, 0.1) if np.isfinite(rate).any() else 1)
    for ax in (ax1, ax2):
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", alpha=0.3)
    return fig


@chart
def sla_chart(by_month: pd.DataFrame, sla_hours: float) -> Figure:
    """Share of hand-offs answered within the SLA, by month, and the median response time."""
    fig, ax = new_figure(f"Response within the {sla_hours:g}-hour SLA, by month")
    x = np.arange(len(by_month))
    ax.plot(x, by_month["compliance"], "o-", color=MARKETING, lw=2, label="answered within SLA")
    if "acceptance_rate" in by_month:
        ax.plot(
            x, by_month["acceptance_rate"], "s--", color=SALES, lw=1.5, label="accepted by sales"
        )
    percent_axis(ax)
    ax.set_ylim(0, 1.05)
    month_ticks(ax, by_month.index)
    ax.set_ylabel("Share of hand-offs")
    ax2 = ax.twinx()
    ax2.bar(
        x,
        by_month["median_hours"],
        color="#cbd5e0",
        alpha=0.6,
        zorder=0,
        label="median hours to respond",
    )
    ax2.set_ylabel("Median hours to first response")
    ax2.spines[["top"]].set_visible(False)
    ax.set_zorder(ax2.get_zorder() + 1)
    ax.patch.set_visible(False)
    legend_outside(fig, [ax, ax2])
    return fig


@chart
def forecast_chart(
    history: pd.DataFrame, forecast: pd.DataFrame, stage: str, *, months: int = 24
) -> Figure:
    """A stage's monthly volume: the last ``months`` of history and next quarter's forecast.

    Parameters
    ----------
    history : DataFrame
        Monthly volumes by stage (``Forecast.history``).
    forecast : DataFrame
        Index (stage, month) with ``forecast``, ``lower``, ``upper`` (``Forecast.monthly``).
    stage : str
    months : int
        History shown.
    """
    hist = history[stage].iloc[-months:]
    fc = forecast.xs(stage, level=0)
    fig, ax = new_figure(f"{stage_label(stage)} per month: history and next quarter's forecast")
    periods = list(hist.index) + [p for p in fc.index if p not in hist.index]
    pos = {p: i for i, p in enumerate(periods)}
    ax.plot([pos[p] for p in hist.index], hist.to_numpy(), "-", color=NEUTRAL, lw=2, label="actual")
    fx = [pos[p] for p in fc.index]
    ax.fill_between(fx, fc["lower"], fc["upper"], color=ACCENT, alpha=0.25, label="forecast range")
    ax.plot(fx, fc["forecast"], "o-", color=ACCENT, lw=2, label="forecast")
    month_ticks(ax, periods)
    thousands_axis(ax)
    top = max(float(hist.max()), float(fc["upper"].max()))
    ax.set_ylim(0, top * 1.15 if np.isfinite(top) and top > 0 else 1.0)
    ax.set_ylabel("Contacts per month")
    legend_outside(fig, ax)
    return fig
