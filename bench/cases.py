"""The benchmark cases: a `.tsr` source, its bindings, inputs, FLOP count and peers.

A case is one function compiled at one binding of its symbolic dimensions; it runs at each of
its thread counts. FLOPs count multiply-adds as two: 2·M·N·K for a matmul,
2·N·K·C·OH·OW·KH·KW for a convolution; the end-to-end cases count their matmuls and
convolutions only (bias, ReLU, pooling and softmax are left out).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench import peers

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

MATMUL = """\
dim M = 64
dim K = 64
dim N = 64

def matmul(a: f32[M, K], b: f32[K, N]) -> f32[M, N] {
  return a @ b
}
"""

CONV = """\
dim N = 1
dim C = 64
dim K = 64
dim H = 56
dim W = 56

def conv(x: f32[N, C, H, W], w: f32[K, C, 3, 3]) -> f32[N, K, H, W] {
  return conv2d(x, w, padding=1)
}
"""


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    source: str
    entry: str
    bindings: dict[str, int]
    flops: int
    # Seeded inputs, in the entry function's parameter order.
    make_inputs: Callable[[np.random.Generator], list[np.ndarray]]
    # inputs -> a call without arguments that returns the result (outputs allocated once).
    numpy_peer: Callable[[list[np.ndarray]], Callable[[], np.ndarray]]
    torch_peer: Callable[[list[np.ndarray]], Callable[[], object]]
    threads: tuple[int, ...] = (1, 2)
    quick: bool = False
    end_to_end: bool = False


def _normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def matmul_case(m: int, k: int, n: int, name: str | None = None) -> Case:
    return Case(
        name=name or f"matmul-{m}",
        description=f"matmul [{m}x{k}] @ [{k}x{n}]",
        source=MATMUL, entry="matmul", bindings={"M": m, "K": k, "N": n},
        flops=2 * m * n * k,
        make_inputs=lambda rng: [_normal(rng, m, k), _normal(rng, k, n)],
        numpy_peer=peers.numpy_matmul, torch_peer=peers.torch_matmul,
        quick=max(m, k, n) <= 512,
    )


def conv_case() -> Case:
    n, c, k, hw, r = 1, 64, 64, 56, 3
    return Case(
        name="conv2d-64x56x56",
        description=f"conv2d N={n}, C=K={c}, {hw}x{hw}, {r}x{r}, pad 1",
        source=CONV, entry="conv", bindings={"N": n, "C": c, "K": k, "H": hw, "W": hw},
        flops=2 * n * k * c * hw * hw * r * r,
        make_inputs=lambda rng: [_normal(rng, n, c, hw, hw), _normal(rng, k, c, r, r)],
        numpy_peer=peers.numpy_conv_pad1, torch_peer=peers.torch_conv_pad1,
        quick=True,
    )


def mlp_case(batch: int = 64) -> Case:
    def inputs(rng):
        return [_normal(rng, batch, 784), _normal(rng, 784, 128, scale=784 ** -0.5),
                _normal(rng, 128, scale=0.1), _normal(rng, 128, 10, scale=128 ** -0.5)]

    return Case(
        name=f"mlp-{batch}",
        description=f"examples/mlp.tsr, B={batch} (784 -> 128 -> 10, softmax)",
        source=(EXAMPLES / "mlp.tsr").read_text(), entry="mlp", bindings={"B": batch},
        flops=2 * batch * (784 * 128 + 128 * 10),
        make_inputs=inputs, numpy_peer=peers.numpy_mlp, torch_peer=peers.torch_mlp,
        threads=(1,), end_to_end=True,
    )


LENET_SHAPES = [  # parameter shapes of examples/lenet5.tsr after x, with their fan-in
    ((6, 3, 5, 5), 75), ((6,), 0), ((16, 6, 5, 5), 150), ((16,), 0),
    ((400, 120), 400), ((120,), 0), ((120, 84), 120), ((84,), 0), ((84, 10), 84), ((10,), 0),
]


def lenet5_flops(n: int) -> int:
    conv1 = 2 * n * 6 * 3 * 28 * 28 * 5 * 5
    conv2 = 2 * n * 16 * 6 * 10 * 10 * 5 * 5
    fc = 2 * n * (400 * 120 + 120 * 84 + 84 * 10)
    return conv1 + conv2 + fc


def lenet5_case(n: int) -> Case:
    def inputs(rng):
        return [_normal(rng, n, 3, 32, 32)] + [
            _normal(rng, *shape, scale=fan_in ** -0.5 if fan_in else 0.1)
            for shape, fan_in in LENET_SHAPES
        ]

    return Case(
        name=f"lenet5-{n}",
        description=f"examples/lenet5.tsr (entry lenet5), N={n}, 3x32x32 -> 10",
        source=(EXAMPLES / "lenet5.tsr").read_text(), entry="lenet5", bindings={"N": n},
        flops=lenet5_flops(n),
        make_inputs=inputs, numpy_peer=peers.numpy_lenet5, torch_peer=peers.torch_lenet5,
        threads=(1,), end_to_end=True,
    )


def attention_case(t: int, d: int) -> Case:
    """examples/attention.tsr at T = t, D = d (its scale is written as sqrt(32.0): the
    source is rebound to sqrt(d))."""
    source = (EXAMPLES / "attention.tsr").read_text().replace("sqrt(32.0)", f"sqrt({d}.0)")
    return Case(
        name=f"attention-{t}x{d}",
        description=f"examples/attention.tsr, T={t}, D={d} (one head)",
        source=source, entry="attention", bindings={"T": t, "D": d},
        flops=2 * 2 * t * t * d,
        make_inputs=lambda rng: [_normal(rng, t, d) for _ in range(3)],
        numpy_peer=peers.numpy_attention, torch_peer=peers.torch_attention,
        threads=(1,), end_to_end=True,
    )


def all_cases() -> list[Case]:
    return [
        *(matmul_case(n, n, n) for n in (256, 512, 1024, 2048)),
        matmul_case(128, 768, 3072, name="matmul-128x768x3072"),
        conv_case(),
        mlp_case(64),
        lenet5_case(1),
        lenet5_case(64),
    ]


def select(patterns: list[str] | None, quick: bool) -> list[Case]:
    """The cases named by `patterns` (exact names or globs), else all (or the quick ones)."""
    cases = all_cases()
    if not patterns:
        return [c for c in cases if c.quick] if quick else cases
    chosen = [c for c in cases if any(fnmatch.fnmatchcase(c.name, p) for p in patterns)]
    unknown = [p for p in patterns if not any(fnmatch.fnmatchcase(c.name, p) for c in cases)]
    if unknown:
        names = ", ".join(c.name for c in cases)
        raise SystemExit(f"bench: unknown case(s) {', '.join(unknown)} (cases: {names})")
    return chosen
