"""Revenue impact of shipping a variant, through the quarter's Monte Carlo simulation."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.experiments.comparison import ProportionsComparison, VariantsComparison
from alignlib.experiments.inputs import following_stage
from alignlib.experiments.readout import ExperimentReadout, comparisons_of
from alignlib.experiments.text import transition
from alignlib.format import money_compact, stage_label

if TYPE_CHECKING:
    from alignlib.simulation import FunnelModel

ImpactMode = Literal["lift", "replace"]

METHOD_IMPACT = {
    "lift": (
        "Monte Carlo on common random numbers: in each simulated quarter the stage's rate is "
        "multiplied by a lift p_v / p_c drawn from the Beta posteriors of the experiment's "
        "variant and control"
    ),
    "replace": (
        "Monte Carlo on common random numbers: in each simulated quarter the stage's rate is "
        "drawn from the experiment's control posterior (without) and its variant posterior "
        "(with)"
    ),
}


@dataclass(frozen=True)
class RevenueImpact:
    """What shipping a variant is worth this quarter, from the funnel simulation.

    Attributes
    ----------
    experiment, variant_name, stage : str
    currency : str
    target : float
        Bookings target of the quarter.
    mode : {"lift", "replace"}
    rollout_share : float
        Share of the stage's volume the variant reaches when shipped.
    trials, seed : int
    expected_bookings_control, expected_bookings_variant : float
        Mean simulated in-quarter bookings without and with the variant.
    expected_delta : float
        Their difference (same random numbers in both runs).
    expected_delta_se : float
        Monte Carlo standard error of ``expected_delta`` (paired).
    delta_interval : (float, float)
        Central ``interval`` range of the per-quarter change in bookings.
    interval : float
    prob_bookings_up : float
        Share of simulated quarters in which the variant adds bookings.
    prob_hit_control, prob_hit_variant : float
        P(in-quarter bookings >= target) without and with the variant.
    prob_hit_delta, prob_hit_delta_se : float
        Their difference and its paired Monte Carlo standard error.
    lift_mean : float
        Mean relative change in the stage's rate across trials (0.1 = +10%).
    delta_bookings : numpy.ndarray
        Per-trial change in bookings (read-only; for charts).
    method : str
    message : str
    """

    experiment: str
    variant_name: str
    stage: str
    currency: str
    target: float
    mode: str
    rollout_share: float
    trials: int
    seed: int
    expected_bookings_control: float
    expected_bookings_variant: float
    expected_delta: float
    expected_delta_se: float
    delta_interval: tuple[float, float]
    interval: float
    prob_bookings_up: float
    prob_hit_control: float
    prob_hit_variant: float
    prob_hit_delta: float
    prob_hit_delta_se: float
    lift_mean: float
    delta_bookings: np.ndarray = field(repr=False)
    method: str = ""
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (without the per-trial array)."""
        d = {k: v for k, v in asdict(self).items() if k != "delta_bookings"}
        d["delta_interval"] = list(self.delta_interval)
        return d

    def to_frame(self) -> pd.DataFrame:
        """Two rows (without / with the variant): expected bookings and P(hit)."""
        return pd.DataFrame(
            {
                "expected_bookings": [
                    self.expected_bookings_control,
                    self.expected_bookings_variant,
                ],
                "prob_hit_target": [self.prob_hit_control, self.prob_hit_variant],
            },
            index=pd.Index(["without variant", f"with {self.variant_name}"], name="scenario"),
        )

    def __str__(self) -> str:
        return self.message


def _money(value: float, currency: str) -> str:
    return money_compact(value, currency, signed=True)


