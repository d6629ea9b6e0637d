"""Every example runs on the C target and agrees with the reference, at its default sizes
and at odd and prime ones; small ones also run at the loop level in xDSL's interpreter."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tessera
from tessera.compiler.agreement import compare

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# (file, entry, bindings): the defaults first, then odd and prime sizes.
RUNS = [
    ("matmul.tsr", "matmul", {}),
    ("matmul.tsr", "matmul", {"M": 100, "K": 37, "N": 53}),
    ("mlp.tsr", "mlp", {}),
    ("mlp.tsr", "mlp", {"B": 7}),
    ("lenet5.tsr", "lenet5", {}),
    ("lenet5.tsr", "lenet5", {"N": 3}),
    ("resnet_block.tsr", "resnet_block", {}),
    ("resnet_block.tsr", "resnet_block", {"C": 5, "H": 7, "W": 11}),
    ("attention.tsr", "attention", {}),
    ("attention.tsr", "attention", {"T": 13, "D": 29}),
    ("bmm.tsr", "bmm", {}),
    ("bmm.tsr", "bmm", {"N": 1, "M": 17, "K": 3, "P": 19}),
    ("bmm.tsr", "rowmax_t", {"M": 13, "K": 1}),
    ("lenet5_int8.tsr", "lenet5_int8", {}),
    ("lenet5_int8.tsr", "lenet5_int8", {"N": 2}),
]

LOOP_RUNS = [
    ("matmul.tsr", "matmul", {"M": 5, "K": 7, "N": 3}),
    ("mlp.tsr", "mlp", {"B": 2}),
    ("attention.tsr", "attention", {"T": 3, "D": 5}),
    ("bmm.tsr", "rowmax_t", {"M": 3, "K": 5}),
]


def run_both(file: str, entry: str, bindings: dict, target: str, seed: int = 0):
    compiled = tessera.compile(EXAMPLES / file, target=target, bindings=bindings)
    reference = tessera.compile(EXAMPLES / file, target="interp", bindings=bindings)
    inputs = compiled.example_inputs(entry, seed)
    got = getattr(compiled, entry)(*inputs)
    want = getattr(reference, entry)(*inputs)
    return (got, want) if isinstance(got, tuple) else ((got,), (want,))


def _id(run) -> str:
    return f"{run[1]}-" + "-".join(f"{k}{v}" for k, v in run[2].items()) if run[2] else run[1]


@pytest.mark.parametrize("run", RUNS, ids=[_id(r) for r in RUNS])
def test_example_on_c(run):
    got, want = run_both(*run, target="c")
    for g, w in zip(got, want):
        agreement = compare(g, w)
        assert agreement.ok, f"{run}: {agreement}"


@pytest.mark.parametrize("run", LOOP_RUNS, ids=[_id(r) for r in LOOP_RUNS])
def test_example_on_loops(run):
    got, want = run_both(*run, target="loops")
    for g, w in zip(got, want):
        assert compare(g, w).ok


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_lenet5_c_compiles_without_warnings(tmp_path):
    c_file = tmp_path / "lenet5.c"
    subprocess.run(
        [str(Path(sys.executable).parent / "tessera-opt"), str(EXAMPLES / "lenet5.tsr"), "-p", "lower-to-c", "-t", "c",
         "-o", str(c_file)],
        check=True,
    )
    result = subprocess.run(
        ["gcc", "-std=c99", "-O2", "-fopenmp", "-Wall", "-Wextra", "-Werror", "-c", str(c_file),
         "-o", str(tmp_path / "lenet5.o")],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr


def test_symbolic_dims_inferred_from_arrays():
    prog = tessera.compile(EXAMPLES / "mlp.tsr")
    rng = np.random.default_rng(1)
    for batch in (1, 5):
        x = rng.standard_normal((batch, 784)).astype(np.float32)
        w1 = rng.standard_normal((784, 128)).astype(np.float32) * 0.05
        b1 = rng.standard_normal(128).astype(np.float32)
        w2 = rng.standard_normal((128, 10)).astype(np.float32) * 0.05
        y = prog.mlp(x, w1, b1, w2)
        assert y.shape == (batch, 10)
        np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
