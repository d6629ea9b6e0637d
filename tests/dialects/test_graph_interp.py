"""The NumPy reference interpreter of the graph dialect against independent formulas.

Expected values come from plain Python loops over indices (or hand-computed numbers), not
from the NumPy calls the interpreter makes; conv2d, the poolings and softmax are also
compared with PyTorch when it is installed.
"""

from __future__ import annotations

import itertools
import math
import operator
import warnings

import numpy as np
import pytest
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.registry import make_context
from tessera.dialects import graph_interp
from tessera.dialects.graph_interp import run_graph

CTX = make_context()
RNG = np.random.default_rng(20240607)

DTYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i8": np.int8}


def parse(text: str) -> ModuleOp:
    module = Parser(CTX, text).parse_module()
    module.verify()
    return module


def ttype(shape, el: str) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + el + ">"


def run1(text: str, *args: np.ndarray, entry: str = "f") -> np.ndarray:
    (result,) = run_graph(parse(text), entry, list(args))
    return result


def data(shape, el: str, low: int = -100, high: int = 100) -> np.ndarray:
    if el.startswith("f"):
        return RNG.standard_normal(shape).astype(DTYPES[el])
    return RNG.integers(low, high, size=shape).astype(DTYPES[el])


def wrap(value: int, el: str) -> int:
    """Two's-complement wraparound of a Python int to the width of `el`."""
    bits = {"i8": 8, "i32": 32}[el]
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def close(actual: np.ndarray, expected, el: str) -> None:
    expected = np.asarray(expected)
    assert actual.dtype == DTYPES[el]
    assert actual.shape == expected.shape
    if el.startswith("f"):
        tol = 2e-5 if el == "f32" else 1e-12
        np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(actual, expected)


def broadcast_index(index, shape):
    """The element of a tensor of `shape` that broadcasting reads at output `index`."""
    tail = index[len(index) - len(shape) :] if shape else ()
    return tuple(0 if d == 1 else i for i, d in zip(tail, shape))


def broadcast_shape(a, b):
    rank = max(len(a), len(b))
    a = (1,) * (rank - len(a)) + tuple(a)
    b = (1,) * (rank - len(b)) + tuple(b)
    return tuple(y if x == 1 else x for x, y in zip(a, b))


# --------------------------------------------------------------------------------------
# Constants and elementwise ops
# --------------------------------------------------------------------------------------


def test_constants():
    text = """
    func.func @f() -> (tensor<2x2xf32>, tensor<3xi8>, tensor<2x3xi32>, tensor<f64>) {
      %a = graph.constant dense<[[1.0, -2.5], [3.0, 0.25]]> : tensor<2x2xf32>
      %b = graph.constant dense<[1, -128, 127]> : tensor<3xi8>
      %c = graph.constant dense<7> : tensor<2x3xi32>
      %d = graph.constant dense<1.5> : tensor<f64>
      func.return %a, %b, %c, %d : tensor<2x2xf32>, tensor<3xi8>, tensor<2x3xi32>, tensor<f64>
    }
    """
    a, b, c, d = run_graph(parse(text), "f", [])
    close(a, [[1.0, -2.5], [3.0, 0.25]], "f32")
    close(b, [1, -128, 127], "i8")
    close(c, [[7, 7, 7], [7, 7, 7]], "i32")
    close(d, 1.5, "f64")


def _scalar_binary(name: str, x, y, el: str):
    if name == "add":
        r = x + y
    elif name == "sub":
        r = x - y
    elif name == "mul":
        r = x * y
    elif name == "div":
        r = x / y if el.startswith("f") else int(x / y)  # exact for these small ints
    elif name == "maximum":
        r = x if x > y else y
    else:
        r = x if x < y else y
    return r if el.startswith("f") else wrap(int(r), el)


BINARY_SHAPES = [
    ((1,), (1,)),
    ((7,), (1,)),
    ((4, 3), (3,)),
    ((2, 1, 5), (3, 1)),
    ((), (5,)),
    ((13, 1), (1, 11)),
]


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum", "minimum"])
@pytest.mark.parametrize("el", ["f32", "f64", "i32", "i8"])
@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
def test_binary(name, el, shapes):
    sa, sb = shapes
    out = broadcast_shape(sa, sb)
    a, b = data(sa, el), data(sb, el)
    if name == "div" and not el.startswith("f"):
        b[b == 0] = 3
    text = f"""
    func.func @f(%a: {ttype(sa, el)}, %b: {ttype(sb, el)}) -> {ttype(out, el)} {{
      %r = graph.{name} %a, %b : ({ttype(sa, el)}, {ttype(sb, el)}) -> {ttype(out, el)}
      func.return %r : {ttype(out, el)}
    }}
    """
    expected = np.zeros(out, dtype=np.float64 if el.startswith("f") else np.int64)
    for index in np.ndindex(*out):
        x = a[broadcast_index(index, sa)].item()
        y = b[broadcast_index(index, sb)].item()
        expected[index] = _scalar_binary(name, x, y, el)
    close(run1(text, a, b), expected, el)


