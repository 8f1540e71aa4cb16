"""The readout of each experiment in a parameters file: what a report and the CLI show.

:func:`analyse_experiment` puts the comparison, the sample-ratio check, power and (from a
per-lead export) later stages into one :class:`ExperimentReadout`;
:func:`analyse_experiments` does so for every experiment of a quarter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alignlib import format as fmt
from alignlib.errors import InputError
from alignlib.experiments.comparison import (
    FunnelDepth,
    ProportionsComparison,
    VariantsComparison,
    compare_variants,
    funnel_depth,
)
from alignlib.experiments.exports import load_experiment_export
from alignlib.experiments.frequentist import Correction
from alignlib.experiments.inputs import check_counts, following_stage, funnel_order
from alignlib.experiments.power import DetectableEffect, minimum_detectable_effect, weeks_to_run
from alignlib.experiments.srm import SrmCheck, srm_check
from alignlib.experiments.text import probability, transition

if TYPE_CHECKING:
    from alignlib.experiments.impact import RevenueImpact


def _get(spec: Any, key: str, default: Any = None) -> Any:
    if isinstance(spec, Mapping):
        return spec.get(key, default)
    return getattr(spec, key, default)


@dataclass(frozen=True)
class ExperimentReadout:
    """Everything the report says about one experiment.

    Attributes
    ----------
    name, stage, next_stage, description : str
    comparison : VariantsComparison
        Each variant against control (Holm-corrected by default).
    srm : SrmCheck
        Sample-ratio mismatch check of the assigned counts.
    planned_n_per_arm : int or None
    detectable_effect : DetectableEffect or None
        Smallest increase the planned sample detects at control's rate.
    weeks_to_plan : float or None
        Weeks still needed to reach the planned sample, from the stage's monthly volume.
    funnel_depth : FunnelDepth or None
        Later stages, when the data is a per-lead export.
    source : str
        ``"counts"`` (parameters file) or the export's path.
    notes : tuple of str
    headline : str
        One line for a VP: the SRM warning when flagged, else the best variant's decision.
    impact : RevenueImpact or None
        The best variant's effect on this quarter's bookings and P(hit target), when
        computed (``analyse_experiments(..., impact=True)``).
    """

    name: str
    stage: str | None
    next_stage: str | None
    description: str
    comparison: VariantsComparison
    srm: SrmCheck
    planned_n_per_arm: int | None
    detectable_effect: DetectableEffect | None
    weeks_to_plan: float | None
    funnel_depth: FunnelDepth | None
    source: str
    notes: tuple[str, ...]
    headline: str
    impact: RevenueImpact | None = None

    @property
    def trustworthy(self) -> bool:
        """False when the sample-ratio check failed."""
        return not self.srm.flag

    def to_frame(self) -> pd.DataFrame:
        """One row per variant, with the experiment's name and the SRM flag."""
        frame = self.comparison.to_frame()
        frame.insert(0, "experiment", self.name)
        frame["srm_p_value"] = self.srm.p_value
        frame["srm_flag"] = self.srm.flag
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "name": self.name,
            "stage": self.stage,
            "next_stage": self.next_stage,
            "description": self.description,
            "headline": self.headline,
            "trustworthy": self.trustworthy,
            "comparison": self.comparison.to_dict(),
            "srm": self.srm.to_dict(),
            "planned_n_per_arm": self.planned_n_per_arm,
            "detectable_effect": (
                self.detectable_effect.to_dict() if self.detectable_effect else None
            ),
            "weeks_to_plan": self.weeks_to_plan,
            "funnel_depth": self.funnel_depth.to_dict() if self.funnel_depth else None,
            "source": self.source,
            "notes": list(self.notes),
            "impact": self.impact.to_dict() if self.impact else None,
        }

    def __str__(self) -> str:
        stages = transition(self.stage, self.next_stage).strip()
        title = f"Experiment {self.name}" + (f" ({stages})" if stages else "")
        lines = [title, "=" * len(title)]
        if self.description:
            lines.append(self.description)
        if self.srm.flag or len(self.comparison.results) > 1:
            lines.append(self.headline)
        lines.append("")
        lines.append(("!! " if self.srm.flag else "") + self.srm.message)
        lines.append(str(self.comparison))
        if self.detectable_effect is not None:
            lines.append(f"  power: {self.detectable_effect}")
        if self.weeks_to_plan is not None:
            lines.append(f"  about {self.weeks_to_plan:.1f} more weeks to the planned sample")
        if self.funnel_depth is not None:
            lines.append("  later stages:")
            for s, comp in self.funnel_depth.readouts.items():
                for r in comp.results:
                    lines.append(
                        f"    {transition(self.stage, s)}{r.variant_name}: "
                        f"{fmt.pct(r.rate_control, 1)} -> {fmt.pct(r.rate_variant, 1)} "
                        f"({100 * r.diff:+.2f} pts, p={fmt.p_value(r.p_value_adjusted)}, "
                        f"P(better) {probability(r.prob_beat_control)})"
                    )
        if self.impact is not None:
            lines.append(f"  revenue impact: {self.impact.message}")
            lines.append(f"    ({self.impact.method})")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def analyse_experiment(
    spec: Any,
    *,
    stage_names: Sequence[str] | None = None,
    alpha: float = 0.05,
    correction: Correction = "holm",
    monthly_volume: float | None = None,
    base_dir: str | Path | None = None,
) -> ExperimentReadout:
    """Full readout of one experiment from the parameters file.

    Parameters
    ----------
    spec : ExperimentSpec or mapping
        ``name``, ``stage``, ``description``, ``control`` {conversions, n}, ``variants``
        {name: {conversions, n}}, ``expected_shares``, ``planned_n_per_arm``, ``export``.
        With ``export`` the counts come from the per-lead file
        (:func:`load_experiment_export`) and later stages are followed too.
    stage_names : sequence of str, optional
        Funnel order (``params.stage_names``).
    alpha : float
    correction : {"holm", "fdr_bh", "none"}
    monthly_volume : float, optional
        Leads entering the stage per month, for the weeks still to run.
    base_dir : path, optional
        Folder a relative ``export`` path is resolved against.

    Returns
    -------
    ExperimentReadout
    """
    name = str(_get(spec, "name") or "experiment")
    stage = _get(spec, "stage") or None
    names = funnel_order(stage_names)
    export = _get(spec, "export")
    depth = None
    notes: tuple[str, ...] = ()
    if export is not None:
        path = Path(export)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if stage is None:
            raise InputError(f"experiment {name!r}: an export needs the experiment's stage")
        counts = load_experiment_export(path, stage, stage_names=names)
        control = counts.control
        variants = counts.variants
        source = str(path)
        notes = counts.notes
        if len(next(iter(counts.reached.values()))) > 1:
            depth = funnel_depth(
                counts.n,
                counts.reached,
                stage,
                control=counts.arms[0],
                stage_names=names,
                alpha=alpha,
                correction=correction,
            )
    else:
        raw_control = _get(spec, "control")
        raw_variants = _get(spec, "variants") or {}
        if raw_control is None or not raw_variants:
            raise InputError(f"experiment {name!r}: give control and variant counts or an export")
        control = check_counts(raw_control, f"experiment {name!r} control")
        variants = {
            str(k): check_counts(v, f"experiment {name!r} variant {k!r}")
            for k, v in raw_variants.items()
        }
        source = "counts"
    planned = _get(spec, "planned_n_per_arm")
    comparison = compare_variants(
        control,
        variants,
        alpha,
        stage,
        correction=correction,
        planned_n_per_arm=planned,
        stage_names=names,
    )
    shares = _get(spec, "expected_shares")
    srm = srm_check(
        [control[1], *[v[1] for v in variants.values()]],
        None if shares is None else list(shares),
        arms=["control", *variants],
    )
    mde = None
    weeks = None
    if planned is not None:
        rate = control[0] / control[1]
        if 0 < rate < 1:
            try:
                mde = minimum_detectable_effect(rate, int(planned), alpha)
            except InputError:
                mde = None
        if monthly_volume is not None:
            remaining = max(0, int(planned) - min(control[1], *[v[1] for v in variants.values()]))
            weeks = weeks_to_run(remaining, monthly_volume, arms=1 + len(variants))
    if srm.flag:
        headline = f"DO NOT TRUST THIS READOUT: {srm.message}"
    else:
        headline = comparison.best.decision
    return ExperimentReadout(
        name=name,
        stage=stage,
        next_stage=following_stage(stage, names),
        description=str(_get(spec, "description", "") or ""),
        comparison=comparison,
        srm=srm,
        planned_n_per_arm=None if planned is None else int(planned),
        detectable_effect=mde,
        weeks_to_plan=weeks,
        funnel_depth=depth,
        source=source,
        notes=notes,
        headline=headline,
    )


