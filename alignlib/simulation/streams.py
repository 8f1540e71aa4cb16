"""The random streams of a run: one ``SeedSequence`` spawn key per purpose, in one place.

Every draw of a run comes from ``SeedSequence(root, spawn_key=key)``. Keys are fixed
forever (changing one changes every number a seed gives), so that each purpose has an
independent stream whatever else runs:

* ``(block,)``: trial block ``block`` of :func:`~alignlib.simulation.simulate_funnel`;
* ``(Stream.COMMON_RANDOM_NUMBERS, block)``: block ``block`` of
  :class:`~alignlib.simulation.CommonRandomNumbers` (plan search, sensitivity, impact);
* ``(Stream.EXPERIMENT_POSTERIORS, stage)``: an experiment's posterior draws for the stage
  at index ``stage`` (:func:`alignlib.experiments.impact.revenue_impact`);
* ``(Stream.FORECAST, *part)``: the root seeds of a landing forecast's parts
  (:func:`alignlib.forecast.new_leads.child_seed`).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """First word of a spawn key for the streams other than the simulation's own blocks."""

    COMMON_RANDOM_NUMBERS = 1
    EXPERIMENT_POSTERIORS = 5
    FORECAST = 7


def block_generator(root: int, block: int) -> np.random.Generator:
    """The generator of :func:`~alignlib.simulation.simulate_funnel`'s trial block ``block``.

    Parameters
    ----------
    root : int
        Root entropy of the run (the seed).
    block : int
        Block number, from 0.

    Returns
    -------
    numpy.random.Generator
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(root, spawn_key=(block,))))


def stream_generator(root: int, stream: Stream, index: int) -> np.random.Generator:
    """The generator of purpose ``stream``, part ``index`` (a block or a stage).

    Parameters
    ----------
    root : int
        Root entropy of the run (the seed).
    stream : Stream
        What the draws are for.
    index : int
        Which block (common random numbers) or stage (experiment posteriors).

    Returns
    -------
    numpy.random.Generator
    """
    ss = np.random.SeedSequence(root, spawn_key=(int(stream), index))
    return np.random.Generator(np.random.PCG64(ss))