def test_i8_arithmetic_wraps_and_divides_toward_zero():
    text = """
    func.func @f(%a: tensor<6xi8>, %b: tensor<6xi8>) -> (tensor<6xi8>, tensor<6xi8>, tensor<6xi8>, tensor<6xi8>, tensor<6xi8>) {
      %s = graph.add %a, %b : (tensor<6xi8>, tensor<6xi8>) -> tensor<6xi8>
      %d = graph.sub %a, %b : (tensor<6xi8>, tensor<6xi8>) -> tensor<6xi8>
      %m = graph.mul %a, %b : (tensor<6xi8>, tensor<6xi8>) -> tensor<6xi8>
      %q = graph.div %a, %b : (tensor<6xi8>, tensor<6xi8>) -> tensor<6xi8>
      %n = graph.neg %a : tensor<6xi8> -> tensor<6xi8>
      func.return %s, %d, %m, %q, %n : tensor<6xi8>, tensor<6xi8>, tensor<6xi8>, tensor<6xi8>, tensor<6xi8>
    }
    """
    a = np.array([100, -7, 7, -128, 127, -100], dtype=np.int8)
    b = np.array([100, 2, -2, -1, 1, 3], dtype=np.int8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, d, m, q, n = run_graph(parse(text), "f", [a, b])
    close(s, [-56, -5, 5, 127, -128, -97], "i8")
    close(d, [0, -9, 9, -127, 126, -103], "i8")
    close(m, [16, -14, -14, -128, 127, -44], "i8")
    close(q, [1, -3, -3, -128, 127, -33], "i8")
    close(n, [-100, 7, -7, -128, -127, 100], "i8")


def test_integer_division_by_zero_is_a_located_error():
    text = """
    func.func @f(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi32> {
      %q = graph.div %a, %b : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32> loc("prog.tsr":4:9)
      func.return %q : tensor<3xi32>
    }
    """
    a = np.array([1, 2, 3], dtype=np.int32)
    with pytest.raises(TesseraError, match=r"prog.tsr:4:9: error: 'graph.div' integer division"):
        run_graph(parse(text), "f", [a, np.array([1, 0, 1], dtype=np.int32)])


def test_float_division_by_zero_follows_ieee():
    text = """
    func.func @f(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
      %q = graph.div %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
      func.return %q : tensor<3xf32>
    }
    """
    q = run1(text, np.array([1, -1, 0], np.float32), np.zeros(3, np.float32))
    assert q[0] == np.inf and q[1] == -np.inf and np.isnan(q[2])


UNARY = {
    "neg": lambda x: -x,
    "relu": lambda x: x if x > 0 else 0.0,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x)),
    "tanh": math.tanh,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("el", ["f32", "f64"])
@pytest.mark.parametrize("shape", [(1,), (5, 3), (2, 1, 7), ()], ids=str)
def test_unary_float(name, el, shape):
    x = data(shape, el)
    if name in ("log", "sqrt"):
        x = np.abs(x) + DTYPES[el](0.1)
    text = f"""
    func.func @f(%x: {ttype(shape, el)}) -> {ttype(shape, el)} {{
      %r = graph.{name} %x : {ttype(shape, el)} -> {ttype(shape, el)}
      func.return %r : {ttype(shape, el)}
    }}
    """
    expected = np.zeros(shape)
    for index in np.ndindex(*shape):
        expected[index] = UNARY[name](float(x[index]))
    close(run1(text, x), expected, el)


@pytest.mark.parametrize("el", ["i32", "i8"])
def test_unary_int(el):
    x = np.array([-128, -3, 0, 5, 127], dtype=DTYPES[el]) if el == "i8" else data((11,), el)
    text = f"""
    func.func @f(%x: {ttype(x.shape, el)}) -> ({ttype(x.shape, el)}, {ttype(x.shape, el)}) {{
      %n = graph.neg %x : {ttype(x.shape, el)} -> {ttype(x.shape, el)}
      %r = graph.relu %x : {ttype(x.shape, el)} -> {ttype(x.shape, el)}
      func.return %n, %r : {ttype(x.shape, el)}, {ttype(x.shape, el)}
    }}
    """
    n, r = run_graph(parse(text), "f", [x])
    close(n, [wrap(-int(v), el) for v in x], el)
    close(r, [max(int(v), 0) for v in x], el)


