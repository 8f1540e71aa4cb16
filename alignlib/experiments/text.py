"""The words of a readout: stage transitions, probabilities, the decision line.

Numbers are written by :mod:`alignlib.format` (one p-value style everywhere); this module
puts them into sentences.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignlib import format as fmt
from alignlib.experiments.frequentist import CORRECTION_NAMES

if TYPE_CHECKING:
    from alignlib.experiments.comparison import ProportionsComparison


def transition(stage: str | None, next_stage: str | None) -> str:
    """A stage's conversion as a reader writes it, with a trailing space: ``SAL->SQL ``.

    Parameters
    ----------
    stage : str or None
        The FROM stage.
    next_stage : str or None
        The stage converted into.

    Returns
    -------
    str
        Empty without a stage; the stage's label alone without a next stage.
    """
    if stage is None:
        return ""
    if next_stage is None:
        return f"{fmt.stage_label(stage)} "
    return f"{fmt.stage_label(stage)}->{fmt.stage_label(next_stage)} "


def probability(p: float) -> str:
    """A probability for a reader: never '100%' unless it is exactly 1.

    Parameters
    ----------
    p : float
        A probability.

    Returns
    -------
    str
        ``>99.9%`` and ``<0.1%`` at the ends, one decimal within 1% of them, else whole
        percents.
    """
    if p >= 1.0:
        return "100%"
    if p <= 0.0:
        return "0%"
    if p > 0.999:
        return ">99.9%"
    if p < 0.001:
        return "<0.1%"
    if 0.99 < p or p < 0.01:
        return f"{100 * p:.1f}%"
    return f"{100 * p:.0f}%"


def decision_line(r: ProportionsComparison) -> str:
    """One plain-language line: what changed, how sure we are, and the verdict.

    Parameters
    ----------
    r : ProportionsComparison
        The comparison (its ``decision`` is not read).

    Returns
    -------
    str
        The line, ending in a verdict (ship it, keep control, keep running, no
        reliable difference).
    """
    name = fmt.stage_label(r.variant_name)  # "instant_routing" reads "Instant routing"
    what = f"{transition(r.stage, r.next_stage)}conversion"
    if r.diff > 0:
        head = f"{name} raises {what} from {fmt.pct(r.rate_control, 1)} to {fmt.pct(r.rate_variant, 1)}"
    elif r.diff < 0:
        head = f"{name} lowers {what} from {fmt.pct(r.rate_control, 1)} to {fmt.pct(r.rate_variant, 1)}"
    else:
        head = f"{name} leaves {what} unchanged at {fmt.pct(r.rate_control, 1)}"
    if r.relative_lift is not None and r.diff != 0:
        head += f" ({r.relative_lift:+.0%})"
    head += (
        f"; {probability(r.prob_beat_control)} chance it is better; "
        f"risk if shipped {fmt.points(r.expected_loss)}"
    )
    test = "Fisher" if r.test == "fisher" else "z-test"
    p_text = f"p={fmt.p_value(r.p_value_adjusted)}"
    if r.correction != "none":
        p_text += f" after {CORRECTION_NAMES[r.correction]}"
    lo, hi = (100 * v for v in r.ci)
    ci_text = f"{1 - r.alpha:.0%} CI {lo:+.1f} to {hi:+.1f} pts"
    seq = r.sequential
    if seq is not None and seq.read_early:
        if seq.significant and r.significant:
            verdict = (
                f"read early ({seq.fraction_of_plan:.0%} of plan) but significant even "
                f"allowing for peeking (always-valid p={fmt.p_value(seq.always_valid_p_value)}): "
                + ("ship it." if r.diff > 0 else "stop it and keep control.")
            )
        else:
            verdict = (
                f"read early ({seq.fraction_of_plan:.0%} of the planned "
                f"{seq.planned_n_per_arm:,} per arm): too early to call, keep running "
                f"({test} {p_text}, not valid for an early look)."
            )
    elif r.significant and r.diff > 0:
        verdict = f"statistically significant ({test} {p_text}; {ci_text}): ship it."
    elif r.significant and r.diff < 0:
        verdict = f"significantly worse ({test} {p_text}; {ci_text}): keep control."
    else:
        verdict = (
            f"not statistically significant ({test} {p_text}; {ci_text}): "
            "no reliable difference at this sample size."
        )
    return f"{head}. Verdict: {verdict}"


def format_comparison(r: ProportionsComparison) -> str:
    """A readable multi-line readout of one comparison.

    Parameters
    ----------
    r : ProportionsComparison
        The comparison.

    Returns
    -------
    str
        The decision line, then the counts, interval, lift, test, Bayesian figures and
        peeking guard, one per line.
    """
    lines = [r.decision]
    lvl = f"{1 - r.alpha:.0%}"
    lines.append(
        f"  control {r.control[0]:,}/{r.control[1]:,} = {fmt.pct(r.rate_control, 2)}   "
        f"{r.variant_name} {r.variant[0]:,}/{r.variant[1]:,} = {fmt.pct(r.rate_variant, 2)}"
    )
    lines.append(
        f"  difference {100 * r.diff:+.2f} pts, {lvl} CI [{100 * r.ci[0]:+.2f}, "
        f"{100 * r.ci[1]:+.2f}] ({r.methods['ci']})"
    )
    if r.relative_lift is not None and r.relative_lift_ci is not None:
        lines.append(
            f"  relative lift {r.relative_lift:+.1%}, {lvl} CI [{r.relative_lift_ci[0]:+.1%}, "
            f"{r.relative_lift_ci[1]:+.1%}] ({r.methods['relative_lift_ci']})"
        )
    else:
        lines.append(f"  relative lift: {r.methods['relative_lift_ci']}")
    p_line = f"  p-value {fmt.p_value(r.p_value)} ({r.methods['test']}; z = {r.z:.2f})"
    if r.correction != "none":
        p_line += f", adjusted {fmt.p_value(r.p_value_adjusted)} ({r.methods['correction']})"
    lines.append(p_line)
    lines.append(
        f"  P(better than control) {probability(r.prob_beat_control)}; expected loss if shipped "
        f"{100 * r.expected_loss:.3f} pts, if kept {100 * r.expected_loss_control:.3f} pts "
        f"(exact Beta-posterior integrals)"
    )
    if r.sequential is not None:
        s = r.sequential
        lines.append(
            f"  peeking guard: {s.message} Always-valid CI [{100 * s.always_valid_ci[0]:+.2f}, "
            f"{100 * s.always_valid_ci[1]:+.2f}] pts ({s.method})"
        )
    return "\n".join(lines)