def revenue_impact(
    params: Any,
    result: ExperimentReadout | VariantsComparison | ProportionsComparison,
    variant: str | None = None,
    *,
    mode: ImpactMode = "lift",
    rollout_share: float = 1.0,
    trials: int | None = None,
    seed: int | None = None,
    interval: float = 0.9,
    model: FunnelModel | None = None,
) -> RevenueImpact:
    """Change in expected bookings and in P(hit target) this quarter from shipping a variant.

    Runs the quarter's Monte Carlo funnel (:mod:`alignlib.simulation`, the model of
    ``simulate_from_params``) twice on the same per-trial random numbers
    (:class:`alignlib.simulation.CommonRandomNumbers`): once as planned, once with the
    experiment's stage rate changed, so the difference carries no noise from re-drawing.

    * ``mode="lift"`` (default): each trial's rate at the stage (the plan's rate, or a draw
      from its historical counts) is multiplied by ``p_v / p_c``, with p_v and p_c drawn
      from the experiment's Beta(1 + conversions, 1 + n - conversions) posteriors, capped
      at 1. The planned quarter stays the baseline; the experiment supplies the lift and
      its uncertainty.
    * ``mode="replace"``: the stage's rate is drawn from the experiment's control posterior
      (without) and its variant posterior (with), for experiments run on the very
      population the plan counts.

    With ``rollout_share`` s < 1 only that share of the stage's volume gets the variant
    (rate = (1 - s) x without + s x with, exact for binomial thinning).

    Parameters
    ----------
    params : QuarterParams
        The quarter: target, funnel, deal size, lags and simulation settings.
    result : ExperimentReadout, VariantsComparison or ProportionsComparison
        The experiment readout; its ``stage`` must be a stage of the funnel.
    variant : str, optional
        Which variant (default: the one most likely to beat control).
    mode : {"lift", "replace"}
    rollout_share : float
        In [0, 1].
    trials : int, optional
        Simulated quarters (default ``params.simulation.trials``).
    seed : int, optional
        Default ``params.simulation.seed``; the same seed gives the same numbers.
    interval : float
        Central probability of ``delta_interval`` (0.9 = 5th to 95th percentile).
    model : FunnelModel, optional
        The quarter's funnel (default ``model_from_params(params)``); pass one changed with
        ``dataclasses.replace`` to value the variant in another world.

    Returns
    -------
    RevenueImpact
    """
    from alignlib import simulation as sim
    from alignlib.simulation.streams import Stream, stream_generator

    model = sim.model_from_params(params) if model is None else model
    comps = comparisons_of(result)
    if variant is None:
        chosen = max(comps, key=lambda r: r.prob_beat_control)
    else:
        matches = [r for r in comps if r.variant_name == variant]
        if not matches:
            raise InputError(
                f"no variant {variant!r} in this readout (variants: "
                f"{', '.join(r.variant_name for r in comps)})"
            )
        chosen = matches[0]
    name = result.name if isinstance(result, ExperimentReadout) else "experiment"
    stage = chosen.stage
    names = model.stages
    if stage is None or stage not in names[:-1]:
        raise InputError(
            f"experiment {name!r}: stage {stage!r} is not a converting stage of the funnel "
            f"({', '.join(names[:-1])})"
        )
    if mode not in METHOD_IMPACT:
        raise InputError(f"mode must be 'lift' or 'replace', got {mode!r}")
    if not (0.0 <= float(rollout_share) <= 1.0):
        raise InputError(f"rollout_share must lie in [0, 1], got {rollout_share!r}")
    if not (0.0 < float(interval) < 1.0):
        raise InputError(f"interval must lie strictly between 0 and 1, got {interval!r}")
    from alignlib.simulation.from_params import trials_and_seed

    n_trials, root = trials_and_seed(params, trials, seed)
    n_trials = int(n_trials)
    if n_trials < 2:
        raise InputError(f"trials must be at least 2, got {trials!r}")
    if root is None:
        root = int(np.random.SeedSequence().entropy % 2**63)  # type: ignore[operator]
    root = int(root)

    crn = sim.CommonRandomNumbers.draw(model, n_trials, root)
    i = names.index(stage)
    # The experiment's posteriors get their own stream, independent of the simulation's.
    rng = stream_generator(root, Stream.EXPERIMENT_POSTERIORS, i)
    (xc, nc), (xv, nv) = chosen.control, chosen.variant
    p_c = rng.beta(1 + xc, 1 + nc - xc, n_trials)
    p_v = rng.beta(1 + xv, 1 + nv - xv, n_trials)
    base = crn.rate_draws[i]
    if mode == "lift":
        without = base
        with_ = np.clip(base * p_v / p_c, 0.0, 1.0)
    else:
        without, with_ = p_c, p_v
    s = float(rollout_share)
    with_ = (1 - s) * without + s * with_

    def bookings(rate_row: np.ndarray) -> np.ndarray:
        draws = crn.rate_draws.copy()
        draws[i] = rate_row
        return replace(crn, rate_draws=draws).revenue(model.leads.mean)

    rev_c, rev_v = bookings(without), bookings(with_)
    delta = rev_v - rev_c
    target = float(params.target.bookings)
    hit_c, hit_v = rev_c >= target, rev_v >= target
    hit_diff = hit_v.astype(float) - hit_c.astype(float)
    tail = (1 - float(interval)) / 2
    lo, hi = np.quantile(delta, [tail, 1 - tail])
    currency = getattr(params, "currency", "USD")
    expected_delta = float(delta.mean())
    p_hit_c, p_hit_v = float(hit_c.mean()), float(hit_v.mean())
    transition_text = transition(stage, following_stage(stage, names)).strip()
    message = (
        f"Shipping {stage_label(chosen.variant_name)} ({transition_text}) changes expected "
        f"{params.quarter} "
        f"bookings by {_money(expected_delta, currency)} ({interval:.0%} of simulated "
        f"quarters between {_money(float(lo), currency)} and {_money(float(hi), currency)}); "
        f"the chance of the {money_compact(target, currency)} target goes from {p_hit_c:.0%} "
        f"to {p_hit_v:.0%}."
    )
    if s < 1:
        message += f" Assumes {s:.0%} of the stage's volume gets the variant."
    delta.setflags(write=False)
    return RevenueImpact(
        experiment=name,
        variant_name=chosen.variant_name,
        stage=stage,
        currency=currency,
        target=target,
        mode=mode,
        rollout_share=s,
        trials=n_trials,
        seed=root,
        expected_bookings_control=float(rev_c.mean()),
        expected_bookings_variant=float(rev_v.mean()),
        expected_delta=expected_delta,
        expected_delta_se=float(delta.std(ddof=1) / math.sqrt(n_trials)),
        delta_interval=(float(lo), float(hi)),
        interval=float(interval),
        prob_bookings_up=float(np.mean(delta > 0)),
        prob_hit_control=p_hit_c,
        prob_hit_variant=p_hit_v,
        prob_hit_delta=p_hit_v - p_hit_c,
        prob_hit_delta_se=float(hit_diff.std(ddof=1) / math.sqrt(n_trials)),
        lift_mean=float(np.mean(with_ / np.where(without > 0, without, 1.0)) - 1),
        delta_bookings=delta,
        method=METHOD_IMPACT[mode] + f"; {n_trials:,} trials, seed {root}",
        message=message,
    )