def test_sigmoid_and_exp_saturate_without_warnings():
    text = """
    func.func @f(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
      %s = graph.sigmoid %x : tensor<4xf32> -> tensor<4xf32>
      %e = graph.exp %x : tensor<4xf32> -> tensor<4xf32>
      func.return %s, %e : tensor<4xf32>, tensor<4xf32>
    }
    """
    x = np.array([-1000, -90, 90, 1000], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, e = run_graph(parse(text), "f", [x])
    close(s, [0, 0, 1, 1], "f32")
    close(e, [0, 0, np.inf, np.inf], "f32")


# --------------------------------------------------------------------------------------
# matmul
# --------------------------------------------------------------------------------------


def loop_matmul(a: np.ndarray, b: np.ndarray, el: str) -> np.ndarray:
    batch = broadcast_shape(a.shape[:-2], b.shape[:-2])
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    out = np.zeros((*batch, m, n), dtype=np.float64 if el.startswith("f") else np.int64)
    for index in np.ndindex(*batch):
        ia, ib = broadcast_index(index, a.shape[:-2]), broadcast_index(index, b.shape[:-2])
        for i, j in itertools.product(range(m), range(n)):
            total = sum(a[(*ia, i, p)].item() * b[(*ib, p, j)].item() for p in range(k))
            out[(*index, i, j)] = total if el.startswith("f") else wrap(total, el)
    return out


MATMUL_SHAPES = [
    ((1, 1), (1, 1)),
    ((7, 13), (13, 5)),
    ((3, 1), (1, 11)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4, 2, 3), (3, 7)),
]


@pytest.mark.parametrize("el", ["f32", "f64", "i32", "i8"])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(el, shapes):
    sa, sb = shapes
    out = (*broadcast_shape(sa[:-2], sb[:-2]), sa[-2], sb[-1])
    a, b = data(sa, el), data(sb, el)
    text = f"""
    func.func @f(%a: {ttype(sa, el)}, %b: {ttype(sb, el)}) -> {ttype(out, el)} {{
      %r = graph.matmul %a, %b : ({ttype(sa, el)}, {ttype(sb, el)}) -> {ttype(out, el)}
      func.return %r : {ttype(out, el)}
    }}
    """
    close(run1(text, a, b), loop_matmul(a, b, el), el)


def test_matmul_i32_is_exact_and_wraps():
    text = """
    func.func @f(%a: tensor<1x2xi32>, %b: tensor<2x2xi32>) -> tensor<1x2xi32> {
      %r = graph.matmul %a, %b : (tensor<1x2xi32>, tensor<2x2xi32>) -> tensor<1x2xi32>
      func.return %r : tensor<1x2xi32>
    }
    """
    a = np.array([[2**24 + 1, 2**30]], dtype=np.int32)
    b = np.array([[1, 0], [0, 4]], dtype=np.int32)
    close(run1(text, a, b), [[2**24 + 1, 0]], "i32")  # 2**32 wraps to 0


def test_matmul_i8_accumulates_with_wraparound():
    text = """
    func.func @f(%a: tensor<1x3xi8>, %b: tensor<3x1xi8>) -> tensor<1x1xi8> {
      %r = graph.matmul %a, %b : (tensor<1x3xi8>, tensor<3x1xi8>) -> tensor<1x1xi8>
      func.return %r : tensor<1x1xi8>
    }
    """
    a = np.array([[100, 100, 1]], dtype=np.int8)
    b = np.array([[2], [1], [-1]], dtype=np.int8)
    close(run1(text, a, b), [[299 - 256]], "i8")  # 200 + 100 - 1 = 299 wraps to 43


# --------------------------------------------------------------------------------------
# conv2d and pooling
# --------------------------------------------------------------------------------------


def out_extent(size, kernel, stride, pad, dilation=1):
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def loop_conv(x, w, stride, padding, dilation, el):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh = out_extent(h, kh, stride[0], padding[0], dilation[0])
    ow = out_extent(wd, kw, stride[1], padding[1], dilation[1])
    out = np.zeros((n, o, oh, ow), dtype=np.float64 if el.startswith("f") else np.int64)
    for b, f, i, j in np.ndindex(n, o, oh, ow):
        total = 0
        for ch, p, q in np.ndindex(c, kh, kw):
            y = i * stride[0] - padding[0] + p * dilation[0]
            xx = j * stride[1] - padding[1] + q * dilation[1]
            if 0 <= y < h and 0 <= xx < wd:
                total += x[b, ch, y, xx].item() * w[f, ch, p, q].item()
        out[b, f, i, j] = total if el.startswith("f") else wrap(total, el)
    return out


CONV_CASES = [
    # input NCHW, weight OIHW, stride, padding, dilation
    ((1, 1, 5, 5), (1, 1, 3, 3), (1, 1), (0, 0), (1, 1)),
    ((2, 3, 7, 11), (5, 3, 3, 2), (2, 3), (1, 2), (1, 1)),
    ((1, 2, 13, 7), (3, 2, 3, 3), (1, 2), (2, 1), (2, 3)),
    ((3, 4, 6, 6), (2, 4, 1, 1), (1, 1), (0, 0), (1, 1)),
    ((1, 1, 3, 3), (2, 1, 5, 5), (1, 1), (1, 1), (1, 1)),
]


