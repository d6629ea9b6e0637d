"""Train examples/train_mlp.tsr's perceptron with SGD, compiled to C through the Python API.

    python examples/train_mlp.py [--steps 20] [--target c] [--seed 0]

The data are synthetic and seeded: three classes in the plane, each two Gaussian blobs (so
that no straight line separates a class: the hidden layer has work to do). Every step calls
the DSL function `train_mlp`, which returns the loss before the step and the updated
parameters; they are fed back in. The script prints the loss of every step and the training
accuracy, and exits with status 1 if the loss did not go down.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import tessera

SOURCE = Path(__file__).resolve().parent / "train_mlp.tsr"


def blobs(n: int, classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`n` points in the plane, each class two Gaussian blobs; labels one-hot."""
    centres = rng.uniform(-2.0, 2.0, size=(classes, 2, 2))
    label = rng.integers(0, classes, size=n)
    blob = rng.integers(0, 2, size=n)
    x = centres[label, blob] + 0.35 * rng.standard_normal((n, 2))
    return x.astype(np.float32), np.eye(classes, dtype=np.float32)[label]


def initial_parameters(features: int, hidden: int, classes: int, rng: np.random.Generator):
    """He-scaled weights and zero biases, in the order `train_mlp` takes them."""
    w1 = rng.standard_normal((features, hidden)) * np.sqrt(2.0 / features)
    w2 = rng.standard_normal((hidden, classes)) * np.sqrt(2.0 / hidden)
    return [w1.astype(np.float32), np.zeros(hidden, np.float32),
            w2.astype(np.float32), np.zeros(classes, np.float32)]


def train(steps: int = 20, target: str = "c", seed: int = 0, quiet: bool = False):
    """Run `steps` SGD steps; (the loss before each step, the training accuracy after)."""
    program = tessera.compile(SOURCE, target=target)
    dims = program.bound_dims("train_mlp")
    rng = np.random.default_rng(seed)
    x, labels = blobs(dims["B"], dims["C"], rng)
    params = initial_parameters(dims["D"], dims["H"], dims["C"], rng)
    losses = []
    for step in range(steps):
        loss, *params = program.train_mlp(x, labels, *params)
        losses.append(float(loss))
        if not quiet:
            print(f"step {step:3d}  loss {float(loss):.4f}")
    logits = program.mlp(x, *params)
    accuracy = float(np.mean(logits.argmax(axis=1) == labels.argmax(axis=1)))
    return losses, accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--target", default="c", help="c, cuda-emu, loops or interp")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    losses, accuracy = train(args.steps, args.target, args.seed)
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f} in {len(losses)} steps on "
          f"{args.target}; training accuracy {accuracy:.0%}")
    if not losses[-1] < losses[0]:
        print("error: the loss did not go down", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
