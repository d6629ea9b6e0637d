"""Gathering and scattering any offset pattern with strided moves."""

from types import SimpleNamespace

import numpy as np
import pytest

from tessera.dialects.npu import Region
from tessera.targets.npu.moves import gather, runs, scatter


def machine():
    return SimpleNamespace(sp=np.zeros(4096, np.float32),
                           dram={"x": np.arange(2000, dtype=np.float32),
                                 "y": np.zeros(2000, np.float32)})


@pytest.mark.parametrize("offsets, moves", [
    (np.arange(100), 1),  # contiguous
    (np.zeros(30, int), 1),  # a broadcast: column stride 0
    (np.arange(0, 80, 2), 1),  # every other element: column stride 2
    (np.concatenate([np.arange(28) + 32 * r for r in range(5)]), 1),  # image rows (im2col)
    (np.repeat(np.arange(6), 49), 1),  # a bias over 7x7 pixels: 6 rows, row stride 1
    (np.array([5, 3, 9, 9, 1]), 4),  # irregular: still right, in more moves
])
def test_gather_compresses_regular_patterns(offsets, moves):
    m = machine()
    dest = Region("sp", 7, 1, len(offsets))
    instructions = gather("x", offsets, dest)
    assert len(instructions) == moves
    for i in instructions:
        i.run(m)
    np.testing.assert_array_equal(m.sp[7:7 + len(offsets)], m.dram["x"][offsets])


def test_random_patterns_round_trip_through_gather_and_scatter():
    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(1, 60))
        m = machine()
        src = rng.integers(0, 2000, size=n)
        region = Region("sp", 100, 1, n)
        for i in gather("x", src, region):
            i.run(m)
        dst = rng.permutation(2000)[:n]  # distinct targets
        for i in scatter("y", dst, region):
            assert i.stride >= 0
            i.run(m)
        np.testing.assert_array_equal(m.dram["y"][dst], m.dram["x"][src])


def test_runs_split_where_the_step_changes():
    assert runs(np.array([0, 1, 2, 10, 20, 30, 7])) == [(0, 0, 3, 1), (3, 10, 3, 10),
                                                          (6, 7, 1, 1)]
    assert runs(np.array([4, 6, 8]), contiguous=True) == [(0, 4, 1, 1), (1, 6, 1, 1),
                                                          (2, 8, 1, 1)]
