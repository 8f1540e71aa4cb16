"""Random-stream keys: fixed forever, one per purpose, independent of each other."""

from __future__ import annotations

import numpy as np

from alignlib.simulation.streams import Stream, block_generator, stream_generator


def test_stream_keys_are_fixed():
    # changing a key changes every number a seed gives: these values are part of the contract
    assert Stream.COMMON_RANDOM_NUMBERS == 1
    assert Stream.EXPERIMENT_POSTERIORS == 5
    assert len({int(s) for s in Stream}) == len(Stream)


def test_generators_follow_their_spawn_keys_and_differ():
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence(7, spawn_key=(2,))))
    assert block_generator(7, 2).random() == expected.random()
    ss = np.random.SeedSequence(7, spawn_key=(1, 2))
    assert stream_generator(7, Stream.COMMON_RANDOM_NUMBERS, 2).random() == (
        np.random.Generator(np.random.PCG64(ss)).random()
    )
    draws = {
        block_generator(7, 1).random(),
        block_generator(7, 5).random(),
        stream_generator(7, Stream.COMMON_RANDOM_NUMBERS, 0).random(),
        stream_generator(7, Stream.EXPERIMENT_POSTERIORS, 0).random(),
        block_generator(8, 1).random(),
    }
    assert len(draws) == 5
