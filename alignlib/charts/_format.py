"""Shared look for every chart: currency and percentage axes, titles, a quiet style."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, ParamSpec

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.category import StrCategoryFormatter
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.ticker import FixedFormatter, FuncFormatter, LogFormatter, PercentFormatter

# One formatter for tables and charts, so $1.2M reads the same in both.
from alignlib.format import count, money_compact

_P = ParamSpec("_P")

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


def percent_axis(ax: Axes, axis: str = "y", decimals: int | None = 0) -> None:
    """Label an axis whose values are fractions (0.25) as percentages (25%; None: as the ticks need)."""
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


# --------------------------------------------------------------------------------------
# Text that reads on any data: escaped dollars, log ticks, months, legends outside
# --------------------------------------------------------------------------------------

#: A date axis shows at most this many month labels.
MOST_MONTH_LABELS = 12

_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")


def escape(text: Any) -> str:
    r"""Text from params or data made literal for matplotlib: every ``$`` becomes ``\$``.

    Matplotlib reads text between two ``$`` as maths; "$1.2M to $2.4M" or a channel
    called "$ spend $" must print as written. Maths stays on for what matplotlib writes
    itself. Already escaped dollars are kept, so escaping twice changes nothing.

    Parameters
    ----------
    text : Any
        A title, label or annotation.

    Returns
    -------
    str
        The text with its dollars escaped.
    """
    return _UNESCAPED_DOLLAR.sub(r"\\$", str(text))


class _LogCountFormatter(LogFormatter):
    """Log-axis ticks written by the one formatter ("20", "1,000", "$1.2M"), never TeX."""

    def __init__(self, writer: Callable[[float], str], *, minor: bool = False) -> None:
        super().__init__(labelOnlyBase=False, minor_thresholds=(1.5, 0.6) if minor else None)
        self._writer = writer

    def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
        return self._writer(x)


def _log_count(value: float) -> str:
    return f"{value:g}" if 0 < value < 1 else count(value)


def log_axis(ax: Axes, axis: str = "y", currency: str | None = None) -> None:
    """A log-scaled axis whose ticks read as counts (or compact money), major and minor.

    Parameters
    ----------
    ax : Axes
        The axes.
    axis : {"x", "y"}
        Which axis.
    currency : str, optional
        ISO code: ticks as compact money instead of counts.
    """
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    _log_formatters(ax.yaxis if axis == "y" else ax.xaxis, currency)


def _log_formatters(target: Axis, currency: str | None = None) -> None:
    def writer(v: float) -> str:
        return money_compact(v, currency) if currency else _log_count(v)

    target.set_major_formatter(_LogCountFormatter(writer))
    target.set_minor_formatter(_LogCountFormatter(writer, minor=True))


def month_text(period: Any, *, year: bool = True) -> str:
    """A month as "Dec 2024" (or "Dec" beside a label that names the year)."""
    p = pd.Period(period, freq="M")
    return p.strftime("%b %Y") if year else p.strftime("%b")


def month_ticks(
    ax: Axes,
    periods: Sequence[Any],
    positions: Sequence[float] | None = None,
    *,
    most: int = MOST_MONTH_LABELS,
    fontsize: float = 8,
) -> None:
    """Month labels on an x axis: at most ``most`` of them, each year named once.

    Every ``k``-th month is labelled so no more than ``most`` labels show; the first
    label and each January read "Jan 2025", the others "Feb" (never "Dec 24", which
    reads as a day).

    Parameters
    ----------
    ax : Axes
        The axes.
    periods : sequence
        Months (``pandas.Period`` or anything ``pandas.Period(..., freq="M")`` reads).
    positions : sequence of float, optional
        Where each month sits on the axis (default 0, 1, 2, ...).
    most : int
        Most labels shown.
    fontsize : float
        Label size.
    """
    months = [pd.Period(p, freq="M") for p in periods]
    where = list(positions) if positions is not None else list(range(len(months)))
    if not months:
        ax.set_xticks([])
        return
    step = max(1, math.ceil(len(months) / max(1, most)))
    picks = list(range(0, len(months), step))
    labels, last_year = [], None
    for i in picks:
        p = months[i]
        labels.append(month_text(p, year=p.year != last_year))
        last_year = p.year
    ax.set_xticks([where[i] for i in picks], labels, fontsize=fontsize)


_OUTSIDE: dict[
    str, Literal["outside lower center", "outside upper center", "outside right center"]
] = {
    "lower center": "outside lower center",
    "upper center": "outside upper center",
    "center right": "outside right center",
}


def legend_outside(
    fig: Figure,
    axes: Sequence[Axes] | Axes | None = None,
    *,
    where: Literal["lower center", "upper center", "center right"] = "lower center",
    fontsize: float = 9,
    ncols: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Legend | None:
    """One legend for the figure, outside every axes (below by default), never on the data.

    Handles are gathered from ``axes`` (default: every axes of the figure), once per label.
    The figure must use the constrained layout (every chart here does), which makes room.

    Parameters
    ----------
    fig : Figure
        The chart.
    axes : Axes or sequence of Axes, optional
        Where the labelled artists are.
    where : str
        ``"lower center"`` (below the axes), ``"upper center"`` (above), ``"center right"``.
    fontsize : float
        Text size.
    ncols : int, optional
        Columns (default: every entry on one row, up to four).
    extra : mapping, optional
        Label -> handle drawn by no axes (e.g. a colour key of owners).

    Returns
    -------
    matplotlib.legend.Legend or None
        None when nothing carries a label.
    """
    if axes is None:
        chosen = list(fig.get_axes())
    elif isinstance(axes, Axes):
        chosen = [axes]
    else:
        chosen = list(axes)
    handles: dict[str, Any] = {}
    for ax in chosen:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    handles.update(extra or {})
    if not handles:
        return None
    cols = ncols or (1 if where.endswith("right") else min(len(handles), 4))
    return fig.legend(
        list(handles.values()),
        list(handles),
        loc=_OUTSIDE[where],
        ncols=cols,
        frameon=False,
        fontsize=fontsize,
    )


def _escaped(formatter: Any) -> FuncFormatter:
    return FuncFormatter(lambda value, pos: escape(formatter(value, pos)))


def _escape_tick_labels(target: Axis) -> None:
    """Tick labels given as text (``set_xticks(x, labels)``, text categories) escaped."""
    major = target.get_major_formatter()
    for formatter in (major, target.get_minor_formatter()):
        if isinstance(formatter, FixedFormatter):
            formatter.seq = [escape(s) for s in formatter.seq]
        func = getattr(formatter, "func", None)
        # set_ticks(locs, labels) keeps the labels in a dict bound to a FuncFormatter
        if isinstance(func, functools.partial) and func.args and isinstance(func.args[0], dict):
            labels = func.args[0]
            labels.update({loc: escape(text) for loc, text in labels.items()})
    if isinstance(major, StrCategoryFormatter):  # bars at text categories from params or data
        target.set_major_formatter(_escaped(major))


def finish(fig: Figure) -> Figure:
    r"""A chart made to read on any data before it is shown.

    Every title, label, legend entry, annotation and tick label has its ``$`` escaped
    (text from params or data never turns into maths); log axes whose ticks would be
    written by matplotlib's TeX formatter ("$\mathdefault{2\times10^{1}}$") get the
    one formatter's counts instead. Finishing twice changes nothing.

    Parameters
    ----------
    fig : Figure
        The chart.

    Returns
    -------
    Figure
        The same figure.
    """
    for ax in fig.get_axes():
        for target in (ax.xaxis, ax.yaxis):
            if target.get_scale() == "log":
                major = target.get_major_formatter()
                if not isinstance(major, FuncFormatter | _LogCountFormatter):
                    target.set_major_formatter(_LogCountFormatter(_log_count))
                if not isinstance(target.get_minor_formatter(), _LogCountFormatter):
                    target.set_minor_formatter(_LogCountFormatter(_log_count, minor=True))
            _escape_tick_labels(target)
    for text in fig.findobj(Text):
        if isinstance(text, Text) and "$" in text.get_text():
            text.set_text(escape(text.get_text()))
    return fig


def chart(func: Callable[_P, Figure]) -> Callable[_P, Figure]:
    """Decorate a chart function so the figure it returns passes through :func:`finish`."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Figure:
        return finish(func(*args, **kwargs))

    return wrapper


def visible_tick_labels(target: Axis) -> list[str]:
    """The tick labels an axis shows once drawn (non-empty, inside the view), for tests."""
    lo, hi = sorted(target.get_view_interval())
    out = []
    for tick in [*target.get_major_ticks(), *target.get_minor_ticks()]:
        loc = tick.get_loc()
        label = tick.label1
        if label.get_visible() and label.get_text() and lo - 1e-9 <= loc <= hi + 1e-9:
            out.append(label.get_text())
    return out
