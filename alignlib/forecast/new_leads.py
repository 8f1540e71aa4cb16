"""Deals not yet created: the simulation of the leads still to come, counted if they close in time.

The simulation (:class:`~alignlib.simulation.FunnelModel`) counts the deals from a lead
window one quarter long that close inside its quarter. The leads still to come arrive
from the forecast date to the quarter's end, so :func:`simulate_new_leads` cuts that span
into windows the model can run exactly: whole-quarter windows that open before the quarter
(counted when they close inside it) and the last, shorter window that ends with the
quarter (all of whose closes before the quarter's end count). :func:`simulate_plan_time`
is the forecast made before the quarter without looking at the pipeline: the steady-state
simulation of the whole quarter, as the plan runs it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from alignlib.docstrings import shared_doc
from alignlib.forecast.volume import VolumeForecast
from alignlib.simulation import FunnelModel, simulate_funnel
from alignlib.simulation.streams import Stream

#: First word of the spawn keys of the forecast's random streams (kept with the
#: simulation's own keys in :mod:`alignlib.simulation.streams`).
FORECAST_STREAM = int(Stream.FORECAST)


def child_seed(seed: int, *key: int) -> int:
    """An independent root seed for one part of a forecast.

    Parameters
    ----------
    seed : int
        The forecast's seed.
    *key : int
        Which part.

    Returns
    -------
    int
    """
    ss = np.random.SeedSequence(seed, spawn_key=(FORECAST_STREAM, *key))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


#: The simulated quarters' Parameters and Returns: the leads still to come, drawn by trial.
_QUARTER_DRAWS = shared_doc(
    parameters={
        "volume : VolumeForecast": "Expected leads per day and their variation.",
        "quarter_start : pandas.Timestamp": "First day of the quarter.",
        "quarter_end : pandas.Timestamp": "Day after the quarter's last day (exclusive).",
        "trials : int": "Simulated quarters.",
        "seed : int": "Root seed.",
    },
    returns={"ndarray of float, shape (trials,)": "The revenue of each simulated quarter."},
)


@_QUARTER_DRAWS
def simulate_new_leads(
    base: FunnelModel,
    volume: VolumeForecast,
    cut: pd.Timestamp,
    quarter_start: pd.Timestamp,
    quarter_end: pd.Timestamp,
    *,
    trials: int,
    seed: int,
) -> np.ndarray:
    """Revenue from leads created from ``cut`` to the quarter's end that close inside the quarter.

    Parameters
    ----------
    base : FunnelModel
        Stages, rates, deal size and lags (its leads and windows are replaced).
    cut : pandas.Timestamp
        The forecast's moment (leads from it on are still to come).

    Returns
    -------
    ndarray of float, shape (trials,)
        Zeros when the quarter is over.
    """
    out = np.zeros(trials)
    quarter_days = float((quarter_end - quarter_start).days)
    if not base.has_lags:
        # without lags a deal closes when its lead arrives: leads inside the quarter count
        lo = max(pd.Timestamp(cut), pd.Timestamp(quarter_start))
        if lo >= quarter_end:
            return out
        days = float((quarter_end - lo) / pd.Timedelta(days=1))
        model = dataclasses.replace(base, leads=volume.window(lo, days), carry_in=False)
        if model.leads.mean > 0:
            out += simulate_funnel(model, trials=trials, seed=child_seed(seed, 1, 0)).revenue
        return out
    start = float((pd.Timestamp(cut) - quarter_start) / pd.Timedelta(days=1))
    part = 0
    while start < quarter_days - 1e-9:
        if start <= 0:
            # a whole-quarter window opening `start` days before the quarter: the model
            # counts its deals that close inside [0, quarter_days)
            length, frame_days, frame_start = quarter_days, quarter_days, start
        else:
            # the last window ends with the quarter; in its own frame it is the quarter
            length = quarter_days - start
            frame_days, frame_start = length, 0.0
        model = dataclasses.replace(
            base,
            leads=volume.window(quarter_start + pd.Timedelta(days=start), length),
            quarter_days=frame_days,
            lead_window_start=frame_start,
            carry_in=False,
        )
        if model.leads.mean > 0:
            out += simulate_funnel(model, trials=trials, seed=child_seed(seed, 1, part)).revenue
        part += 1
        start += length
    return out


@_QUARTER_DRAWS
def simulate_plan_time(
    base: FunnelModel,
    volume: VolumeForecast,
    quarter_start: pd.Timestamp,
    quarter_end: pd.Timestamp,
    *,
    trials: int,
    seed: int,
) -> np.ndarray:
    """The plan-time forecast: the whole quarter in steady state, no pipeline looked at.

    As :func:`~alignlib.simulation.model_from_params` runs a plan: the lead window opens
    the typical lead-to-won lag before the quarter and the neighbouring windows' deals
    that land inside it count (carry-in).

    Parameters
    ----------
    base : FunnelModel
        Stages, rates, deal size and lags.
    """
    quarter_days = float((quarter_end - quarter_start).days)
    lead = -sum(lag.typical for lag in base.lags) if base.lags is not None else 0.0
    model = dataclasses.replace(
        base,
        leads=volume.window(quarter_start + pd.Timedelta(days=lead), quarter_days),
        quarter_days=quarter_days if base.has_lags else None,
        lead_window_start=lead,
        carry_in=base.has_lags,
    )
    return simulate_funnel(model, trials=trials, seed=child_seed(seed, 2)).revenue.copy()
