"""The simulation of a quarter's parameters file.

The :class:`FunnelModel` a validated :class:`~alignlib.params.QuarterParams` implies, and
the runs on it with the file's trials, seed and confidence.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from alignlib.simulation.confidence import ConfidencePlan, plan_for_confidence
from alignlib.simulation.engine import simulate_funnel
from alignlib.simulation.model import (
    DealSize,
    FunnelModel,
    Lag,
    LeadVolume,
    _check_count,
    build_model,
)
from alignlib.simulation.result import SimulationResult
from alignlib.simulation.sensitivity import SensitivityResult, sensitivity

if TYPE_CHECKING:
    from alignlib.params import QuarterParams


def lead_volume_from_params(params: QuarterParams, leads: int) -> LeadVolume:
    """``leads`` expected leads, drawn as ``simulation.lead_volume`` says.

    ``poisson``: Poisson, phased by month with ``target.monthly_phasing`` when that is not
    equal thirds (each month Poisson); ``fixed``: exactly that many.

    Parameters
    ----------
    params : QuarterParams
        The quarter.
    leads : int
        Expected leads.

    Returns
    -------
    LeadVolume
    """
    n = _check_count(leads, "leads")
    if params.simulation.lead_volume == "fixed":
        return LeadVolume.fixed(n)
    phasing = [float(x) for x in params.phasing]
    if max(phasing) - min(phasing) > 1e-9:
        means = [n * ph / sum(phasing) for ph in phasing]
        return LeadVolume.monthly(means, [math.sqrt(m) for m in means])
    return LeadVolume.poisson(n)


def model_from_params(
    params: QuarterParams, *, leads: int | LeadVolume | None = None, carry_in: bool = True
) -> FunnelModel:
    """The funnel a quarter's parameters imply.

    * ``leads``: the given volume, else the point-estimate reverse funnel's required leads,
      drawn as :func:`lead_volume_from_params` says;
    * ``rates``: ``params.rate_inputs`` (counts become Beta posteriors);
    * ``deal_size``: lognormal with ``deal_size.mean`` and ``deal_size.spread``;
    * ``lags``: ``params.lags`` (gamma, mean = typical, sd = spread) when any lag is given;
      the quarter is ``quarter_start .. quarter_end`` long and the lead window opens the
      typical lead-to-won lag before the quarter (as the monthly plan phases leads), so a
      deal with typical lags from a lead on the window's first day closes on the quarter's
      first day; with ``carry_in`` (default) the neighbouring quarters run the same plan and
      their deals that land inside this quarter count (steady state), so lag *spread* moves
      deals across quarter ends in both directions instead of only losing them.

    Parameters
    ----------
    params : QuarterParams
        The quarter (validated).
    leads : int or LeadVolume, optional
        Expected leads (drawn as the file says) or a volume as is.
    carry_in : bool
        Steady state across quarter ends (with lags only).

    Returns
    -------
    FunnelModel
    """
    if isinstance(leads, LeadVolume):
        volume = leads
    else:
        if leads is None:
            from alignlib.planning import reverse_funnel

            plan = reverse_funnel(
                params.target.bookings, params.deal_size.mean, params.stage_names, params.rates
            )
            leads = int(plan.leads)
        volume = lead_volume_from_params(params, leads)
    lags = [Lag(lag.typical, lag.spread) for lag in params.lags]
    timed = any(lag.typical > 0 for lag in lags)
    return build_model(
        leads=volume,
        stages=list(params.stage_names),
        rates=list(params.rate_inputs),
        deal_size=DealSize(params.deal_size.mean, params.deal_size.spread),
        lags=lags if timed else None,
        quarter_days=(
            float((params.quarter_end - params.quarter_start).days + 1) if timed else None
        ),
        lead_window_start=-sum(lag.typical for lag in lags) if timed else 0.0,
        carry_in=carry_in and timed,
    )


def simulate_from_params(
    params: QuarterParams,
    *,
    trials: int | None = None,
    seed: int | None = None,
    leads: int | LeadVolume | None = None,
    **options: Any,
) -> SimulationResult:
    """Run :func:`simulate_funnel` on a quarter's parameters.

    Parameters
    ----------
    params : QuarterParams
        The quarter.
    trials : int, optional
        Default ``params.simulation.trials``.
    seed : int, optional
        Default ``params.simulation.seed``.
    leads : int or LeadVolume, optional
        Default the reverse funnel's required leads (see :func:`model_from_params`).
    **options
        ``workers``, ``client``, ``scheduler``, ``chunk_size``, ``progress``: passed through.

    Returns
    -------
    SimulationResult
    """
    return simulate_funnel(
        model_from_params(params, leads=leads),
        trials=params.simulation.trials if trials is None else trials,
        seed=params.simulation.seed if seed is None else seed,
        **options,
    )


def plan_from_params(
    params: QuarterParams,
    *,
    confidence: float | None = None,
    trials: int | None = None,
    seed: int | None = None,
    leads: int | LeadVolume | None = None,
) -> ConfidencePlan:
    """:func:`plan_for_confidence` for a quarter's target and funnel (point plan at ``params.rates``).

    Parameters
    ----------
    params : QuarterParams
        The quarter.
    confidence : float, optional
        Default ``params.simulation.confidence``.
    trials : int, optional
        Common random numbers; default ``params.simulation.trials``.
    seed : int, optional
        Default ``params.simulation.seed``.
    leads : int or LeadVolume, optional
        Only its shape matters (see :func:`plan_for_confidence`); default as in
        :func:`model_from_params`.

    Returns
    -------
    ConfidencePlan
    """
    return plan_for_confidence(
        model_from_params(params, leads=leads),
        target=params.target.bookings,
        confidence=params.simulation.confidence if confidence is None else confidence,
        trials=params.simulation.trials if trials is None else trials,
        seed=params.simulation.seed if seed is None else seed,
        point_rates=list(params.rates),
    )


def sensitivity_from_params(
    params: QuarterParams,
    *,
    leads: int | LeadVolume | None = None,
    swing: float = 0.1,
    method: str = "posterior",
    trials: int | None = None,
    seed: int | None = None,
) -> SensitivityResult:
    """:func:`sensitivity` for a quarter, at the point-plan lead volume unless ``leads``.

    Parameters
    ----------
    params : QuarterParams
        The quarter.
    leads : int or LeadVolume, optional
        As in :func:`model_from_params`.
    swing : float
        Relative move, in (0, 1).
    method : {"posterior", "relative"}
        How rates given as counts move.
    trials : int, optional
        Common random numbers; default ``params.simulation.trials``.
    seed : int, optional
        Default ``params.simulation.seed``.

    Returns
    -------
    SensitivityResult
    """
    return sensitivity(
        model_from_params(params, leads=leads),
        target=params.target.bookings,
        swing=swing,
        method=method,
        trials=params.simulation.trials if trials is None else trials,
        seed=params.simulation.seed if seed is None else seed,
    )
