"""One variant or several against control at one stage, and the same at later stages.

:func:`compare_proportions` gathers every figure a team needs (frequentist, Bayesian,
peeking guard) into a :class:`ProportionsComparison`; :func:`compare_variants` corrects the
p-values across variants; :func:`funnel_depth` follows the experiment to later stages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from alignlib.errors import InputError
from alignlib.experiments.bayesian import (
    METHOD_BAYES,
    METHOD_LOSS,
    expected_loss,
    prob_beat_control,
)
from alignlib.experiments.frequentist import (
    CORRECTION_NAMES,
    METHOD_DIFF_CI,
    TEST_ATTRIBUTES,
    Correction,
    adjust_p_values,
    lift_interval,
    newcombe_interval,
    two_proportion_test,
)
from alignlib.experiments.inputs import check_alpha, check_counts, following_stage, funnel_order
from alignlib.experiments.sequential import SequentialCheck, sequential_check
from alignlib.experiments.text import decision_line, format_comparison


@TEST_ATTRIBUTES
@dataclass(frozen=True)
class ProportionsComparison:
    """Readout of one variant against control at one stage.

    Attributes
    ----------
    control, variant : (conversions, n)
    variant_name : str
    stage, next_stage : str or None
        The transition measured (``sal`` -> ``sql``).
    alpha : float
    rate_control, rate_variant : float
    diff : float
        rate_variant - rate_control.
    ci : (float, float)
        Newcombe interval for ``diff`` at 1 - alpha.
    relative_lift : float or None
        rate_variant / rate_control - 1 (0.2 = +20%); None when control has no conversions.
    relative_lift_ci : (float, float) or None
        Katz log interval for the lift.
    p_value_adjusted : float
        After the multiple-comparison correction (equal to p_value for one variant).
    correction : str
    significant : bool
        p_value_adjusted <= alpha.
    prob_beat_control : float
        P(variant rate > control rate), exact.
    expected_loss : float
        E[max(control - variant, 0)]: what shipping the variant risks, in rate units.
    expected_loss_control : float
        E[max(variant - control, 0)]: what keeping control risks.
    sequential : SequentialCheck or None
        Peeking guard, when a planned sample size is known.
    decision : str
        One plain-language line.
    methods : dict
        Name of the method behind each figure.
    """

    control: tuple[int, int]
    variant: tuple[int, int]
    variant_name: str
    stage: str | None
    next_stage: str | None
    alpha: float
    rate_control: float
    rate_variant: float
    diff: float
    ci: tuple[float, float]
    relative_lift: float | None
    relative_lift_ci: tuple[float, float] | None
    z: float
    z_p_value: float
    fisher_p_value: float | None
    test: str
    p_value: float
    p_value_adjusted: float
    correction: str
    significant: bool
    prob_beat_control: float
    expected_loss: float
    expected_loss_control: float
    sequential: SequentialCheck | None
    decision: str
    methods: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (tuples become lists)."""
        d = {k: v for k, v in asdict(self).items() if k != "sequential"}
        for key in ("control", "variant", "ci", "relative_lift_ci"):
            if d[key] is not None:
                d[key] = list(d[key])
        d["sequential"] = self.sequential.to_dict() if self.sequential else None
        return d

    def to_frame(self) -> pd.DataFrame:
        """One-row table of the headline figures, indexed by variant name."""
        return pd.DataFrame([_row(self)]).set_index("variant")

    def __str__(self) -> str:
        return format_comparison(self)


def _row(r: ProportionsComparison) -> dict[str, Any]:
    return {
        "variant": r.variant_name,
        "stage": r.stage,
        "control_conversions": r.control[0],
        "control_n": r.control[1],
        "variant_conversions": r.variant[0],
        "variant_n": r.variant[1],
        "rate_control": r.rate_control,
        "rate_variant": r.rate_variant,
        "diff": r.diff,
        "ci_low": r.ci[0],
        "ci_high": r.ci[1],
        "relative_lift": r.relative_lift,
        "lift_ci_low": r.relative_lift_ci[0] if r.relative_lift_ci else None,
        "lift_ci_high": r.relative_lift_ci[1] if r.relative_lift_ci else None,
        "test": r.test,
        "p_value": r.p_value,
        "p_value_adjusted": r.p_value_adjusted,
        "significant": r.significant,
        "prob_beat_control": r.prob_beat_control,
        "expected_loss": r.expected_loss,
        "always_valid_p_value": r.sequential.always_valid_p_value if r.sequential else None,
    }


