"""Every example gives the same results with and without the optimizations (graph folding,
simplification, CSE and DCE, convolution strategies, epilogue fusion, buffer reuse), on the
C target and the CUDA emulation, and both agree with the reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tessera
from tessera.compiler.agreement import compare

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROGRAMS = sorted(p.name for p in EXAMPLES.glob("*.tsr"))


def entry_of(file: str) -> str:
    from tessera.compiler.api import default_entry, read_source
    from tessera.compiler.frontend.parser import parse_program

    text, name = read_source(EXAMPLES / file)
    return default_entry(parse_program(text, name), name)


def results(file: str, target: str, optimize: bool, inputs) -> tuple:
    program = tessera.compile(EXAMPLES / file, target=target, optimize=optimize)
    got = getattr(program, entry_of(file))(*inputs)
    return got if isinstance(got, tuple) else (got,)


@pytest.mark.parametrize("target", ["c", "cuda-emu"])
@pytest.mark.parametrize("file", PROGRAMS)
def test_example_with_and_without_optimizations(file, target):
    entry = entry_of(file)
    reference = tessera.compile(EXAMPLES / file, target="interp")
    inputs = reference.example_inputs(entry, seed=3)
    want = getattr(reference, entry)(*inputs)
    want = want if isinstance(want, tuple) else (want,)
    optimized = results(file, target, True, inputs)
    plain = results(file, target, False, inputs)
    for o, p, w in zip(optimized, plain, want, strict=True):
        assert compare(o, w).ok, (file, compare(o, w))
        assert compare(p, w).ok, (file, compare(p, w))
        if np.issubdtype(w.dtype, np.integer):
            np.testing.assert_array_equal(o, p)


def test_the_optimizations_change_the_code():
    """Not a no-op: LeNet-5's optimized C runs fewer loop nests and plans its buffers."""
    program = tessera.compile(EXAMPLES / "lenet5.tsr", optimize=True)
    plain = tessera.compile(EXAMPLES / "lenet5.tsr", optimize=False)
    fast, slow = program.memory_report("lenet5"), plain.memory_report("lenet5")
    assert fast.planned < fast.unplanned
    assert slow.planned >= slow.unplanned  # every buffer its own bytes
    spec, plain_spec = program.lowering_spec(), plain.lowering_spec()
    assert "optimize-graph" in spec or "lower-to-linalg" in spec
    assert "epilogues=false" in plain_spec and "reuse=false" in plain_spec
