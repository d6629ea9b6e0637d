"""Conv/pool semantics and LeNet-5 agree with PyTorch CPU (skipped where torch is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tessera

torch = pytest.importorskip("torch")
F = torch.nn.functional
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    "h, k, stride, padding, dilation",
    [(8, 3, 1, 0, 1), (11, 3, 2, 1, 1), (13, 5, 1, 2, 2), (7, 1, 3, 0, 1)],
)
def test_conv2d_matches_torch(h, k, stride, padding, dilation):
    out = (h + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    src = f"""
def conv(x: f32[2, 3, {h}, {h}], w: f32[5, 3, {k}, {k}], b: f32[5]) -> f32[2, 5, {out}, {out}] {{
  return conv2d(x, w, b, stride={stride}, padding={padding}, dilation={dilation})
}}"""
    rng = np.random.default_rng(h)
    x = rng.standard_normal((2, 3, h, h)).astype(np.float32)
    w = rng.standard_normal((5, 3, k, k)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    got = tessera.compile(src).conv(x, w, b)
    want = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b),
                    stride=stride, padding=padding, dilation=dilation).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("op", ["maxpool2d", "avgpool2d"])
@pytest.mark.parametrize("h, k, stride, padding", [(8, 2, 2, 0), (9, 3, 2, 1), (7, 3, 1, 1)])
def test_pooling_matches_torch(op, h, k, stride, padding):
    out = (h + 2 * padding - k) // stride + 1
    src = f"""
def pool(x: f32[2, 3, {h}, {h}]) -> f32[2, 3, {out}, {out}] {{
  return {op}(x, kernel={k}, stride={stride}, padding={padding})
}}"""
    x = np.random.default_rng(k).standard_normal((2, 3, h, h)).astype(np.float32)
    got = tessera.compile(src).pool(x)
    torch_op = F.max_pool2d if op == "maxpool2d" else F.avg_pool2d
    want = torch_op(torch.from_numpy(x), k, stride=stride, padding=padding).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_lenet5_matches_torch():
    rng = np.random.default_rng(5)

    def param(*shape):
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        return (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)

    x = rng.standard_normal((4, 3, 32, 32)).astype(np.float32)
    c1, b1, c2, b2 = param(6, 3, 5, 5), param(6), param(16, 6, 5, 5), param(16)
    f1, g1, f2, g2, f3, g3 = param(400, 120), param(120), param(120, 84), param(84), \
        param(84, 10), param(10)
    got = tessera.compile(EXAMPLES / "lenet5.tsr").lenet5(x, c1, b1, c2, b2, f1, g1, f2, g2,
                                                          f3, g3)
    t = {k: torch.from_numpy(v) for k, v in dict(x=x, c1=c1, b1=b1, c2=c2, b2=b2, f1=f1, g1=g1,
                                                  f2=f2, g2=g2, f3=f3, g3=g3).items()}
    y = F.max_pool2d(F.relu(F.conv2d(t["x"], t["c1"], t["b1"])), 2)
    y = F.max_pool2d(F.relu(F.conv2d(y, t["c2"], t["b2"])), 2).flatten(1)
    y = F.relu(y @ t["f1"] + t["g1"])
    y = F.relu(y @ t["f2"] + t["g2"])
    want = (y @ t["f3"] + t["g3"]).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
