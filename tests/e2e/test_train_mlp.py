"""examples/train_mlp: a training step written with `value_and_grad` compiles and learns.

The driver script trains on C and its loss goes down; one step agrees with the reference
interpreter on every CPU-runnable target, and is exactly SGD on the gradient.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tessera
from tessera.compiler.agreement import compare

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_driver():
    spec = importlib.util.spec_from_file_location("train_mlp_driver", EXAMPLES / "train_mlp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_driver_trains_on_c_and_the_loss_goes_down():
    done = subprocess.run([sys.executable, str(EXAMPLES / "train_mlp.py"), "--steps", "20"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    losses = [float(v) for v in re.findall(r"^step +\d+ +loss (\S+)$", done.stdout, re.M)]
    assert len(losses) == 20
    assert losses[-1] < 0.5 * losses[0]
    assert all(b < a for a, b in zip(losses[5:], losses[6:]))  # steadily, once under way
    accuracy = float(re.search(r"training accuracy (\d+)%", done.stdout).group(1))
    assert accuracy >= 80


def test_the_driver_fails_when_the_loss_does_not_go_down(capsys):
    # One step has one loss: it cannot have gone down.
    assert load_driver().main(["--steps", "1"]) == 1
    assert "the loss did not go down" in capsys.readouterr().err


def one_step_inputs(program, seed: int):
    driver = load_driver()
    dims = program.bound_dims("train_mlp")
    rng = np.random.default_rng(seed)
    x, labels = driver.blobs(dims["B"], dims["C"], rng)
    return [x, labels, *driver.initial_parameters(dims["D"], dims["H"], dims["C"], rng)]


@pytest.mark.parametrize("target", ["c", "cuda-emu", "loops"])
def test_one_step_agrees_with_the_reference(target):
    program = tessera.compile(EXAMPLES / "train_mlp.tsr", target=target)
    reference = tessera.compile(EXAMPLES / "train_mlp.tsr", target="interp")
    args = one_step_inputs(reference, seed=4)
    for got, want in zip(program.train_mlp(*args), reference.train_mlp(*args)):
        agreement = compare(np.asarray(got), np.asarray(want))
        assert agreement.ok, f"{target}: {agreement}"


def test_a_step_is_sgd_on_the_gradient():
    program = tessera.compile(EXAMPLES / "train_mlp.tsr", target="interp")
    args = one_step_inputs(program, seed=1)
    loss, *updated = program.train_mlp(*args)
    value, *grads = program.mlp_loss_grad(*args)
    assert loss == value == program.mlp_loss(*args)
    for new, old, g in zip(updated, args[2:], grads):
        np.testing.assert_allclose(new, old - np.float32(0.5) * g, rtol=1e-6, atol=1e-7)
        assert np.abs(g).max() > 0
