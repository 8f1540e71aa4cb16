"""The weekly scorecard's one chart: bookings to date against the plan, week by week."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from alignlib.charts._format import (
    ACCENT,
    MARKETING,
    MOST_MONTH_LABELS,
    NEUTRAL,
    chart,
    currency_axis,
    legend_outside,
    new_figure,
)


@chart
def bookings_pace_chart(frame: pd.DataFrame, target: float, currency: str = "USD") -> Figure:
    """Cumulative bookings and the plan to date at each week's end of the quarter.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`alignlib.reports.scorecard.bookings_to_date`: index week end, columns
        ``actual`` and ``plan`` (cumulative).
    target : float
        The quarter's bookings target (a dotted line).
    currency : str
        ISO code for the axis.

    Returns
    -------
    matplotlib.figure.Figure
        A short, wide chart that fits the one-page scorecard; says so when there is
        nothing to draw yet.
    """
    fig, ax = new_figure("Bookings to date against plan", width=7.2, height=1.9)
    ax.title.set_fontsize(11)
    if frame.empty:
        ax.text(0.5, 0.5, "No week of the quarter has ended yet", ha="center", va="center")
        ax.set_axis_off()
        return fig
    x = list(range(len(frame)))
    ax.plot(x, frame["plan"], color=NEUTRAL, linestyle="--", label="Plan to date")
    ax.plot(x, frame["actual"], color=MARKETING, marker="o", markersize=3.5, label="Booked")
    ax.axhline(target, color=ACCENT, linestyle=":", linewidth=1, label="Quarter target")
    step = -(-len(x) // MOST_MONTH_LABELS)  # at most 12 labels, as on every date axis
    ax.set_xticks(x[::step], [f"{d:%-d %b}" for d in frame.index[::step]], fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("week ending", fontsize=8)
    currency_axis(ax, "y", currency)
    legend_outside(fig, ax, where="center right", fontsize=8)
    return fig
