"""Charts of the forecasts: where the quarter will land, and how past forecasts held up.

Each function takes a result from :mod:`alignlib.forecast` (or its rows) and returns a
:class:`matplotlib.figure.Figure`; nothing here computes more than quantiles and counts
read off what it is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from alignlib.charts._format import (
    ACCENT,
    MARKETING,
    NEUTRAL,
    PALETTE,
    WARN,
    chart,
    currency_axis,
    legend_outside,
    new_figure,
    percent_axis,
)
from alignlib.forecast import LandingForecast
from alignlib.format import money_compact, pct

#: Colours of the three parts of a landing: booked, open pipeline, not yet created.
PART_COLOURS = (ACCENT, MARKETING, "#9f7aea")

#: Colours of the forecast points of a backtest (plan, week 0, week 4, week 8, ...).
POINT_COLOURS = ("#4a5568", *PALETTE[:2], PALETTE[3], PALETTE[4], PALETTE[5])


def _style(ax: plt.Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", alpha=0.3)


@chart
def landing_chart(
    forecast: LandingForecast, currency: str = "USD", title: str | None = None, bins: int = 60
) -> Figure:
    """Where the quarter will land: what it is made of (top), and how likely each landing is.

    The top bar stacks the median of each part (booked so far, open pipeline, not yet
    created) with the landing's P10-P90 range drawn under it; the histogram below is the
    landing over the simulated quarters, its P10-P90 band shaded and the median dashed.
    The target is the red line on both.

    Parameters
    ----------
    forecast : LandingForecast
        A landing forecast (:func:`alignlib.forecast.landing`).
    currency : str
        ISO code for the money axes.
    title : str, optional
        Default: the most likely landing and the chance of the target.
    bins : int
        Histogram bins.

    Returns
    -------
    matplotlib.figure.Figure
    """
    target = forecast.target
    land = forecast.landing
    samples = np.asarray(forecast.samples, dtype=float)
    if title is None:
        title = (
            f"Where {forecast.quarter} will land: most likely {money_compact(land.p50, currency)}"
        )
        if target is not None and forecast.p_hit is not None:
            title += f", {pct(forecast.p_hit)} chance of {money_compact(target, currency)}"
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(8.5, 5.6), layout="constrained", height_ratios=(1.0, 2.6)
    )
    fig.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")

    # -- what the landing is made of ---------------------------------------------------
    parts = (
        ("booked", forecast.booked.p50),
        ("open pipeline", forecast.open_pipeline.p50),
        ("not yet created", forecast.not_yet_created.p50),
    )
    left = 0.0
    hi = max(land.p90, target or 0.0, sum(v for _, v in parts))
    for (name, value), colour in zip(parts, PART_COLOURS, strict=True):
        top.barh(0, value, left=left, height=0.55, color=colour, label=name)
        if value >= 0.09 * hi:
            top.text(
                left + value / 2,
                0,
                f"{name}\n{money_compact(value, currency)}",
                ha="center",
                va="center",
                fontsize=8.5,
                color="white",
                fontweight="bold",
            )
        left += value
    top.plot([land.p10, land.p90], [-0.55, -0.55], color=NEUTRAL, lw=3, solid_capstyle="butt")
    top.plot([land.p50], [-0.55], "o", color=NEUTRAL, ms=6)
    top.text(
        land.p90,
        -0.55,
        f"  likely {money_compact(land.p10, currency)} to {money_compact(land.p90, currency)}",
        va="center",
        fontsize=8.5,
        color=NEUTRAL,
    )
    if target is not None:
        top.axvline(target, color=WARN, lw=2)
        top.text(
            target,
            0.42,
            f" target {money_compact(target, currency)}",
            color=WARN,
            fontsize=8.5,
            va="top",
        )
    top.set_yticks([0, -0.55], ["most likely,\nby part", "landing"], fontsize=8.5)
    top.set_ylim(-0.9, 0.45)
    top.set_xlim(0, hi * 1.25)
    currency_axis(top, "x", currency)
    _style(top)

    # -- how likely each landing is ---------------------------------------------------
    lo_x, hi_x = np.quantile(samples, [0.001, 0.999])
    if target is not None:
        lo_x, hi_x = min(lo_x, target), max(hi_x, target)
    pad = 0.04 * (hi_x - lo_x or max(abs(hi_x), 1.0))
    counts, edges = np.histogram(samples, bins=bins, range=(lo_x - pad, hi_x + pad))
    centres = (edges[:-1] + edges[1:]) / 2
    colours = [ACCENT if target is not None and c >= target else NEUTRAL for c in centres]
    bottom.bar(centres, counts / len(samples), width=np.diff(edges), color=colours, alpha=0.7, lw=0)
    bottom.axvspan(
        land.p10,
        land.p90,
        color=MARKETING,
        alpha=0.08,
        label="likely range (pessimistic to optimistic)",
    )
    bottom.axvline(
        land.p50,
        color=MARKETING,
        ls="--",
        lw=1.3,
        label=f"most likely {money_compact(land.p50, currency)}",
    )
    if target is not None:
        bottom.axvline(target, color=WARN, lw=2, label=f"target {money_compact(target, currency)}")
    currency_axis(bottom, "x", currency)
    percent_axis(bottom, "y", decimals=1)
    bottom.set_xlabel(
        f"Bookings closing in {forecast.quarter} ({len(samples):,} simulated quarters; "
        "green: at or above the target)"
    )
    bottom.set_ylabel("Share of simulated quarters")
    legend_outside(fig, [top, bottom], fontsize=8.5, ncols=3)
    bottom.spines[["top", "right"]].set_visible(False)
    bottom.grid(axis="y", alpha=0.3)
    return fig


def _point_label(point: str) -> str:
    return "plan time (history only)" if point == "plan" else point


@chart
def backtest_chart(
    rows: pd.DataFrame,
    points: Sequence[str],
    currency: str = "USD",
    title: str | None = None,
) -> Figure:
    """Each past quarter's forecasts (P10-P90 bar, median dot) against what was booked.

    Parameters
    ----------
    rows : pandas.DataFrame
        :attr:`alignlib.forecast.Backtest.rows` (``quarter``, ``point``, ``p10``,
        ``p50``, ``p90``, ``actual``).
    points : sequence of str
        The forecast points to draw, in order (e.g. ``plan``, ``week 0``, ``week 4``).
    currency : str
        ISO code for the money axis.
    title : str, optional
        Default: "Our forecasts against what was booked".

    Returns
    -------
    matplotlib.figure.Figure
    """
    quarters = list(dict.fromkeys(rows["quarter"]))
    points = [p for p in points if (rows["point"] == p).any()]
    width = max(6.5, min(12.0, 1.1 * len(quarters) + 3.0))
    fig, ax = new_figure(title or "Our forecasts against what was booked", width=width, height=4.6)
    step = 0.7 / max(len(points), 1)
    for k, point in enumerate(points):
        colour = POINT_COLOURS[k % len(POINT_COLOURS)]
        part = rows.loc[rows["point"] == point].set_index("quarter")
        xs = [
            i + (k - (len(points) - 1) / 2) * step
            for i, q in enumerate(quarters)
            if q in part.index
        ]
        shown = [q for q in quarters if q in part.index]
        p10 = part.loc[shown, "p10"].to_numpy(dtype=float)
        p50 = part.loc[shown, "p50"].to_numpy(dtype=float)
        p90 = part.loc[shown, "p90"].to_numpy(dtype=float)
        ax.vlines(
            xs,
            p10,
            p90,
            color=colour,
            lw=7,
            alpha=0.45,
            label=f"{_point_label(point)}: likely range",
        )
        ax.plot(xs, p50, "o", color=colour, ms=5, markeredgecolor="white", markeredgewidth=0.6)
    actual = rows.drop_duplicates("quarter").set_index("quarter")["actual"]
    for i, q in enumerate(quarters):
        ax.hlines(float(actual[q]), i - 0.42, i + 0.42, color="black", lw=2.2, zorder=3)
    ax.plot([], [], color="black", lw=2.2, label="actual bookings")
    ax.plot([], [], "o", color=NEUTRAL, ms=5, label="most likely forecast")
    ax.set_xticks(range(len(quarters)), quarters)
    ax.set_xlim(-0.6, len(quarters) - 0.4)
    currency_axis(ax, "y", currency)
    ax.set_ylabel("Bookings in the quarter")
    legend_outside(fig, ax, fontsize=8.5, ncols=3)
    return fig


@chart
def pit_chart(
    rows: pd.DataFrame, points: Sequence[str], bins: int = 5, title: str | None = None
) -> Figure:
    """Where each actual fell inside its forecast (PIT), stacked by forecast point.

    A calibrated forecast puts the actual anywhere in its range equally often: flat bars
    at the dashed line. Bars piled at the edges mean ranges too narrow; in the middle, too
    wide; on the left, forecasts too high.

    Parameters
    ----------
    rows : pandas.DataFrame
        :attr:`alignlib.forecast.Backtest.rows` (``point`` and ``pit``).
    points : sequence of str
        The forecast points, in order (colours match :func:`backtest_chart`).
    bins : int
        Equal bins over 0-1.
    title : str, optional
        Default: "Where the actual fell inside our forecasts".

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = new_figure(
        title or "Where the actual fell inside our forecasts", width=7.5, height=3.8
    )
    edges = np.linspace(0.0, 1.0, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    base = np.zeros(bins)
    total = 0
    for k, point in enumerate(points):
        values = rows.loc[rows["point"] == point, "pit"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if not len(values):
            continue
        counts, _ = np.histogram(np.clip(values, 0.0, 1.0), bins=edges)
        ax.bar(
            centres,
            counts,
            bottom=base,
            width=0.95 / bins,
            color=POINT_COLOURS[k % len(POINT_COLOURS)],
            alpha=0.8,
            label=_point_label(point),
        )
        base += counts
        total += len(values)
    if total:
        ax.axhline(total / bins, color=WARN, ls="--", lw=1.3, label="if perfectly calibrated")
    ax.set_xticks(edges)
    percent_axis(ax, "x")
    ax.set_xlim(0, 1)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(
        "Share of the forecast below the actual (0%: below everything forecast; 100%: above)"
    )
    ax.set_ylabel("Forecasts")
    legend_outside(fig, ax, fontsize=8.5, ncols=3)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.1)
    return fig