def conv_text(xs, ws, stride, padding, dilation, el):
    oh = out_extent(xs[2], ws[2], stride[0], padding[0], dilation[0])
    ow = out_extent(xs[3], ws[3], stride[1], padding[1], dilation[1])
    out = (xs[0], ws[0], oh, ow)
    props = (
        f"stride = array<i64: {stride[0]}, {stride[1]}>, "
        f"padding = array<i64: {padding[0]}, {padding[1]}>, "
        f"dilation = array<i64: {dilation[0]}, {dilation[1]}>"
    )
    return f"""
    func.func @f(%x: {ttype(xs, el)}, %w: {ttype(ws, el)}) -> {ttype(out, el)} {{
      %r = graph.conv2d %x, %w {{{props}}} : ({ttype(xs, el)}, {ttype(ws, el)}) -> {ttype(out, el)}
      func.return %r : {ttype(out, el)}
    }}
    """


@pytest.mark.parametrize("el", ["f32", "f64", "i32", "i8"])
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d(el, case):
    xs, ws, stride, padding, dilation = case
    x, w = data(xs, el), data(ws, el)
    result = run1(conv_text(xs, ws, stride, padding, dilation, el), x, w)
    close(result, loop_conv(x, w, stride, padding, dilation, el), el)


def test_conv2d_hand_computed():
    # A 3x3 ones kernel over 1..9 with padding 1: each output sums its 3x3 neighbourhood.
    x = np.arange(1, 10, dtype=np.float32).reshape(1, 1, 3, 3)
    w = np.ones((1, 1, 3, 3), dtype=np.float32)
    result = run1(conv_text(x.shape, w.shape, (1, 1), (1, 1), (1, 1), "f32"), x, w)
    close(result, [[[[12, 21, 16], [27, 45, 33], [24, 39, 28]]]], "f32")


def loop_pool(x, kernel, stride, padding, kind, el):
    n, c, h, w = x.shape
    oh = out_extent(h, kernel[0], stride[0], padding[0])
    ow = out_extent(w, kernel[1], stride[1], padding[1])
    out = np.zeros((n, c, oh, ow), dtype=np.float64 if el.startswith("f") else np.int64)
    for b, ch, i, j in np.ndindex(n, c, oh, ow):
        seen = []
        for p, q in np.ndindex(*kernel):
            y, xx = i * stride[0] - padding[0] + p, j * stride[1] - padding[1] + q
            inside = 0 <= y < h and 0 <= xx < w
            if inside:
                seen.append(x[b, ch, y, xx].item())
        if kind == "max":
            out[b, ch, i, j] = max(seen)
        elif el.startswith("f"):
            out[b, ch, i, j] = sum(seen) / (kernel[0] * kernel[1])
        else:
            out[b, ch, i, j] = int(sum(seen) / (kernel[0] * kernel[1]))
    return out


POOL_CASES = [
    # input NCHW, kernel, stride, padding
    ((1, 1, 4, 4), (2, 2), (2, 2), (0, 0)),
    ((2, 3, 7, 11), (3, 2), (2, 1), (1, 1)),
    ((1, 2, 13, 5), (5, 3), (3, 2), (2, 1)),
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0)),
]


def pool_text(kind, xs, kernel, stride, padding, el):
    out = (
        xs[0],
        xs[1],
        out_extent(xs[2], kernel[0], stride[0], padding[0]),
        out_extent(xs[3], kernel[1], stride[1], padding[1]),
    )
    props = (
        f"kernel = array<i64: {kernel[0]}, {kernel[1]}>, "
        f"stride = array<i64: {stride[0]}, {stride[1]}>, "
        f"padding = array<i64: {padding[0]}, {padding[1]}>"
    )
    return f"""
    func.func @f(%x: {ttype(xs, el)}) -> {ttype(out, el)} {{
      %r = graph.{kind}pool2d %x {{{props}}} : {ttype(xs, el)} -> {ttype(out, el)}
      func.return %r : {ttype(out, el)}
    }}
    """


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("el", ["f32", "f64", "i32", "i8"])
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_pool2d(kind, el, case):
    xs, kernel, stride, padding = case
    x = data(xs, el)
    result = run1(pool_text(kind, xs, kernel, stride, padding, el), x)
    close(result, loop_pool(x, kernel, stride, padding, kind, el), el)


def test_maxpool_padding_never_wins_and_avgpool_counts_it():
    x = np.full((1, 1, 2, 2), -5.0, dtype=np.float32)
    m = run1(pool_text("max", x.shape, (2, 2), (1, 1), (1, 1), "f32"), x)
    a = run1(pool_text("avg", x.shape, (2, 2), (1, 1), (1, 1), "f32"), x)
    close(m, np.full((1, 1, 3, 3), -5.0), "f32")
    # Corners see one real element of four, edges two, the centre four.
    close(a, [[[[-1.25, -2.5, -1.25], [-2.5, -5.0, -2.5], [-1.25, -2.5, -1.25]]]], "f32")


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


