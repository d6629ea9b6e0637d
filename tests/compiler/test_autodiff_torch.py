"""`grad` against PyTorch autograd, in f32: every differentiable op, and LeNet-5 trained with
softmax cross-entropy (examples/lenet5.tsr with tests/compiler/lenet5_loss.tsr on top), on
the reference interpreter and on the C target. Skipped where torch is not installed (it is
the optional `torch` extra)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import tessera

torch = pytest.importorskip("torch")
F = torch.nn.functional
HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"

# name: (parameters, DSL expression, the same in torch, wrt). The loss is sum(expr * r),
# r random weights of the expression's shape (declared last in the parameters).
CASES = {
    "add": ("a: f32[3, 4], b: f32[4], r: f32[3, 4]", "a + b", lambda t: t.a + t.b, "ab"),
    "sub": ("a: f32[2, 1, 4], b: f32[3, 1], r: f32[2, 3, 4]", "a - b", lambda t: t.a - t.b,
            "ab"),
    "mul": ("a: f32[3, 1], b: f32[1, 4], r: f32[3, 4]", "a * b", lambda t: t.a * t.b, "ab"),
    "div": ("a: f32[3, 4], b: f32[4], r: f32[3, 4]", "a / (b * b + 1.0)",
            lambda t: t.a / (t.b * t.b + 1), "ab"),
    "maximum": ("a: f32[3, 4], b: f32[4], r: f32[3, 4]", "maximum(a, b)",
                lambda t: torch.maximum(t.a, t.b), "ab"),
    "minimum": ("a: f32[4, 3], b: f32[4, 1], r: f32[4, 3]", "minimum(a, b)",
                lambda t: torch.minimum(t.a, t.b), "ab"),
    "neg": ("a: f32[5], r: f32[5]", "-a", lambda t: -t.a, "a"),
    "relu": ("a: f32[4, 5], r: f32[4, 5]", "relu(a)", lambda t: F.relu(t.a), "a"),
    "sigmoid": ("a: f32[4, 5], r: f32[4, 5]", "sigmoid(a)", lambda t: torch.sigmoid(t.a), "a"),
    "tanh": ("a: f32[4, 5], r: f32[4, 5]", "tanh(a)", lambda t: torch.tanh(t.a), "a"),
    "exp": ("a: f32[4, 5], r: f32[4, 5]", "exp(a)", lambda t: torch.exp(t.a), "a"),
    "log": ("a: f32[4, 5], r: f32[4, 5]", "log(a * a + 1.0)",
            lambda t: torch.log(t.a * t.a + 1), "a"),
    "sqrt": ("a: f32[4, 5], r: f32[4, 5]", "sqrt(a * a + 0.5)",
             lambda t: torch.sqrt(t.a * t.a + 0.5), "a"),
    "matmul-batched-broadcast": ("a: f32[2, 1, 3, 4], b: f32[5, 4, 2], r: f32[2, 5, 3, 2]",
                                 "a @ b", lambda t: t.a @ t.b, "ab"),
    "conv2d": ("a: f32[2, 3, 9, 8], b: f32[4, 3, 3, 2], r: f32[2, 4, 5, 2]",
               "conv2d(a, b, stride=[2, 3], padding=[1, 0], dilation=[1, 2])",
               lambda t: F.conv2d(t.a, t.b, stride=(2, 3), padding=(1, 0), dilation=(1, 2)),
               "ab"),
    "conv2d-ragged": ("a: f32[1, 2, 8, 8], b: f32[3, 2, 3, 3], r: f32[1, 3, 3, 3]",
                      "conv2d(a, b, stride=2, padding=0)",
                      lambda t: F.conv2d(t.a, t.b, stride=2), "ab"),
    "maxpool2d": ("a: f32[2, 3, 7, 6], r: f32[2, 3, 4, 3]",
                  "maxpool2d(a, kernel=3, stride=2, padding=1)",
                  lambda t: F.max_pool2d(t.a, 3, stride=2, padding=1), "a"),
    "avgpool2d": ("a: f32[2, 3, 7, 6], r: f32[2, 3, 4, 3]",
                  "avgpool2d(a, kernel=3, stride=2, padding=1)",
                  lambda t: F.avg_pool2d(t.a, 3, stride=2, padding=1), "a"),
    "softmax": ("a: f32[3, 4, 5], r: f32[3, 4, 5]", "softmax(a, axis=1)",
                lambda t: torch.softmax(t.a, dim=1), "a"),
    "sum": ("a: f32[3, 4, 5], r: f32[3, 5]", "sum(a, axis=1)", lambda t: t.a.sum(1), "a"),
    "sum-keepdims": ("a: f32[3, 4, 5], r: f32[1, 4, 1]", "sum(a, axes=[0, 2], keepdims=true)",
                     lambda t: t.a.sum((0, 2), keepdim=True), "a"),
    "mean": ("a: f32[3, 4, 5], r: f32[4]", "mean(a, axes=[0, 2])",
             lambda t: t.a.mean((0, 2)), "a"),
    "mean-keepdims": ("a: f32[3, 4, 5], r: f32[3, 1, 5]", "mean(a, axis=1, keepdims=true)",
                      lambda t: t.a.mean(1, keepdim=True), "a"),
    "max": ("a: f32[3, 4, 5], r: f32[3, 5]", "max(a, axis=1)",
            lambda t: torch.amax(t.a, 1), "a"),
    "max-keepdims": ("a: f32[3, 4, 5], r: f32[1, 4, 1]", "max(a, axes=[0, 2], keepdims=true)",
                     lambda t: torch.amax(t.a, (0, 2), keepdim=True), "a"),
    "transpose": ("a: f32[2, 3, 4], r: f32[4, 2, 3]", "transpose(a, perm=[2, 0, 1])",
                  lambda t: t.a.permute(2, 0, 1), "a"),
    "reshape": ("a: f32[2, 3, 4], r: f32[4, 6]", "reshape(a, [4, 6])",
                lambda t: t.a.reshape(4, 6), "a"),
    "broadcast_to": ("a: f32[3, 1], r: f32[2, 3, 4]", "broadcast_to(a, [2, 3, 4])",
                     lambda t: t.a.expand(2, 3, 4), "a"),
    "concat": ("a: f32[2, 3], b: f32[2, 1], r: f32[2, 4]", "concat(a, b, axis=1)",
               lambda t: torch.cat([t.a, t.b], 1), "ab"),
    "slice": ("a: f32[4, 6], r: f32[2, 3]",
              "slice(a, starts=[3, 1], sizes=[2, 3], strides=[-2, 2])",
              lambda t: t.a.flip(0)[0:3:2, 1:6:2], "a"),
    "pad": ("a: f32[2, 3], r: f32[4, 6]", "pad(a, low=[1, 0], high=[1, 3])",
            lambda t: F.pad(t.a, (0, 3, 1, 1)), "a"),
}


class _Tensors:
    def __init__(self, arrays: dict[str, np.ndarray]):
        self.__dict__.update({k: torch.from_numpy(v.copy()).requires_grad_(True)
                              for k, v in arrays.items()})


def torch_gradients(fn, arrays: dict[str, np.ndarray], wrt: list[str]) -> list[np.ndarray]:
    t = _Tensors(arrays)
    loss = (fn(t) * t.r).sum()
    loss.backward()
    return [getattr(t, w).grad.numpy() for w in wrt]


@pytest.mark.parametrize("name", list(CASES))
def test_gradient_matches_torch(name):
    params, expr, fn, wrt = CASES[name]
    wrt = list(wrt)
    text = (f"def loss({params}) -> f32 {{\n  return sum(({expr}) * r)\n}}\n"
            f"dloss = grad(loss, wrt=[{', '.join(wrt)}])\n")
    program = tessera.compile(text, target="interp")
    args = program.example_inputs("loss", seed=11)
    names = re.findall(r"(\w+):", params)
    got = program.dloss(*args)
    got = list(got) if isinstance(got, tuple) else [got]
    want = torch_gradients(fn, dict(zip(names, args)), wrt)
    for w, g, expected in zip(wrt, got, want):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, expected, rtol=1e-4, atol=1e-5, err_msg=f"d/d{w}")


def lenet5_inputs(n: int, seed: int):
    rng = np.random.default_rng(seed)

    def param(*shape):
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        return (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)

    x = rng.standard_normal((n, 3, 32, 32)).astype(np.float32)
    params = dict(c1=param(6, 3, 5, 5), b1=param(6), c2=param(16, 6, 5, 5), b2=param(16),
                  f1=param(400, 120), g1=param(120), f2=param(120, 84), g2=param(84),
                  f3=param(84, 10), g3=param(10))
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
    return x, params, labels


def torch_lenet5_loss(x, p, labels):
    y = F.max_pool2d(F.relu(F.conv2d(x, p["c1"], p["b1"])), 2)
    y = F.max_pool2d(F.relu(F.conv2d(y, p["c2"], p["b2"])), 2).flatten(1)
    y = F.relu(y @ p["f1"] + p["g1"])
    y = F.relu(y @ p["f2"] + p["g2"])
    logits = y @ p["f3"] + p["g3"]
    return F.cross_entropy(logits, labels.argmax(1))


@pytest.mark.parametrize("target", ["interp", "c"])
def test_lenet5_gradients_match_torch(target):
    source = (EXAMPLES / "lenet5.tsr").read_text() + "\n" + (HERE / "lenet5_loss.tsr").read_text()
    program = tessera.compile(source, target=target, bindings={"N": 4})
    x, params, labels = lenet5_inputs(4, seed=7)
    loss, *grads = program.lenet5_grad(x, *params.values(), labels)

    tp = {k: torch.from_numpy(v.copy()).requires_grad_(True) for k, v in params.items()}
    want_loss = torch_lenet5_loss(torch.from_numpy(x), tp, torch.from_numpy(labels))
    want_loss.backward()
    np.testing.assert_allclose(loss, want_loss.item(), rtol=1e-5)
    for (name, p), g in zip(tp.items(), grads):
        want = p.grad.numpy()
        assert g.shape == want.shape
        scale = np.abs(want).max()
        np.testing.assert_allclose(g, want, rtol=1e-4, atol=1e-5 * scale, err_msg=f"d/d{name}")
