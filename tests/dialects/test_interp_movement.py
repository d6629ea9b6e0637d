"""The graph reference interpreter: transpose, reshape, broadcast_to, concat.

Expected values come from plain Python loops over indices or hand-computed numbers, not
from the NumPy calls the interpreter makes."""

from __future__ import annotations


import numpy as np
import pytest


from interp_helpers import (
    broadcast_index,
    close,
    data,
    run1,
    ttype,
)

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