# --------------------------------------------------------------------------------------
# Data movement
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,perm", [((5,), (0,)), ((3, 7), (1, 0)), ((2, 3, 5), (2, 0, 1)), ((1, 4, 1), (1, 2, 0))]
)
def test_transpose(shape, perm):
    x = data(shape, "i32")
    out = tuple(shape[p] for p in perm)
    text = f"""
    func.func @f(%x: {ttype(shape, "i32")}) -> {ttype(out, "i32")} {{
      %r = graph.transpose %x {{perm = array<i64: {", ".join(map(str, perm))}>}} : {ttype(shape, "i32")} -> {ttype(out, "i32")}
      func.return %r : {ttype(out, "i32")}
    }}
    """
    result = run1(text, x)
    expected = np.zeros(out, dtype=np.int64)
    for index in np.ndindex(*shape):
        expected[tuple(index[p] for p in perm)] = x[index]
    close(result, expected, "i32")
    assert result.flags.c_contiguous


@pytest.mark.parametrize(
    "shape,out", [((2, 3, 5), (6, 5)), ((2, 3, 5), (30,)), ((7,), (1, 7, 1)), ((), (1, 1))]
)
def test_reshape(shape, out):
    x = data(shape, "f32")
    text = f"""
    func.func @f(%x: {ttype(shape, "f32")}) -> {ttype(out, "f32")} {{
      %r = graph.reshape %x : {ttype(shape, "f32")} -> {ttype(out, "f32")}
      func.return %r : {ttype(out, "f32")}
    }}
    """
    flat = [x[index] for index in np.ndindex(*shape)]  # row-major order
    expected = np.zeros(out)
    for k, index in enumerate(np.ndindex(*out)):
        expected[index] = flat[k]
    close(run1(text, x), expected, "f32")


@pytest.mark.parametrize(
    "shape,out", [((3, 1), (2, 3, 4)), ((), (5, 2)), ((1,), (1,)), ((7, 1, 3), (7, 11, 3))]
)
def test_broadcast_to(shape, out):
    x = data(shape, "i8")
    text = f"""
    func.func @f(%x: {ttype(shape, "i8")}) -> {ttype(out, "i8")} {{
      %r = graph.broadcast_to %x : {ttype(shape, "i8")} -> {ttype(out, "i8")}
      func.return %r : {ttype(out, "i8")}
    }}
    """
    expected = np.zeros(out, dtype=np.int64)
    for index in np.ndindex(*out):
        expected[index] = x[broadcast_index(index, shape)]
    result = run1(text, x)
    close(result, expected, "i8")
    result[...] = 0  # a real array, not a read-only broadcast view


@pytest.mark.parametrize(
    "shapes,axis",
    [([(3,)], 0), ([(2, 3), (2, 5), (2, 1)], 1), ([(2, 3), (1, 3)], -2), ([(1, 2, 2)] * 3, 2)],
    ids=str,
)
def test_concat(shapes, axis):
    xs = [data(s, "f64") for s in shapes]
    ax = axis % len(shapes[0])
    out = list(shapes[0])
    out[ax] = sum(s[ax] for s in shapes)
    names = ", ".join(f"%x{i}" for i in range(len(xs)))
    types = ", ".join(ttype(s, "f64") for s in shapes)
    params = ", ".join(f"%x{i}: {ttype(s, 'f64')}" for i, s in enumerate(shapes))
    text = f"""
    func.func @f({params}) -> {ttype(out, "f64")} {{
      %r = graph.concat {names} {{axis = {axis} : i64}} : ({types}) -> {ttype(out, "f64")}
      func.return %r : {ttype(out, "f64")}
    }}
    """
    expected = np.zeros(out)
    offset = 0
    for x in xs:
        for index in np.ndindex(*x.shape):
            target = list(index)
            target[ax] += offset
            expected[tuple(target)] = x[index]
        offset += x.shape[ax]
    close(run1(text, *xs), expected, "f64")


# --------------------------------------------------------------------------------------
# graph.contract
# --------------------------------------------------------------------------------------


def contract_text(inputs, out, dims, maps, kind, body, el_out):
    params = ", ".join(f"%a{i}: {t}" for i, (t, _) in enumerate(inputs))
    names = ", ".join(f"%a{i}" for i in range(len(inputs)))
    types = ", ".join(t for t, _ in inputs)
    args = ", ".join(f"%x{i}: {el}" for i, (_, el) in enumerate(inputs))
    maps = ", ".join(f"affine_map<{m}>" for m in maps)
    dims = ", ".join(map(str, dims))
    body = "\n".join("        " + line for line in body.strip().splitlines())
    return f"""
    func.func @f({params}) -> {ttype(out, el_out)} {{
      %r = graph.contract {names} {{dims = array<i64: {dims}>, indexing_maps = [{maps}], kind = "{kind}"}} : ({types}) -> {ttype(out, el_out)} {{
      ^bb0({args}):
{body}
      }}
      func.return %r : {ttype(out, el_out)}
    }}
    """