def analyse_experiments(
    params: Any,
    *,
    alpha: float = 0.05,
    correction: Correction = "holm",
    monthly_volume: Mapping[str, float] | None = None,
    impact: bool = False,
    impact_trials: int | None = None,
) -> tuple[ExperimentReadout, ...]:
    """Readouts of every experiment in a parameters file.

    Parameters
    ----------
    params : QuarterParams
        Uses ``params.experiments``, ``params.stage_names`` and ``params.source_path``.
    alpha : float
    correction : {"holm", "fdr_bh", "none"}
    monthly_volume : mapping stage -> leads per month, optional
        Volume entering each stage (from the plan or actuals) for the weeks still to run
        (:func:`plan_monthly_volume` gives the plan's).
    impact : bool
        Also simulate each experiment's best variant's effect on the quarter's bookings
        and P(hit target) (:func:`revenue_impact`, lift mode).
    impact_trials : int, optional
        Simulated quarters for the impact (default ``params.simulation.trials``).

    Returns
    -------
    tuple of ExperimentReadout
        In file order; empty when the file lists no experiments.
    """
    # impact reads readouts, so it is imported here rather than at the top (a cycle).
    from alignlib.experiments.impact import revenue_impact

    source = getattr(params, "source_path", None)
    base_dir = Path(source).parent if source else None
    volumes = dict(monthly_volume or {})
    readouts = []
    for spec in params.experiments:
        readout = analyse_experiment(
            spec,
            stage_names=params.stage_names,
            alpha=alpha,
            correction=correction,
            monthly_volume=volumes.get(_get(spec, "stage")),
            base_dir=base_dir,
        )
        if impact and readout.stage in tuple(params.stage_names)[:-1]:
            readout = replace(readout, impact=revenue_impact(params, readout, trials=impact_trials))
        readouts.append(readout)
    return tuple(readouts)


