"""The graph reference interpreter: softmax and reductions.

Expected values come from plain Python loops over indices or hand-computed numbers, not
from the NumPy calls the interpreter makes."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest


from interp_helpers import (
    DTYPES,
    close,
    data,
    run1,
    ttype,
    wrap,
)

# --------------------------------------------------------------------------------------
# Softmax and reductions
# --------------------------------------------------------------------------------------


def loop_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    axis %= x.ndim
    out = np.zeros(x.shape)
    for index in np.ndindex(*x.shape):
        line = [
            float(x[index[:axis] + (k,) + index[axis + 1 :]]) for k in range(x.shape[axis])
        ]
        top = max(line)
        out[index] = math.exp(float(x[index]) - top) / sum(math.exp(v - top) for v in line)
    return out


@pytest.mark.parametrize("el", ["f32", "f64"])
@pytest.mark.parametrize(
    "shape,axis", [((1,), 0), ((7,), 0), ((3, 5), 1), ((3, 5), -2), ((2, 11, 3), 1)], ids=str
)
def test_softmax(el, shape, axis):
    x = data(shape, el) * DTYPES[el](3)
    text = f"""
    func.func @f(%x: {ttype(shape, el)}) -> {ttype(shape, el)} {{
      %r = graph.softmax %x {{axis = {axis} : i64}} : {ttype(shape, el)} -> {ttype(shape, el)}
      func.return %r : {ttype(shape, el)}
    }}
    """
    close(run1(text, x), loop_softmax(x, axis), el)


def test_softmax_is_numerically_stable():
    text = """
    func.func @f(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
      %r = graph.softmax %x {axis = 1 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
      func.return %r : tensor<2x3xf32>
    }
    """
    x = np.array([[1000, 1000, 1000], [-1000, 0, 1000]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        close(run1(text, x), [[1 / 3, 1 / 3, 1 / 3], [0, 0, 1]], "f32")


def loop_reduce(x, axes, keepdims, kind, el):
    axes = sorted(a % x.ndim for a in axes)
    kept = [d for i, d in enumerate(x.shape) if i not in axes]
    groups: dict = {}
    for index in np.ndindex(*x.shape):
        key = tuple(i for k, i in enumerate(index) if k not in axes)
        groups.setdefault(key, []).append(x[index].item())
    out = np.zeros(kept, dtype=np.float64 if el.startswith("f") else np.int64)
    for key, values in groups.items():
        if kind == "sum":
            out[key] = sum(values) if el.startswith("f") else wrap(sum(values), el)
        elif kind == "max":
            out[key] = max(values)
        else:
            out[key] = sum(values) / len(values)
    if keepdims:
        out = out.reshape([1 if i in axes else d for i, d in enumerate(x.shape)])
    return out


REDUCE_CASES = [
    ((7,), (0,), False),
    ((7,), (0,), True),
    ((3, 5), (1,), False),
    ((3, 5), (-1, 0), True),
    ((2, 11, 3), (0, 2), False),
    ((2, 11, 3), (1,), True),
    ((2, 3), (), False),
    ((1, 1), (0, 1), False),
]


# mean is defined on floats only.
REDUCE_KINDS = [
    (kind, el) for kind in ("sum", "max", "mean") for el in DTYPES if kind != "mean" or "f" in el
]


@pytest.mark.parametrize("kind,el", REDUCE_KINDS, ids=str)
@pytest.mark.parametrize("case", REDUCE_CASES, ids=str)
def test_reductions(kind, el, case):
    shape, axes, keepdims = case
    x = data(shape, el, -128, 128)
    expected = loop_reduce(x, axes, keepdims, kind, el)
    axes_attr = "array<i64" + (": " + ", ".join(map(str, axes)) if axes else "") + ">"
    text = f"""
    func.func @f(%x: {ttype(shape, el)}) -> {ttype(expected.shape, el)} {{
      %r = graph.{kind} %x {{axes = {axes_attr}, keepdims = {str(keepdims).lower()}}} : {ttype(shape, el)} -> {ttype(expected.shape, el)}
      func.return %r : {ttype(expected.shape, el)}
    }}
    """
    close(run1(text, x), expected, el)



# PyTorch as a second opinion: softmax

@pytest.mark.parametrize("shape,axis", [((7,), 0), ((3, 5), -1), ((2, 11, 3), 1)], ids=str)
def test_softmax_matches_torch(shape, axis):
    torch = pytest.importorskip("torch")
    x = data(shape, "f32") * np.float32(10)
    text = f"""
    func.func @f(%x: {ttype(shape, "f32")}) -> {ttype(shape, "f32")} {{
      %r = graph.softmax %x {{axis = {axis} : i64}} : {ttype(shape, "f32")} -> {ttype(shape, "f32")}
      func.return %r : {ttype(shape, "f32")}
    }}
    """
    close(run1(text, x), torch.softmax(torch.from_numpy(x), dim=axis).numpy(), "f32")
