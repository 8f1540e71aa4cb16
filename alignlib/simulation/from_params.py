"""The simulation of a quarter's parameters file.

The :class:`FunnelModel` a validated :class:`~alignlib.params.QuarterParams` implies, and
the runs on it with the file's trials, seed and confidence.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from alignlib.docstrings import shared_doc
from alignlib.errors import InputError
from alignlib.history.learning import ActualsHistory, actuals_history, learn_params
from alignlib.simulation.confidence import ConfidencePlan, plan_for_confidence
from alignlib.simulation.engine import simulate_funnel
from alignlib.simulation.model import (
    ChannelModel,
    DealSize,
    FunnelModel,
    Lag,
    LeadVolume,
    Rate,
    _check_count,
    build_model,
)
from alignlib.simulation.result import SimulationResult
from alignlib.simulation.sensitivity import SensitivityResult, sensitivity

if TYPE_CHECKING:
    from alignlib.params import QuarterParams

#: The quarter's parameters, which every function here reads.
_QUARTER = {"params : QuarterParams": "The quarter."}
_quarter_doc = shared_doc(parameters=_QUARTER)
#: A run on the quarter's funnel, seeded as the file says unless told.
_run_doc = shared_doc(
    parameters={**_QUARTER, "seed : int, optional": "Default ``params.simulation.seed``."}
)
#: A search on common random numbers, as many as the file says unless told.
_search_doc = shared_doc(
    parameters={
        **_QUARTER,
        "trials : int, optional": "Common random numbers; default ``params.simulation.trials``.",
        "seed : int, optional": "Default ``params.simulation.seed``.",
    }
)


def _history_cv(params: QuarterParams) -> float | None:
    """The month-to-month variation of lead volume beyond Poisson noise, from the actuals.

    The history's variation around trend (sd of log residuals) includes each month's own
    Poisson noise; the gamma level's coefficient of variation is what remains:
    ``cv_level^2 = cv^2 - 1 / mean monthly volume``.
    """
    learned = params.learned
    hist = learned if learned is not None and learned.volume_cv is not None else None
    if hist is None:
        found = actuals_history(params)
        hist = None if found is None else found.overall
    if hist is None:
        return None
    cv = hist.volume_cv
    volume = hist.monthly_volume
    if cv is None or not len(volume) or float(volume.mean()) <= 0:
        return None
    return math.sqrt(max(cv * cv - 1.0 / float(volume.mean()), 0.0))


@_quarter_doc
def volume_cv(params: QuarterParams) -> float | None:
    """The coefficient of variation of each month's lead level the file asks for.

    ``simulation.lead_volume``: ``{cv: x}`` gives x; ``history`` (the default with actuals)
    the actuals' month-to-month variation around trend beyond Poisson noise; ``poisson``
    and ``fixed`` give None.

    Returns
    -------
    float or None
        None also when ``history`` is the default but the actuals have too few complete
        months (a ``UserWarning`` says so when the file asked for ``history``).

    Raises
    ------
    InputError
        ``history`` without actuals to learn from.
    """
    spec = params.simulation.lead_volume
    asked = spec is not None
    if spec is None:
        spec = "history" if params.actuals is not None else "poisson"
    if spec in ("poisson", "fixed"):
        return None
    if not isinstance(spec, str):
        return float(spec.cv)
    if params.actuals is None:
        raise InputError("simulation.lead_volume: history needs an actuals: section to learn from")
    cv = _history_cv(params)
    if cv is None and asked:
        warnings.warn(
            "simulation.lead_volume: history, but the actuals have too few complete months "
            "to learn the variation of lead volume; leads are Poisson",
            UserWarning,
            stacklevel=2,
        )
    return cv


@_quarter_doc
def lead_volume_from_params(params: QuarterParams, leads: int) -> LeadVolume:
    """``leads`` expected leads, drawn as ``simulation.lead_volume`` says.

    ``poisson``: Poisson, phased by month with ``target.monthly_phasing`` when that is not
    equal thirds (each month Poisson); ``fixed``: exactly that many; ``{cv: x}`` and
    ``history`` (the default when the file has actuals): gamma-Poisson per month (the
    month's level ``lambda ~ Gamma(1/cv², mean_m cv²)``, then Poisson), so each month's
    volume has variance ``mean_m + cv² mean_m²`` (:func:`volume_cv`).

    Parameters
    ----------
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
    cv = volume_cv(params)
    if cv is not None and cv > 0:
        return LeadVolume.gamma_poisson(n, cv, phasing)
    if max(phasing) - min(phasing) > 1e-9:
        means = [n * ph / sum(phasing) for ph in phasing]
        return LeadVolume.monthly(means, [math.sqrt(m) for m in means])
    return LeadVolume.poisson(n)


@_quarter_doc
def channel_models(
    params: QuarterParams, history: ActualsHistory | None = None
) -> tuple[ChannelModel, ...]:
    """The channels whose funnels differ from the blend, as the simulation runs them.

    From :func:`alignlib.history.channels.channel_funnels` (the params' own channel rates
    and deal sizes, else each channel's history shrunk toward the blend, else the blend).
    Empty when there are no channels or every channel converts like the blend (the
    single-funnel model is then exact and faster).

    Parameters
    ----------
    history : ActualsHistory, optional
        What the actuals teach per channel (default: :func:`actuals_history`).

    Returns
    -------
    tuple of ChannelModel
    """
    if not params.channels:
        return ()
    from alignlib.history.channels import channel_funnels

    if history is None:
        history = actuals_history(params)
    funnels = channel_funnels(params, None if history is None else history.by_channel)
    total = sum(f.share for f in funnels)
    if all(f.converts_like_blend for f in funnels) or total <= 0:
        return ()
    out = []
    for f in funnels:
        rates = []
        for r in f.rates:
            spec = r.simulation_input
            if isinstance(spec, tuple):
                rates.append(Rate.from_counts(r.stage, spec[0], spec[1]))
            else:
                rates.append(Rate.parse(r.stage, spec))
        out.append(
            ChannelModel(
                name=f.name,
                share=f.share / total,
                rates=tuple(rates),
                deal_size=DealSize(f.deal_size_mean, f.deal_size_spread),
            )
        )
    return tuple(out)


@_quarter_doc
def deal_size_count(params: QuarterParams) -> int | None:
    """Won deals with an amount in the actuals (what the deal size's uncertainty rests on).

    Returns
    -------
    int or None
        None without actuals or won amounts.
    """
    learned = params.learned
    if learned is not None and learned.deal_size is not None:
        return int(learned.deal_size.n)
    history = actuals_history(params)
    if history is None or history.overall.deal_size is None:
        return None
    return int(history.overall.deal_size.n)


def _window_leads(volume: pd.Series, start: pd.Timestamp, days: float) -> float | None:
    """Leads that arrived over ``days`` days from ``start``, from complete monthly volumes.

    Each month's leads are spread evenly over its days; None when the window is not
    covered by complete months.
    """
    if not len(volume):
        return None
    begin = pd.Timestamp(start)
    end = begin + pd.Timedelta(days=days)
    first = volume.index.min().start_time
    last = (volume.index.max() + 1).start_time
    if begin < first or end > last:
        return None
    total = 0.0
    for month, n in volume.items():
        m0, m1 = month.start_time, (month + 1).start_time
        overlap = (min(m1, end) - max(m0, begin)).total_seconds()
        if overlap > 0:
            total += float(n) * overlap / (m1 - m0).total_seconds()
    return total


@_quarter_doc
def prior_leads_from_params(
    params: QuarterParams, model: FunnelModel, history: ActualsHistory | None = None
) -> tuple[LeadVolume, ...]:
    """The lead windows before the quarter's as volumes: what arrived, else the base plan.

    For each earlier window the model carries in (nearest first), the leads the actuals
    counted in it (complete months, each spread evenly over its days) as a fixed volume,
    or the model's own volume where the actuals do not cover it.

    Parameters
    ----------
    model : FunnelModel
        The quarter's funnel (its lead window and carry-in windows).
    history : ActualsHistory, optional
        Default :func:`actuals_history`.

    Returns
    -------
    tuple of LeadVolume
        Empty when nothing arrived (no actuals) or the model has no carry-in.
    """
    if not model.carry_in or params.actuals is None:
        return ()
    if history is None:
        history = actuals_history(params)
    if history is None:
        return ()
    assert model.quarter_days is not None
    earlier = sorted((j for j in model.carry_windows if j < 0), reverse=True)
    out: list[LeadVolume] = []
    for j in earlier:
        start = pd.Timestamp(params.quarter_start) + pd.Timedelta(
            days=model.lead_window_start + j * model.quarter_days
        )
        n = _window_leads(history.overall.monthly_volume, start, model.quarter_days)
        out.append(model.leads if n is None else LeadVolume.fixed(int(round(n))))
    while out and out[-1] is model.leads:
        out.pop()
    return tuple(out)


def model_from_params(
    params: QuarterParams,
    *,
    leads: int | LeadVolume | None = None,
    carry_in: bool = True,
    channels: bool = True,
) -> FunnelModel:
    """The funnel a quarter's parameters imply.

    * ``leads``: the given volume, else the plan's required leads
      (:func:`alignlib.planning.plan_funnel`: exact fractions from counts, through the
      channels' own funnels where they differ), drawn as :func:`lead_volume_from_params`
      says;
    * ``rates``: ``params.rate_inputs`` (counts become Beta posteriors);
    * ``deal_size``: lognormal with ``deal_size.mean`` and ``deal_size.spread``;
    * ``channels``: when a channel's funnel differs from the blend
      (:func:`channel_models`), each trial splits its leads across the channels by share
      and each runs its own rates and deal size;
    * ``lags``: ``params.lags`` (gamma, mean = typical, sd = spread) when any lag is given;
      the quarter is ``quarter_start .. quarter_end`` long and the lead window opens the
      typical lead-to-won lag before the quarter (as the monthly plan phases leads), so a
      deal with typical lags from a lead on the window's first day closes on the quarter's
      first day; with ``carry_in`` (default) the other windows' deals that land inside
      this quarter count (steady state), so lag *spread* moves deals across quarter ends
      in both directions instead of only losing them. Earlier windows keep the leads the
      actuals counted in them (:func:`prior_leads_from_params`).

    Parameters
    ----------
    params : QuarterParams
        The quarter (validated).
    leads : int or LeadVolume, optional
        Expected leads (drawn as the file says) or a volume as is.
    carry_in : bool
        Steady state across quarter ends (with lags only).
    channels : bool
        Run the channels' own funnels where they differ from the blend.

    Returns
    -------
    FunnelModel
    """
    params = learn_params(params)  # the actuals are read once, here or before
    if isinstance(leads, LeadVolume):
        volume = leads
    else:
        if leads is None:
            from alignlib.planning import plan_channel_funnels, plan_funnel

            funnels = plan_channel_funnels(params) if channels and params.channels else ()
            leads = int(plan_funnel(params, funnels).leads)
        volume = lead_volume_from_params(params, leads)
    lags = [Lag(lag.typical, lag.spread) for lag in params.lags]
    timed = any(lag.typical > 0 for lag in lags)
    model = build_model(
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
    history = actuals_history(params) if params.actuals is not None else None
    return replace(
        model,
        channels=channel_models(params, history) if channels else (),
        prior_leads=prior_leads_from_params(params, model, history),
    )


def trials_and_seed(
    params: QuarterParams, trials: int | None = None, seed: int | None = None
) -> tuple[int, int | None]:
    """The trials and seed of a run: the ones given, else the file's ``simulation:``.

    Parameters
    ----------
    params : QuarterParams
        The quarter.
    trials, seed : int, optional
        What the caller asked for (None: the file's).

    Returns
    -------
    (int, int or None)
        As given (not checked here: the run checks them); a seed of None draws fresh
        entropy.
    """
    return (
        params.simulation.trials if trials is None else trials,
        params.simulation.seed if seed is None else seed,
    )


@_run_doc
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
    trials : int, optional
        Default ``params.simulation.trials``.
    leads : int or LeadVolume, optional
        Default the reverse funnel's required leads (see :func:`model_from_params`).
    **options
        ``workers``, ``client``, ``scheduler``, ``chunk_size``, ``progress``: passed through.

    Returns
    -------
    SimulationResult
    """
    n, root = trials_and_seed(params, trials, seed)
    return simulate_funnel(model_from_params(params, leads=leads), trials=n, seed=root, **options)


@_search_doc
def plan_from_params(
    params: QuarterParams,
    *,
    confidence: float | None = None,
    trials: int | None = None,
    seed: int | None = None,
    leads: int | LeadVolume | None = None,
) -> ConfidencePlan:
    """:func:`plan_for_confidence` for a quarter's target and funnel (point plan as the plan's).

    Parameters
    ----------
    confidence : float, optional
        Default ``params.simulation.confidence``.
    leads : int or LeadVolume, optional
        Only its shape matters (see :func:`plan_for_confidence`); default as in
        :func:`model_from_params`.

    Returns
    -------
    ConfidencePlan
    """
    n, root = trials_and_seed(params, trials, seed)
    return plan_for_confidence(
        model_from_params(params, leads=leads),
        target=params.target.bookings,
        confidence=params.simulation.confidence if confidence is None else confidence,
        trials=n,
        seed=root,
    )


@_search_doc
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
    leads : int or LeadVolume, optional
        As in :func:`model_from_params`.
    swing : float
        Relative move, in (0, 1).
    method : {"posterior", "relative"}
        How rates given as counts move.

    Returns
    -------
    SensitivityResult
        With the deal size's sampling uncertainty when the actuals count its deals.
    """
    params = learn_params(params)
    n, root = trials_and_seed(params, trials, seed)
    return sensitivity(
        model_from_params(params, leads=leads),
        target=params.target.bookings,
        swing=swing,
        method=method,
        deal_size_n=deal_size_count(params),
        trials=n,
        seed=root,
    )
