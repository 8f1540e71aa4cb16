"""The experiment report: readout tables, revenue impact and one experiment's section."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from alignlib.docstrings import PARAMS_DOC
from alignlib.format import count, format_value, p_value, pct, points, stage_label
from alignlib.reports.common import as_frame

if TYPE_CHECKING:
    from alignlib.params import QuarterParams
    from alignlib.planning import QuarterPlan


@PARAMS_DOC
def experiments_note(params: QuarterParams) -> str | None:
    """The one line an experiment report shows when the parameters list no experiments.

    Returns
    -------
    str or None
        None when there are experiments to read out.
    """
    if params.experiments:
        return None
    return "No experiments in the parameters file: there is nothing to read out this quarter."


def quarter_monthly_volume(plan: QuarterPlan) -> dict[str, float]:
    """Average volume entering each stage per month of the quarter (required / months).

    Used to turn an experiment's remaining sample into weeks of running time.
    """
    n_months = 3
    return {s: v / n_months for s, v in zip(plan.funnel.stages, plan.funnel.required, strict=True)}


def experiment_impacts(
    params: QuarterParams, readouts: Any, *, trials: int, seed: int | None
) -> dict[str, Any]:
    """Revenue impact this quarter of each experiment's best variant (name -> RevenueImpact).

    Experiments whose stage is not in the funnel, or that cannot be simulated, are left
    out (their readout still shows).
    """
    from alignlib.errors import AlignError
    from alignlib.experiments import revenue_impact

    out = {}
    for r in readouts:
        try:
            out[r.name] = revenue_impact(
                params, r, r.comparison.best.variant_name, trials=trials, seed=seed
            )
        except (AlignError, ValueError):
            continue
    return out


def experiments_table(readouts: Any) -> pd.DataFrame:
    """One row per variant across experiments, in words and formatted numbers."""
    rows = []
    for r in readouts:
        for name in r.comparison.names:
            c = r.comparison[name]
            rows.append(
                {
                    "experiment": stage_label(r.name),
                    "stage": _transition(r),
                    "variant": stage_label(name),
                    "control rate": format_value(c.rate_control, "pct1"),
                    "variant rate": format_value(c.rate_variant, "pct1"),
                    "lift": f"{c.relative_lift:+.1%}",
                    "lift interval": f"{c.relative_lift_ci[0]:+.1%} to {c.relative_lift_ci[1]:+.1%}",
                    "p-value": p_value(c.p_value_adjusted),
                    "chance better": format_value(c.prob_beat_control, "pct1"),
                    "traffic split": "MISMATCH" if r.srm.flag else "ok",
                }
            )
    return as_frame(rows, "experiment")


def _transition(readout: Any) -> str:
    """``MQL → SAL``: the conversion an experiment moves."""
    return f"{stage_label(readout.stage)} → {stage_label(readout.next_stage or '')}"


def experiment_detail_table(readout: Any) -> pd.DataFrame:
    """The full readout of one experiment, one column per arm comparison, in words."""
    cols = {}
    for name in readout.comparison.names:
        c = readout.comparison[name]
        cols[stage_label(name)] = {
            "control": f"{count(c.control[0])} of {count(c.control[1])} ({pct(c.rate_control, 1)})",
            "variant": f"{count(c.variant[0])} of {count(c.variant[1])} ({pct(c.rate_variant, 1)})",
            "difference": f"{c.diff * 100:+.2f} pts ({c.ci[0] * 100:+.2f} to {c.ci[1] * 100:+.2f})",
            "relative lift": (
                f"{c.relative_lift:+.1%} ({c.relative_lift_ci[0]:+.1%} to "
                f"{c.relative_lift_ci[1]:+.1%})"
            ),
            "test": f"{c.test}, p = {p_value(c.p_value)}"
            + (
                f" (adjusted {p_value(c.p_value_adjusted)}, {c.correction})"
                if c.correction and c.correction != "none"
                else ""
            ),
            "chance variant is better": format_value(c.prob_beat_control, "pct1"),
            "risk if shipped (points lost if it is worse)": points(c.expected_loss),
        }
    frame = pd.DataFrame(cols)
    frame.index.name = "measure"
    return frame


def experiment_methods(readouts: Any) -> list[str]:
    """Each experiment's methods, one line each, for the page's "How this is computed".

    Parameters
    ----------
    readouts : sequence of ExperimentReadout
        The readouts.

    Returns
    -------
    list of str
        ``"Fast response routing: ci: Newcombe hybrid Wilson score interval; ..."``.
    """
    out = []
    for r in readouts:
        methods = r.comparison.best.methods
        if methods:
            text = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in dict(methods).items())
            out.append(f"{stage_label(r.name)}: {text}")
    return out


def show_experiment(readout: Any, impact: Any | None, params: QuarterParams) -> None:
    """Display one experiment's section: readout, warnings, power, revenue impact."""
    from IPython.display import display as show

    from alignlib import display
    from alignlib.charts import experiments as echarts

    r = readout
    show(display.heading(f"{stage_label(r.name)} ({_transition(r)})"))
    if r.description:
        show(display.note(r.description))
    # Without planned_n_per_arm there is no sequential check: nothing was read early.
    seq = r.comparison.best.sequential
    read_early = seq is not None and seq.read_early
    kind = "danger" if r.srm.flag else "warning" if read_early else "ok"
    show(display.callout(r.headline, kind, title="Decision"))
    show(display.table(experiment_detail_table(r), caption="Readout (95% intervals)"))
    display.show(echarts.posterior_chart(r))
    warnings = []
    warnings.append(("danger" if r.srm.flag else "ok", f"Sample ratio: {r.srm.message}"))
    if read_early:
        warnings.append(("warning", f"Peeking: {seq.message}"))
    if r.detectable_effect is not None:
        warnings.append(("info", f"Power: {r.detectable_effect}"))
    if r.weeks_to_plan is not None:
        weeks = r.weeks_to_plan
        text = (
            "The planned sample is reached."
            if weeks <= 0
            else f"About {weeks:.1f} more weeks to reach the planned sample at this quarter's "
            f"planned {stage_label(r.stage)} volume."
        )
        warnings.append(("info", f"Run time: {text}"))
    for note in r.notes:
        warnings.append(("info", note))
    show(display.flags(warnings, none_message=None))
    if r.funnel_depth is not None:
        display.show(echarts.funnel_depth_chart(r.funnel_depth))
    if impact is not None:
        show(display.callout(impact.message, "info", title="What it is worth this quarter"))
        display.show(echarts.revenue_impact_chart(impact))
    # the methods are named once, in the page's "How this is computed" (experiment_methods)