def compare_proportions(
    control: tuple[int, int],
    variant: tuple[int, int],
    alpha: float = 0.05,
    stage: str | None = None,
    *,
    next_stage: str | None = None,
    variant_name: str = "variant",
    planned_n_per_arm: int | None = None,
    stage_names: Sequence[str] | None = None,
) -> ProportionsComparison:
    """Compare one variant's conversion rate with control's, every way a team needs.

    Parameters
    ----------
    control, variant : (conversions, n)
        Counts per arm (a pair, a mapping or an object with ``conversions`` and ``n``).
    alpha : float
        Significance level (0.05 gives 95% intervals).
    stage : str, optional
        FROM stage whose conversion the experiment changes (``"sal"``), for the text.
    next_stage : str, optional
        The stage converted into; derived from ``stage_names`` (or the default funnel).
    variant_name : str
        Name printed in the decision line.
    planned_n_per_arm : int, optional
        The planned sample; adds the peeking guard (:func:`sequential_check`).
    stage_names : sequence of str, optional
        The funnel's stage order (``params.stage_names``).

    Returns
    -------
    ProportionsComparison

    Notes
    -----
    Degenerate input is defined, never NaN. No conversions in either arm (or every lead
    converted in both): rates equal, ``diff`` 0, ``z`` 0, ``p_value`` 1 (Fisher's test
    below 10,000 leads, as expected cells are below 5), ``prob_beat_control`` 0.5 when the arms are the same
    size (with unequal sizes the larger arm's posterior sits closer to the observed 0% or
    100%, so it moves away from 0.5), a small positive ``expected_loss`` (posterior
    uncertainty), a Newcombe interval around 0. When control
    has no conversions ``relative_lift`` and its interval are None (a lift over zero is
    undefined); when only the variant has none the lift is -100% and its interval adds 0.5
    to every count (named in ``methods``).
    """
    xc, nc = check_counts(control, "control")
    xv, nv = check_counts(variant, f"variant {variant_name}")
    alpha = check_alpha(alpha)
    if next_stage is None:
        next_stage = following_stage(stage, stage_names)
    rc, rv = xc / nc, xv / nv
    ci = newcombe_interval((xc, nc), (xv, nv), alpha)
    lift, lift_ci, lift_method = lift_interval(xc, nc, xv, nv, alpha)
    test = two_proportion_test((xc, nc), (xv, nv))
    seq = (
        sequential_check((xc, nc), (xv, nv), planned_n_per_arm, alpha)
        if planned_n_per_arm is not None
        else None
    )
    methods = {
        "ci": METHOD_DIFF_CI,
        "relative_lift_ci": lift_method,
        "test": test.method,
        "prob_beat_control": METHOD_BAYES,
        "expected_loss": METHOD_LOSS,
        "correction": CORRECTION_NAMES["none"],
    }
    if seq is not None:
        methods["sequential"] = seq.method
    result = ProportionsComparison(
        control=(xc, nc),
        variant=(xv, nv),
        variant_name=str(variant_name),
        stage=stage,
        next_stage=next_stage,
        alpha=alpha,
        rate_control=rc,
        rate_variant=rv,
        diff=rv - rc,
        ci=ci,
        relative_lift=lift,
        relative_lift_ci=lift_ci,
        z=test.z,
        z_p_value=test.z_p_value,
        fisher_p_value=test.fisher_p_value,
        test=test.test,
        p_value=test.p_value,
        p_value_adjusted=test.p_value,
        correction="none",
        significant=test.p_value <= alpha,
        prob_beat_control=prob_beat_control((xc, nc), (xv, nv)),
        expected_loss=expected_loss((xc, nc), (xv, nv)),
        expected_loss_control=expected_loss((xv, nv), (xc, nc)),
        sequential=seq,
        decision="",
        methods=methods,
    )
    return replace(result, decision=decision_line(result))