MATMUL_BODY = """
%p = arith.mulf %x0, %x1 : f32
graph.yield %p : f32
"""


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (4, 3, 5), (7, 13, 2)])
def test_contract_matmul(m, k, n):
    a, b = data((m, k), "f32"), data((k, n), "f32")
    text = contract_text(
        [(ttype((m, k), "f32"), "f32"), (ttype((k, n), "f32"), "f32")],
        (m, n),
        (m, n, k),
        ["(i, j, k) -> (i, k)", "(i, j, k) -> (k, j)"],
        "add",
        MATMUL_BODY,
        "f32",
    )
    close(run1(text, a, b), loop_matmul(a, b, "f32"), "f32")


def test_contract_assign_broadcast_and_constant():
    # c[i, j] = max(a[i, j] + b[j], 0.5)
    a, b = data((3, 5), "f64"), data((5,), "f64")
    text = contract_text(
        [(ttype((3, 5), "f64"), "f64"), (ttype((5,), "f64"), "f64")],
        (3, 5),
        (3, 5),
        ["(i, j) -> (i, j)", "(i, j) -> (j)"],
        "assign",
        """
        %h = arith.constant 0.5 : f64
        %s = arith.addf %x0, %x1 : f64
        %r = arith.maximumf %s, %h : f64
        graph.yield %r : f64
        """,
        "f64",
    )
    expected = [[max(a[i, j] + b[j], 0.5) for j in range(5)] for i in range(3)]
    close(run1(text, a, b), expected, "f64")


def test_contract_scalar_input_and_constant_body():
    scaled = contract_text(
        [(ttype((3,), "f32"), "f32"), (ttype((), "f32"), "f32")],
        (3,),
        (3,),
        ["(i) -> (i)", "(i) -> ()"],
        "assign",
        """
        %p = arith.mulf %x0, %x1 : f32
        graph.yield %p : f32
        """,
        "f32",
    )
    close(run1(scaled, np.array([1, 2, -3], np.float32), np.float32(2.5)), [2.5, 5, -7.5], "f32")
    # A body that reads no argument still fills (and here reduces over) the whole space.
    counted = contract_text(
        [(ttype((3, 4), "i32"), "i32")], (2,), (2, 3, 4), ["(i, j, k) -> (j, k)"], "add",
        """
        %one = arith.constant 1 : i32
        graph.yield %one : i32
        """,
        "i32",
    )
    close(run1(counted, data((3, 4), "i32")), [12, 12], "i32")


def test_contract_trace_and_diagonal():
    a = data((5, 5), "i32")
    trace = contract_text(
        [(ttype((5, 5), "i32"), "i32")], (), (5,), ["(i) -> (i, i)"], "add",
        "graph.yield %x0 : i32", "i32",
    )
    close(run1(trace, a), sum(int(a[i, i]) for i in range(5)), "i32")
    diagonal = contract_text(
        [(ttype((5, 5), "i32"), "i32")], (5,), (5,), ["(i) -> (i, i)"], "assign",
        "graph.yield %x0 : i32", "i32",
    )
    close(run1(diagonal, a), [a[i, i] for i in range(5)], "i32")


@pytest.mark.parametrize("kind", ["max", "min", "mul", "add"])
def test_contract_kinds(kind):
    a = data((3, 4), "f32")
    text = contract_text(
        [(ttype((3, 4), "f32"), "f32")], (3,), (3, 4), ["(i, k) -> (i, k)"], kind,
        "graph.yield %x0 : f32", "f32",
    )
    combine = {"max": max, "min": min, "mul": math.prod, "add": sum}[kind]
    close(run1(text, a), [combine(float(v) for v in row) for row in a], "f32")


@pytest.mark.parametrize("kind", ["add", "max"])
def test_contract_several_reduction_dims(kind):
    # c[j] over i and k of a[i, j, k]: the output dimension sits between two reductions of
    # the input, and both trailing dimensions of the space reduce.
    a = data((3, 2, 5), "f64")
    text = contract_text(
        [(ttype((3, 2, 5), "f64"), "f64")], (2,), (2, 3, 5), ["(j, i, k) -> (i, j, k)"], kind,
        "graph.yield %x0 : f64", "f64",
    )
    combine = {"max": max, "add": sum}[kind]
    expected = [combine(float(a[i, j, k]) for i in range(3) for k in range(5)) for j in range(2)]
    close(run1(text, a), expected, "f64")


