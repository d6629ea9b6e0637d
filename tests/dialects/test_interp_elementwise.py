"""The graph reference interpreter: Constants and elementwise ops.

Expected values come from plain Python loops over indices or hand-computed numbers, not
from the NumPy calls the interpreter makes."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from tessera.compiler.diagnostics import TesseraError
from tessera.dialects.graph_interp import run_graph

from interp_helpers import (
    DTYPES,
    broadcast_index,
    broadcast_shape,
    close,
    data,
    parse,
    run1,
    ttype,
    wrap,
)

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
