"""Monte Carlo simulation of the funnel: the odds of hitting plan, and what moves them.

A plan sized for confidence, and which input moves those odds most; runs on threads locally
or on a dask cluster.

The input is one typed, frozen :class:`FunnelModel` (:mod:`.model`; from a params file:
:func:`model_from_params`; one input changed: ``dataclasses.replace(model, ...)``). Per trial
(one possible quarter):

* **leads** arrive: a fixed number, ``Poisson(mean)``, or per-month volumes with a spread
  (gamma-Poisson, i.e. negative binomial, per month: ``LeadVolume.gamma_poisson(mean, cv)``);
* with **channels** whose funnels differ from the blend, each trial splits its leads
  across them by share and each channel runs its own rates and deal size;
* each **stage** converts a binomial share of the volume that reached it. A rate is fixed,
  or given as historical ``(converted, total)`` counts, read as a
  ``Beta(1 + converted, 1 + total - converted)`` posterior: every trial draws its own rate,
  so uncertainty about the rate shows in the spread of the result;
* every **won deal** is worth a fixed amount or a lognormal amount (fitted to a mean and a
  spread by the method of moments); revenue is the sum over the trial's won deals
  (:mod:`.draws`: exact sums for few deals, a three-moment shifted lognormal above);
* with **stage lags** (days, typical and spread, each a gamma distribution with that mean
  and standard deviation) a won deal counts toward the quarter only if it closes inside
  it (:mod:`.timing`); the rest is reported as revenue before or after the quarter. Leads
  arrive uniformly over a window one quarter long (by default the quarter itself;
  ``lead_window_start`` moves it earlier, as the monthly plan does). With ``carry_in``
  (steady state, the default of :func:`model_from_params`) deals from every other
  window's leads that close inside the quarter count too (all windows the lags reach).

Modules: :mod:`.model` (the inputs), :mod:`.timing`, :mod:`.draws` (one block of trials),
:mod:`.engine` (:func:`simulate_funnel`: blocks, chunks, threads, dask), :mod:`.result`,
:mod:`.crn` (:class:`CommonRandomNumbers`), :mod:`.confidence` (:func:`plan_for_confidence`),
:mod:`.sensitivity`, :mod:`.from_params`, :mod:`.streams` (the random-stream keys).
"""

from __future__ import annotations

from alignlib.simulation.confidence import ConfidencePlan, plan_for_confidence
from alignlib.simulation.crn import CommonRandomNumbers
from alignlib.simulation.draws import approximate_deal_sum, simulate_block
from alignlib.simulation.engine import (
    BLOCK_TRIALS,
    DEFAULT_SEARCH_TRIALS,
    DEFAULT_TRIALS,
    ProgressCallback,
    run_chunk,
    simulate_funnel,
)
from alignlib.simulation.from_params import (
    channel_models,
    lead_volume_from_params,
    model_from_params,
    plan_from_params,
    sensitivity_from_params,
    simulate_from_params,
)
from alignlib.simulation.model import (
    DEAL_SUM_EXACT_BELOW,
    DEFAULT_QUARTER_DAYS,
    ChannelModel,
    DealSize,
    FunnelModel,
    Lag,
    LeadVolume,
    Rate,
    build_model,
)
from alignlib.simulation.result import SimulationResult
from alignlib.simulation.sensitivity import SensitivityResult, sensitivity
from alignlib.simulation.streams import Stream
from alignlib.simulation.timing import (
    Timing,
    carry_in_probabilities,
    carry_windows,
    close_probabilities,
    total_lag_cdf,
)

__all__ = [
    "BLOCK_TRIALS",
    "DEAL_SUM_EXACT_BELOW",
    "DEFAULT_QUARTER_DAYS",
    "DEFAULT_SEARCH_TRIALS",
    "DEFAULT_TRIALS",
    "ChannelModel",
    "CommonRandomNumbers",
    "ConfidencePlan",
    "DealSize",
    "FunnelModel",
    "Lag",
    "LeadVolume",
    "ProgressCallback",
    "Rate",
    "SensitivityResult",
    "SimulationResult",
    "Stream",
    "Timing",
    "approximate_deal_sum",
    "build_model",
    "carry_in_probabilities",
    "carry_windows",
    "channel_models",
    "close_probabilities",
    "lead_volume_from_params",
    "model_from_params",
    "plan_for_confidence",
    "plan_from_params",
    "run_chunk",
    "sensitivity",
    "sensitivity_from_params",
    "simulate_block",
    "simulate_from_params",
    "simulate_funnel",
    "total_lag_cdf",
]