CMPF = {
    "false": lambda x, y: False,
    "oeq": lambda x, y: x == y,
    "ogt": lambda x, y: x > y,
    "oge": lambda x, y: x >= y,
    "olt": lambda x, y: x < y,
    "ole": lambda x, y: x <= y,
    "one": lambda x, y: not math.isnan(x) and not math.isnan(y) and x != y,
    "ord": lambda x, y: not math.isnan(x) and not math.isnan(y),
    "ueq": lambda x, y: math.isnan(x) or math.isnan(y) or x == y,
    "ugt": lambda x, y: math.isnan(x) or math.isnan(y) or x > y,
    "uge": lambda x, y: math.isnan(x) or math.isnan(y) or x >= y,
    "ult": lambda x, y: math.isnan(x) or math.isnan(y) or x < y,
    "ule": lambda x, y: math.isnan(x) or math.isnan(y) or x <= y,
    "une": lambda x, y: math.isnan(x) or math.isnan(y) or x != y,
    "uno": lambda x, y: math.isnan(x) or math.isnan(y),
    "true": lambda x, y: True,
}


@pytest.mark.parametrize("predicate", sorted(CMPF))
def test_contract_cmpf_predicates_with_nan(predicate):
    values = [float("nan"), -1.0, 0.0, 2.5]
    a = np.array([x for x in values for _ in values], dtype=np.float32)
    b = np.array([y for _ in values for y in values], dtype=np.float32)
    text = contract_text(
        [(ttype((16,), "f32"), "f32"), (ttype((16,), "f32"), "f32")],
        (16,),
        (16,),
        ["(i) -> (i)", "(i) -> (i)"],
        "assign",
        f"""
        %c = arith.cmpf {predicate}, %x0, %x1 : f32
        %one = arith.constant 1 : i32
        %zero = arith.constant 0 : i32
        %r = arith.select %c, %one, %zero : i32
        graph.yield %r : i32
        """,
        "i32",
    )
    expected = [int(CMPF[predicate](float(x), float(y))) for x, y in zip(a, b)]
    close(run1(text, a, b), expected, "i32")


@pytest.mark.parametrize(
    "predicate", ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"]
)
def test_contract_cmpi_predicates(predicate):
    values = [-128, -1, 0, 1, 127]
    a = np.array([x for x in values for _ in values], dtype=np.int8)
    b = np.array([y for _ in values for y in values], dtype=np.int8)
    text = contract_text(
        [(ttype((25,), "i8"), "i8"), (ttype((25,), "i8"), "i8")],
        (25,),
        (25,),
        ["(i) -> (i)", "(i) -> (i)"],
        "assign",
        f"""
        %c = arith.cmpi {predicate}, %x0, %x1 : i8
        %r = arith.extui %c : i1 to i8
        graph.yield %r : i8
        """,
        "i8",
    )
    unsigned = predicate.startswith("u")
    ops = {
        "eq": operator.eq, "ne": operator.ne, "lt": operator.lt,
        "le": operator.le, "gt": operator.gt, "ge": operator.ge,
    }
    compare = ops[predicate[1:] if predicate[0] in "su" else predicate]
    expected = []
    for x, y in zip(a.tolist(), b.tolist()):
        if unsigned:
            x, y = x % 256, y % 256
        expected.append(int(compare(x, y)))
    close(run1(text, a, b), expected, "i8")


def test_contract_empty_reduction_leaves_the_identity():
    # c[i] = kind over k of a[i] * e[k], with e empty: each kind's identity.
    a, e = np.array([1.5, -2.0, 3.0], dtype=np.float32), np.zeros((0,), dtype=np.float32)
    expected = {"add": 0.0, "mul": 1.0, "max": -np.inf, "min": np.inf}
    for kind, identity in expected.items():
        text = contract_text(
            [(ttype((3,), "f32"), "f32"), (ttype((0,), "f32"), "f32")],
            (3,),
            (3, 0),
            ["(i, k) -> (i)", "(i, k) -> (k)"],
            kind,
            MATMUL_BODY,
            "f32",
        )
        close(run1(text, a, e), [identity] * 3, "f32")


def test_contract_integer_body_wraps_and_truncates():
    # c[i] +=! a[i, k] * 3 / b[k] in i8: each product wraps, each quotient truncates.
    a = np.array([[100, -7], [50, 9]], dtype=np.int8)
    b = np.array([2, -2], dtype=np.int8)
    text = contract_text(
        [(ttype((2, 2), "i8"), "i8"), (ttype((2,), "i8"), "i8")],
        (2,),
        (2, 2),
        ["(i, k) -> (i, k)", "(i, k) -> (k)"],
        "add",
        """
        %three = arith.constant 3 : i8
        %p = arith.muli %x0, %three : i8
        %q = arith.divsi %p, %x1 : i8
        graph.yield %q : i8
        """,
        "i8",
    )
    expected = []
    for i in range(2):
        total = 0
        for k in range(2):
            p = wrap(int(a[i, k]) * 3, "i8")
            total += int(p / int(b[k]))
        expected.append(wrap(total, "i8"))
    close(run1(text, a, b), expected, "i8")


