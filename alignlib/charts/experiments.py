"""Charts of experiment readouts: posteriors, lift forest plot, funnel depth, revenue impact.

Each function takes results from :mod:`alignlib.experiments` and returns a
:class:`matplotlib.figure.Figure`; nothing here computes a statistic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from alignlib.charts._format import (
    ACCENT,
    NEUTRAL,
    PALETTE,
    WARN,
    chart,
    currency_axis,
    legend_outside,
    new_figure,
    percent_axis,
)
from alignlib.experiments import (
    ExperimentReadout,
    FunnelDepth,
    ProportionsComparison,
    VariantsComparison,
    comparisons_of,
    posterior_grid,
)
from alignlib.format import money_compact, pct, stage_label


def _stage_text(r: ProportionsComparison) -> str:
    if r.stage is None:
        return "conversion"
    label = stage_label(r.stage)
    return f"{label}->{stage_label(r.next_stage)}" if r.next_stage else label


@chart
def posterior_chart(
    results: ExperimentReadout | VariantsComparison | ProportionsComparison,
    title: str | None = None,
) -> Figure:
    """Posterior densities of control's and each variant's conversion rate.

    Parameters
    ----------
    results : ExperimentReadout, VariantsComparison or ProportionsComparison
    title : str, optional

    Returns
    -------
    Figure
        One curve per arm (Beta(1 + conversions, 1 + n - conversions)), with each
        variant's P(better than control) in the legend.
    """
    comps = comparisons_of(results)
    arms = {"control": comps[0].control}
    for r in comps:
        arms[r.variant_name] = r.variant
    grid = posterior_grid(arms)
    name = title or f"Where each arm's {_stage_text(comps[0])} rate probably lies"
    fig, ax = new_figure(name)
    x = grid["rate"].to_numpy()
    ax.plot(x, grid["control"], color=NEUTRAL, lw=2, label="Control")
    ax.fill_between(x, grid["control"], color=NEUTRAL, alpha=0.15)
    for i, r in enumerate(comps):
        colour = PALETTE[i % len(PALETTE)]
        y = grid[r.variant_name].to_numpy()
        label = f"{stage_label(r.variant_name)} ({pct(r.prob_beat_control)} chance it is better)"
        ax.plot(x, y, color=colour, lw=2, label=label)
        ax.fill_between(x, y, color=colour, alpha=0.15)
    percent_axis(ax, "x", decimals=1)
    ax.set_xlabel(f"{_stage_text(comps[0])} conversion rate")
    ax.set_ylabel("How likely each rate is")
    ax.set_yticks([])
    legend_outside(fig, ax, ncols=1)
    return fig


@chart
def lift_forest_chart(
    readouts: Sequence[ExperimentReadout | VariantsComparison | ProportionsComparison],
    title: str = "Relative lift over control, with its likely range",
) -> Figure:
    """Forest plot: each variant's relative lift and its interval, across experiments.

    Parameters
    ----------
    readouts : sequence of ExperimentReadout, VariantsComparison or ProportionsComparison
    title : str

    Returns
    -------
    Figure
        One row per variant; significant lifts (after correction) in colour, others grey;
        a readout with a sample-ratio mismatch is marked "SRM: do not trust".
    """
    rows = []
    for item in readouts:
        srm = isinstance(item, ExperimentReadout) and item.srm.flag
        prefix = f"{stage_label(item.name)}: " if isinstance(item, ExperimentReadout) else ""
        for r in comparisons_of(item):
            rows.append((f"{prefix}{stage_label(r.variant_name)} ({_stage_text(r)})", r, srm))
    fig, ax = new_figure(title, height=max(2.5, 0.6 * len(rows) + 1.5))
    ax.grid(axis="y", alpha=0)
    ax.grid(axis="x", alpha=0.3)
    for i, (_label, r, srm) in enumerate(reversed(rows)):
        if r.relative_lift is None or r.relative_lift_ci is None:
            ax.text(0, i, "  lift undefined (control had no conversions)", va="center")
            continue
        colour = WARN if srm else (ACCENT if r.significant and r.diff > 0 else NEUTRAL)
        if r.significant and r.diff < 0 and not srm:
            colour = WARN
        lo, hi = r.relative_lift_ci
        ax.plot([lo, hi], [i, i], color=colour, lw=2.5)
        ax.plot(r.relative_lift, i, "o", color=colour, ms=8)
        note = f"{r.relative_lift:+.1%}  {pct(r.prob_beat_control)} chance better"
        if srm:
            note += "  traffic split off plan: do not trust"
        ax.annotate(note, (hi, i), xytext=(6, 0), textcoords="offset points", va="center")
    ax.axvline(0, color=NEUTRAL, lw=1, ls="--")
    ax.set_yticks(range(len(rows)), [label for label, _, _ in reversed(rows)])
    percent_axis(ax, "x")
    ax.set_xlabel("Relative lift (variant / control - 1), with its likely range")
    ax.set_ylabel("Variant (stage)")
    ax.margins(x=0.45)
    return fig


@chart
def funnel_depth_chart(depth: FunnelDepth, title: str | None = None) -> Figure:
    """Difference in the rate of reaching each later stage, variant minus control.

    Parameters
    ----------
    depth : FunnelDepth
    title : str, optional

    Returns
    -------
    Figure
        Percentage-point differences with Newcombe intervals, one group per later stage.
    """
    stages = list(depth.stages)
    variants = list(depth.arms[1:])
    name = title or "Does the lift carry through the funnel?"
    fig, ax = new_figure(name)
    width = 0.8 / max(1, len(variants))
    x = np.arange(len(stages))
    for j, v in enumerate(variants):
        diffs, lows, highs = [], [], []
        for s in stages:
            r = depth.readouts[s][v]
            diffs.append(r.diff)
            lows.append(r.diff - r.ci[0])
            highs.append(r.ci[1] - r.diff)
        pos = x + (j - (len(variants) - 1) / 2) * width
        ax.bar(
            pos,
            diffs,
            width * 0.9,
            color=PALETTE[j % len(PALETTE)],
            yerr=[lows, highs],
            capsize=4,
            label=stage_label(v),
        )
    ax.axhline(0, color=NEUTRAL, lw=1)
    first = depth.readouts[stages[0]].results[0]
    ax.set_xticks(x, [_stage_text(depth.readouts[s].results[0]) for s in stages])
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{100 * v:+.1f} pts")
    ax.set_ylabel("Variant minus control (rate of reaching the stage)")
    ax.set_xlabel(
        f"Leads entering {stage_label(first.stage) if first.stage else 'the stage'}, followed to"
    )
    legend_outside(fig, ax)
    return fig


@chart
def revenue_impact_chart(impact, title: str | None = None) -> Figure:
    """Bookings this quarter with and without the variant (simulated, same random numbers).

    Parameters
    ----------
    impact : RevenueImpact
        From :func:`alignlib.experiments.revenue_impact`.
    title : str, optional

    Returns
    -------
    Figure
        Histogram of the change in bookings per trial, with its mean and the target line
        probabilities in the title.
    """
    delta = np.asarray(impact.delta_bookings)
    name = title or (
        f"{stage_label(impact.variant_name)}: "
        f"{money_compact(impact.expected_delta, impact.currency)} expected bookings, "
        f"chance of the target {pct(impact.prob_hit_control)} -> {pct(impact.prob_hit_variant)}"
    )
    fig, ax = new_figure(name)
    ax.hist(delta, bins=60, color=ACCENT, alpha=0.8)
    ax.axvline(0, color=NEUTRAL, lw=1, ls="--")
    ax.axvline(impact.expected_delta, color=WARN, lw=2, label="expected change")
    currency_axis(ax, "x", impact.currency)
    ax.set_xlabel("Change in quarter bookings from shipping the variant (per simulated quarter)")
    ax.set_ylabel("Simulated quarters")
    legend_outside(fig, ax)
    return fig
