"""A plan sized for confidence, beside the point-estimate reverse funnel.

The smallest lead volume that hits the target with a chosen probability.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from alignlib.docstrings import shared_doc
from alignlib.errors import InputError
from alignlib.simulation._docs import FUNNEL, SEARCH
from alignlib.simulation.crn import CommonRandomNumbers
from alignlib.simulation.engine import DEFAULT_SEARCH_TRIALS, checked_inputs
from alignlib.simulation.model import (
    _MAX_COUNT,
    DealSize,
    FunnelModel,
    LeadVolume,
    _check_nonnegative,
)


def _point_plan(
    target: float, model: FunnelModel, point_rates: Sequence[Any] | None
) -> tuple[dict[str, float], list[Any]]:
    """The reverse funnel's required volume per stage at point rates (exact fractions).

    With channels (and no ``point_rates``) the mix's reverse funnel: each channel at its
    own point rates and deal size, as the plan does.
    """
    from alignlib.planning import ChannelInput, mixed_reverse_funnel, reverse_funnel

    if model.channels and point_rates is None:
        mixed = mixed_reverse_funnel(
            target,
            model.stages,
            [
                ChannelInput(
                    share=ch.share,
                    rates=[r.exact_point for r in ch.rates],
                    deal_size=ch.deal_size.mean,
                )
                for ch in model.channels
            ],
        )
        volumes = dict(zip(model.stages, (float(x) for x in mixed.required), strict=True))
        return volumes, list(mixed.rates)
    rates = list(point_rates) if point_rates is not None else [r.exact_point for r in model.rates]
    if len(rates) != len(model.rates):
        raise InputError(f"point_rates: {len(rates)} rates for {len(model.rates)} transitions")
    plan = reverse_funnel(target, model.deal_size.mean, model.stages, rates)
    return dict(zip(model.stages, (float(x) for x in plan.required), strict=True)), rates


def _reach_per_lead(model: FunnelModel) -> np.ndarray:
    """Expected volume per stage for one lead (posterior-mean rates; channels by share)."""
    if not model.channels:
        return np.concatenate([[1.0], np.cumprod([r.mean for r in model.rates])])
    return np.sum(
        [
            ch.share * np.concatenate([[1.0], np.cumprod([r.mean for r in ch.rates])])
            for ch in model.channels
        ],
        axis=0,
    )


@dataclass(frozen=True)
class ConfidencePlan:
    """The smallest lead volume that hits the target with the chosen confidence.

    Attributes
    ----------
    target, confidence : float
        The bookings target and the required P(revenue >= target).
    leads : int
        Expected leads to plan for (the mean of the lead volume distribution).
    p_hit : float
        P(hit) at ``leads`` on the common random numbers (>= confidence).
    stage_volumes : dict
        Expected volume per stage under ``leads`` (leads x posterior-mean rates; with
        channels, each channel's rates weighted by its share).
    point_leads : float
        Leads from the point-estimate reverse funnel (:func:`alignlib.planning.reverse_funnel`).
    point_stage_volumes : dict
        The reverse funnel's required volume per stage.
    point_p_hit : float
        P(hit) if you plan the point-estimate volume instead: usually well below confidence.
    trials, seed : int
        Common random numbers used (``seed`` reproduces them).
    """

    target: float
    confidence: float
    leads: int
    p_hit: float
    stage_volumes: dict[str, float]
    point_leads: float
    point_stage_volumes: dict[str, float]
    point_p_hit: float
    trials: int
    seed: int

    @property
    def extra_leads(self) -> float:
        """Leads the confidence-sized plan adds over the point plan."""
        return self.leads - self.point_leads

    def to_frame(self) -> pd.DataFrame:
        """Per stage: the point plan, the confidence-sized plan and the difference."""
        stages = list(self.stage_volumes)
        df = pd.DataFrame(
            {
                "point_plan": [self.point_stage_volumes[s] for s in stages],
                "confidence_plan": [self.stage_volumes[s] for s in stages],
            },
            index=pd.Index(stages, name="stage"),
        )
        df["difference"] = df["confidence_plan"] - df["point_plan"]
        df.attrs.update(
            {"p_hit": self.p_hit, "point_p_hit": self.point_p_hit, "confidence": self.confidence}
        )
        return df

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: every field, in order (the volume dicts copied)."""
        return asdict(self)


@shared_doc(parameters={**FUNNEL, **SEARCH})
def plan_for_confidence(
    model: FunnelModel | None = None,
    *,
    target: float,
    confidence: float = 0.8,
    trials: int | None = None,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    point_rates: Sequence[float | Fraction | tuple[int, int]] | None = None,
    max_leads: int = _MAX_COUNT,
    memory_gb: float | None = None,
    leads: int | LeadVolume | None = None,
    stages: Sequence[str] | None = None,
    rates: Sequence[float | tuple[int, int]] | None = None,
    deal_size: float | tuple[float, float] | DealSize | None = None,
    lags: Sequence[Any] | Mapping[str, Any] | None = None,
    quarter_days: float | None = None,
    lead_window_start: float | None = None,
    carry_in: bool | None = None,
) -> ConfidencePlan:
    """Smallest lead volume with P(revenue >= target) >= confidence, beside the point plan.

    The search holds the per-trial randomness fixed (:class:`CommonRandomNumbers`) and
    varies only the expected lead volume of the quarter being planned (its lead window and
    the later ones, which run the same plan): earlier windows, whose deals carry into the
    quarter, keep the leads that arrived (``model.prior_leads``) or else the point plan's. P(hit) is then non-decreasing in it, and the answer is found by doubling from
    the point-estimate plan and bisecting on integers.

    Parameters
    ----------
    model : FunnelModel, optional
        The funnel. Only the *shape* of its lead volume is used (fixed, Poisson, or monthly
        with its phasing and relative spread); its size is what is searched. Or give the
        funnel keywords instead, as in :func:`simulate_funnel`.
    target : float
        Bookings target for the quarter.
    confidence : float
        Required P(hit), in (0, 1).
    trials : int, optional
        Common random numbers drawn (the Monte Carlo error of P(hit) is about
        ``sqrt(c (1 - c) / trials)``); default :data:`DEFAULT_SEARCH_TRIALS`.
    point_rates : sequence, optional
        Rates for the point-estimate plan: numbers, ``Fraction`` or ``(converted, total)``
        counts, kept exact (default: the rate, or exactly converted / total; with channels,
        each channel's own, mixed as the plan mixes them).
    max_leads : int
        Give up above this volume.
    leads : int or LeadVolume, optional
        Keyword form: the shape of the lead volume (default: fixed).

    Returns
    -------
    ConfidencePlan

    Raises
    ------
    InputError
        Confidence outside (0, 1), a non-positive target, bad funnel inputs, more trials
        than fit in the memory budget, or no volume up to ``max_leads`` reaching the
        confidence.
    """
    c = _check_nonnegative(confidence, "confidence")
    if not (0.0 < c < 1.0):
        raise InputError(f"confidence: {confidence!r} must be between 0 and 1 (e.g. 0.8)")
    if not (math.isfinite(float(target)) and float(target) > 0):
        raise InputError(f"target: {target!r} must be a positive amount")
    if model is None and leads is None:
        leads = LeadVolume.fixed(0)
    model, n, entropy = checked_inputs(
        model,
        DEFAULT_SEARCH_TRIALS if trials is None else trials,
        seed,
        rng,
        "plan_for_confidence",
        {
            "leads": leads,
            "stages": stages,
            "rates": rates,
            "deal_size": deal_size,
            "lags": lags,
            "quarter_days": quarter_days,
            "lead_window_start": lead_window_start,
            "carry_in": carry_in,
        },
    )
    point_volumes, _ = _point_plan(float(target), model, point_rates)
    point_leads = point_volumes[model.stages[0]]
    # earlier windows keep what arrived, else the base (point) plan: only this quarter's
    # volume is searched
    earlier = sum(1 for j in model.carry_windows if j < 0) if model.carry_in else 0
    if earlier > len(model.prior_leads):
        base = model.leads.scaled(point_leads)
        model = replace(
            model,
            prior_leads=model.prior_leads + (base,) * (earlier - len(model.prior_leads)),
        )
    crn = CommonRandomNumbers.draw(
        model, n, entropy, memory_gb=memory_gb, where="plan_for_confidence"
    )

    def p_at(n: int) -> float:
        return crn.p_hit(target, n)

    lo, hi = 0, max(1, int(math.ceil(point_leads)))
    p_hi = p_at(hi)
    while p_hi < c:
        lo = hi
        if hi >= max_leads:
            raise InputError(
                f"no lead volume up to {max_leads:,} reaches P(hit) >= {c:.0%} for target "
                f"{float(target):,.0f} (P(hit) = {p_hi:.1%} at {hi:,} leads)"
            )
        hi = min(2 * hi, max_leads)
        p_hi = p_at(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        p_mid = p_at(mid)
        if p_mid >= c:
            hi, p_hi = mid, p_mid
        else:
            lo = mid
    volumes = hi * _reach_per_lead(model)
    return ConfidencePlan(
        target=float(target),
        confidence=c,
        leads=int(hi),
        p_hit=p_hi,
        stage_volumes=dict(zip(model.stages, (float(v) for v in volumes), strict=True)),
        point_leads=point_leads,
        point_stage_volumes=point_volumes,
        point_p_hit=p_at(int(math.ceil(point_leads))),
        trials=crn.trials,
        seed=crn.seed,
    )