def test_contract_compare_select_and_math():
    # c[i] = min over k of (a[i,k] < b[k] ? exp(a[i,k]) : sqrt(|b[k]|))
    a, b = data((4, 3), "f32"), data((3,), "f32")
    text = contract_text(
        [(ttype((4, 3), "f32"), "f32"), (ttype((3,), "f32"), "f32")],
        (4,),
        (4, 3),
        ["(i, k) -> (i, k)", "(i, k) -> (k)"],
        "min",
        """
        %lt = arith.cmpf olt, %x0, %x1 : f32
        %e = math.exp %x0 : f32
        %m = math.absf %x1 : f32
        %s = math.sqrt %m : f32
        %v = arith.select %lt, %e, %s : f32
        graph.yield %v : f32
        """,
        "f32",
    )
    expected = [
        min(
            math.exp(a[i, k]) if a[i, k] < b[k] else math.sqrt(abs(float(b[k])))
            for k in range(3)
        )
        for i in range(4)
    ]
    close(run1(text, a, b), expected, "f32")


@pytest.mark.parametrize("limit", [1, 7, 40, 10**9])
def test_contract_chunking_gives_the_same_result(monkeypatch, limit):
    monkeypatch.setattr(graph_interp, "CONTRACT_CHUNK_ELEMENTS", limit)
    a, b = data((5, 6), "f32"), data((6, 3), "f32")
    matmul = contract_text(
        [(ttype((5, 6), "f32"), "f32"), (ttype((6, 3), "f32"), "f32")],
        (5, 3),
        (5, 3, 6),
        ["(i, j, k) -> (i, k)", "(i, j, k) -> (k, j)"],
        "add",
        MATMUL_BODY,
        "f32",
    )
    close(run1(matmul, a, b), loop_matmul(a, b, "f32"), "f32")
    # A rank-0 output: the leading dimension is a reduction and partial results fold.
    total_max = contract_text(
        [(ttype((5, 6), "f32"), "f32")], (), (5, 6), ["(i, j) -> (i, j)"], "max",
        "graph.yield %x0 : f32", "f32",
    )
    close(run1(total_max, a), max(float(v) for v in a.flat), "f32")


# --------------------------------------------------------------------------------------
# run_graph
# --------------------------------------------------------------------------------------

CALLS = """
func.func @square(%x: tensor<3xf32>) -> tensor<3xf32> {
  %r = graph.mul %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  func.return %r : tensor<3xf32>
}
func.func @main(%x: tensor<3xf32>, %y: tensor<3xi32>) -> (tensor<3xf32>, tensor<3xi32>) {
  %s = func.call @square(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %t = func.call @square(%s) : (tensor<3xf32>) -> tensor<3xf32>
  func.return %t, %y : tensor<3xf32>, tensor<3xi32>
}
"""


def test_run_graph_calls_between_functions_and_converts_arguments():
    module = parse(CALLS)
    x = [1.0, -2.0, 0.5]  # a list of Python floats: converted to f32
    t, y = run_graph(module, "main", [np.array(x), np.array([1, 2, 3])])
    close(t, [v**4 for v in x], "f32")
    close(y, [1, 2, 3], "i32")


@pytest.mark.parametrize(
    "entry,args,message",
    [
        ("nope", [], r"no function @nope in the module \(it has @square, @main\)"),
        ("main", [np.zeros(3, np.float32)], r"@main takes 2 arguments, 1 given"),
        ("square", [np.zeros(4, np.float32)], r"argument 0 has shape \[4\]"),
        ("main", [np.zeros(3), np.zeros(3)], r"argument 1 has dtype float64"),
        ("main", [np.zeros(3), np.array([1, 2, 2**40])], r"argument 1 has values that do not fit"),
    ],
)
def test_run_graph_rejects_bad_arguments(entry, args, message):
    with pytest.raises(ValueError, match=message):
        run_graph(parse(CALLS), entry, args)


# --------------------------------------------------------------------------------------
# PyTorch as a second opinion
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    xs, ws, stride, padding, dilation = case
    x, w = data(xs, "f32"), data(ws, "f32")
    result = run1(conv_text(xs, ws, stride, padding, dilation, "f32"), x, w)
    expected = torch.nn.functional.conv2d(
        torch.from_numpy(x), torch.from_numpy(w), stride=stride, padding=padding,
        dilation=dilation,
    )
    close(result, expected.numpy(), "f32")


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_pool2d_matches_torch(kind, case):
    torch = pytest.importorskip("torch")
    xs, kernel, stride, padding = case
    x = data(xs, "f32")
    result = run1(pool_text(kind, xs, kernel, stride, padding, "f32"), x)
    if kind == "max":
        expected = torch.nn.functional.max_pool2d(torch.from_numpy(x), kernel, stride, padding)
    else:
        expected = torch.nn.functional.avg_pool2d(
            torch.from_numpy(x), kernel, stride, padding, count_include_pad=True
        )
    close(result, expected.numpy(), "f32")


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