def comparisons_of(
    result: ExperimentReadout | VariantsComparison | ProportionsComparison,
) -> tuple[ProportionsComparison, ...]:
    """The variant-against-control comparisons a readout, a multi-variant test or one pair holds.

    Parameters
    ----------
    result : ExperimentReadout, VariantsComparison or ProportionsComparison
        What was analysed.

    Returns
    -------
    tuple of ProportionsComparison
        One per variant against the control.

    Raises
    ------
    InputError
        For anything else.
    """
    if isinstance(result, ExperimentReadout):
        return result.comparison.results
    if isinstance(result, VariantsComparison):
        return result.results
    if isinstance(result, ProportionsComparison):
        return (result,)
    raise InputError(f"expected an experiment readout or comparison, got {type(result).__name__}")


def readouts_frame(readouts: Sequence[ExperimentReadout]) -> pd.DataFrame:
    """One row per (experiment, variant): the summary table of a report."""
    if not readouts:
        return pd.DataFrame()
    return pd.concat([r.to_frame().reset_index() for r in readouts], ignore_index=True)


def plan_monthly_volume(params: Any) -> dict[str, float]:
    """Leads entering each stage per month in the quarter's plan (for run times).

    The reverse funnel's required volume per stage divided by the quarter's months.

    Parameters
    ----------
    params : QuarterParams

    Returns
    -------
    dict
        stage -> leads per month.
    """
    from alignlib.planning import build_plan  # planning is pure; imported late to stay light

    plan = build_plan(params)
    months = len(params.months)
    return {
        stage: float(required) / months
        for stage, required in zip(plan.funnel.stages, plan.funnel.required, strict=True)
    }