@dataclass(frozen=True)
class VariantsComparison:
    """Several variants against one control.

    Attributes
    ----------
    results : tuple of ProportionsComparison
        One per variant, with ``p_value_adjusted`` and ``significant`` after correction.
    correction : str
    alpha : float
    """

    results: tuple[ProportionsComparison, ...]
    correction: str
    alpha: float

    def __getitem__(self, name: str) -> ProportionsComparison:
        for r in self.results:
            if r.variant_name == name:
                return r
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Variant names, in input order."""
        return tuple(r.variant_name for r in self.results)

    @property
    def best(self) -> ProportionsComparison:
        """The variant most likely to beat control."""
        return max(self.results, key=lambda r: r.prob_beat_control)

    def to_frame(self) -> pd.DataFrame:
        """One row per variant."""
        return pd.DataFrame([_row(r) for r in self.results]).set_index("variant")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "correction": self.correction,
            "alpha": self.alpha,
            "variants": [r.to_dict() for r in self.results],
        }

    def __str__(self) -> str:
        return "\n".join(format_comparison(r) for r in self.results)


def compare_variants(
    control: tuple[int, int],
    variants: Mapping[str, tuple[int, int]],
    alpha: float = 0.05,
    stage: str | None = None,
    *,
    correction: Correction = "holm",
    next_stage: str | None = None,
    planned_n_per_arm: int | None = None,
    stage_names: Sequence[str] | None = None,
) -> VariantsComparison:
    """Compare several variants with one control, correcting the p-values.

    Parameters
    ----------
    control : (conversions, n)
    variants : mapping name -> (conversions, n)
    alpha : float
    stage : str, optional
    correction : {"holm", "fdr_bh", "none"}
        Holm's step-down (default) or Benjamini-Hochberg. With one variant no
        correction applies. Intervals stay per-comparison (unadjusted).
    next_stage, planned_n_per_arm, stage_names
        As for :func:`compare_proportions`.

    Returns
    -------
    VariantsComparison
    """
    if correction not in CORRECTION_NAMES:
        raise InputError(f"unknown correction {correction!r}: use 'holm', 'fdr_bh' or 'none'")
    if not variants:
        raise InputError("give at least one variant to compare with control")
    raw = [
        compare_proportions(
            control,
            counts,
            alpha,
            stage,
            next_stage=next_stage,
            variant_name=str(name),
            planned_n_per_arm=planned_n_per_arm,
            stage_names=stage_names,
        )
        for name, counts in variants.items()
    ]
    used = correction if len(raw) > 1 else "none"
    adjusted = adjust_p_values([r.p_value for r in raw], used)
    results = []
    for r, p_adj in zip(raw, adjusted, strict=True):
        methods = dict(r.methods)
        methods["correction"] = CORRECTION_NAMES[used]
        r2 = replace(
            r,
            p_value_adjusted=float(p_adj),
            correction=used,
            significant=bool(p_adj <= r.alpha),
            methods=methods,
        )
        results.append(replace(r2, decision=decision_line(r2)))
    return VariantsComparison(results=tuple(results), correction=used, alpha=float(alpha))


@dataclass(frozen=True)
class FunnelDepth:
    """Readouts of one experiment at every stage after the one it changes.

    Attributes
    ----------
    stage : str
        The experiment's FROM stage (leads are assigned on entering it).
    stages : tuple of str
        Later stages followed (the next stage first).
    arms : tuple of str
        Control first.
    n : dict
        Leads assigned per arm.
    reached : dict
        arm -> {later stage -> leads that reached it}.
    readouts : dict
        later stage -> :class:`VariantsComparison` of the rate from ``stage`` to it.
        Corrections apply across variants within a stage; later stages are secondary
        outcomes and are not corrected across stages.
    """

    stage: str
    stages: tuple[str, ...]
    arms: tuple[str, ...]
    n: dict[str, int]
    reached: dict[str, dict[str, int]]
    readouts: dict[str, VariantsComparison]

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per (variant, later stage)."""
        rows = []
        for to_stage, comp in self.readouts.items():
            for r in comp.results:
                row = _row(r)
                row["to_stage"] = to_stage
                rows.append(row)
        cols = ["variant", "to_stage"]
        frame = pd.DataFrame(rows)
        return frame[cols + [c for c in frame.columns if c not in cols]]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "stage": self.stage,
            "stages": list(self.stages),
            "arms": list(self.arms),
            "n": dict(self.n),
            "reached": {a: dict(v) for a, v in self.reached.items()},
            "readouts": {s: c.to_dict() for s, c in self.readouts.items()},
        }


def funnel_depth(
    n: Mapping[str, int],
    reached: Mapping[str, Mapping[str, int]],
    stage: str,
    *,
    control: str = "control",
    stage_names: Sequence[str] | None = None,
    alpha: float = 0.05,
    correction: Correction = "holm",
) -> FunnelDepth:
    """Follow an experiment at ``stage`` to every later stage (did more SQLs mean more wins).

    Parameters
    ----------
    n : mapping arm -> int
        Leads assigned per arm (all entered ``stage``).
    reached : mapping arm -> {later stage -> int}
        Leads of each arm that reached each later stage (cumulative: a won lead also
        reached opportunity).
    stage : str
        The experiment's FROM stage.
    control : str
        Name of the control arm.
    stage_names : sequence of str, optional
        Funnel order; later stages are compared in this order.
    alpha : float
    correction : {"holm", "fdr_bh", "none"}
        Across variants, within each later stage.

    Returns
    -------
    FunnelDepth
    """
    if control not in n:
        raise InputError(f"no arm named {control!r} among {sorted(n)}")
    if len(n) < 2:
        raise InputError("funnel depth needs control and at least one variant")
    names = funnel_order(stage_names)
    later_all = names[names.index(stage) + 1 :] if stage in names else ()
    found = {s for counts in reached.values() for s in counts}
    unknown = found - set(later_all)
    if unknown:
        raise InputError(
            f"stages {sorted(unknown)} are not after {stage!r} in the funnel {list(names)}"
        )
    later = tuple(s for s in later_all if s in found)
    if not later:
        raise InputError(f"no counts for any stage after {stage!r}")
    arms = (control, *[a for a in n if a != control])
    readouts = {}
    for s in later:
        for arm in arms:
            if s not in reached.get(arm, {}):
                raise InputError(f"arm {arm!r} has no count for stage {s!r}")
        readouts[s] = compare_variants(
            (reached[control][s], n[control]),
            {a: (reached[a][s], n[a]) for a in arms[1:]},
            alpha,
            stage,
            correction=correction,
            next_stage=s,
            stage_names=names,
        )
    return FunnelDepth(
        stage=stage,
        stages=later,
        arms=arms,
        n={a: int(n[a]) for a in arms},
        reached={a: {s: int(reached[a][s]) for s in later} for a in arms},
        readouts=readouts,
    )
