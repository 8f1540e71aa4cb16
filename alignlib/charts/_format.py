"""Shared look for every chart: currency and percentage axes, titles, a quiet style."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

# One formatter for tables and charts, so $1.2M reads the same in both.
from alignlib.format import count, money_compact

# Labels come from params and data, and money is written "$1.2M": text between two "$"
# must stay text, not be read as maths (a label such as "$\\foo$" would fail the chart).
plt.rcParams["text.parse_math"] = False

#: Colours by owner, so marketing and sales stages read the same in every chart.
MARKETING = "#2b6cb0"
SALES = "#c05621"
NEUTRAL = "#4a5568"
ACCENT = "#2f855a"
WARN = "#c53030"
PALETTE = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#319795", "#d53f8c", "#4a5568"]

#: A chart shows at most this many channels; the rest are one "Other" (tables keep them all).
MOST_CHANNELS = len(PALETTE) - 1
#: A channel below this share of the whole is drawn in "Other" too.
SMALL_SHARE = 0.02


def chart_groups(
    shares: pd.Series,
    labels: Mapping[Any, str],
    most: int = MOST_CHANNELS,
    small: float = SMALL_SHARE,
) -> tuple[pd.Series, dict[Any, str]]:
    """Shares for a chart: the largest channels, the small ones summed into one "Other".

    Twenty-two channels, ten of them at 0.0%, crowd a legend and repeat its colours; a
    table keeps every channel, a chart shows the few that matter and says how many
    it grouped.

    Parameters
    ----------
    shares : pandas.Series
        Channel -> share (or any non-negative size), in the order to draw.
    labels : mapping
        Channel -> label.
    most : int
        Most channels shown on their own.
    small : float
        Share of the total below which a channel goes to "Other".

    Returns
    -------
    tuple
        (shares with the grouped channels summed under the key ``"_other"``, in the
        original order then "Other" last; channel -> label, with "Other (n channels)").
    """
    total = float(shares.sum())
    if len(shares) <= 1 or total <= 0:
        return shares, dict(labels)
    ranked = shares.sort_values(ascending=False, kind="stable")
    keep = set(ranked.index[:most]) & set(shares.index[shares / total >= small])
    grouped = [c for c in shares.index if c not in keep]
    if len(grouped) < 2:  # one channel alone is shown as itself
        return shares, dict(labels)
    out = shares[[c for c in shares.index if c in keep]].copy()
    out["_other"] = float(shares[grouped].sum())
    names = {c: labels.get(c, str(c)) for c in out.index if c != "_other"}
    names["_other"] = f"Other ({len(grouped)} channels)"
    return out, names


def currency_axis(ax: Axes, axis: str = "y", currency: str = "USD") -> None:
    """Label an axis's ticks as compact currency."""
    fmt = FuncFormatter(lambda v, _pos: money_compact(v, currency))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def percent_axis(ax: Axes, axis: str = "y", decimals: int = 0) -> None:
    """Label an axis whose values are fractions (0.25) as percentages (25%)."""
    fmt = PercentFormatter(xmax=1.0, decimals=decimals)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def thousands_axis(ax: Axes, axis: str = "y") -> None:
    """Label an axis's ticks with thousands separators."""
    fmt = FuncFormatter(lambda v, _pos: count(v))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def new_figure(title: str, *, width: float = 8.0, height: float = 4.5) -> tuple[Figure, Axes]:
    """A figure with one axes, the report style and a title."""
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    return fig, ax
