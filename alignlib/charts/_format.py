"""Shared look for every chart: currency and percentage axes, titles, a quiet style."""

from __future__ import annotations

import matplotlib.pyplot as plt
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
