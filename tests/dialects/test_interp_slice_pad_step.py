"""The graph reference interpreter: slice, pad and step, and their shape rules.

Expected values come from plain Python loops over indices, not from the NumPy slicing the
interpreter does; the slices and pads are drawn at random (seeded) over many shapes, with
negative strides, strides that walk to index 0, and interior padding."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from xdsl.dialects.builtin import TensorType, f32, i32
from xdsl.ir import Block
from xdsl.utils.exceptions import VerifyException

from tessera.dialects import graph as G

from interp_helpers import DTYPES, data, parse, run1, ttype

SHAPES = [(1,), (7,), (4, 6), (1, 5), (3, 1, 4), (2, 3, 5, 4), (6, 2, 1, 3)]
ELEMENT_TYPES = ["f32", "f64", "i32", "i8"]


def array(values) -> str:
    return "array<i64" + "".join(f"{', ' if i else ': '}{v}" for i, v in enumerate(values)) + ">"


def random_slice(rng: random.Random, shape):
    """(starts, sizes, strides) of a valid slice of `shape`: any non-zero stride in -3..3."""
    starts, sizes, strides = [], [], []
    for extent in shape:
        stride = rng.choice([s for s in range(-3, 4) if s and abs(s) <= max(extent - 1, 1)])
        start = rng.randrange(extent)
        reach = start if stride < 0 else extent - 1 - start  # the indices left that way
        size = rng.randint(1, reach // abs(stride) + 1)
        starts.append(start)
        sizes.append(size)
        strides.append(stride)
    return starts, sizes, strides


def slice_text(shape, el, starts, sizes, strides) -> str:
    return f"""
    func.func @f(%x: {ttype(shape, el)}) -> {ttype(sizes, el)} {{
      %r = graph.slice %x {{starts = {array(starts)}, sizes = {array(sizes)}, strides = {array(strides)}}} : {ttype(shape, el)} -> {ttype(sizes, el)}
      func.return %r : {ttype(sizes, el)}
    }}
    """


def pad_text(shape, el, low, high, interior) -> str:
    out = [lo + hi + n + (n - 1) * k for n, lo, hi, k in zip(shape, low, high, interior)]
    return f"""
    func.func @f(%x: {ttype(shape, el)}) -> {ttype(out, el)} {{
      %r = graph.pad %x {{low = {array(low)}, high = {array(high)}, interior = {array(interior)}}} : {ttype(shape, el)} -> {ttype(out, el)}
      func.return %r : {ttype(out, el)}
    }}
    """


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("el", ELEMENT_TYPES)
def test_slice_reads_start_plus_index_times_stride(shape, el):
    rng = random.Random(f"{shape}{el}")
    x = data(shape, el)
    for _ in range(4):
        starts, sizes, strides = random_slice(rng, shape)
        result = run1(slice_text(shape, el, starts, sizes, strides), x)
        assert result.dtype == DTYPES[el] and result.shape == tuple(sizes)
        assert result.flags.c_contiguous
        for index in np.ndindex(*sizes):
            source = tuple(a + i * k for a, i, k in zip(starts, index, strides))
            assert result[index] == x[source], (starts, sizes, strides, index)


def test_slice_reversing_every_dimension_and_reaching_index_zero():
    """Stride -1 from the last index (a convolution kernel's flip) and a stride -2 walk
    that ends exactly at index 0, where `start + size * stride` is -1."""
    x = data((3, 5), "i32")
    flipped = run1(slice_text((3, 5), "i32", [2, 4], [3, 5], [-1, -1]), x)
    assert flipped.tolist() == [[x[2 - i, 4 - j] for j in range(5)] for i in range(3)]
    walked = run1(slice_text((3, 5), "i32", [0, 4], [3, 3], [1, -2]), x)
    assert walked.tolist() == [[x[i, 4], x[i, 2], x[i, 0]] for i in range(3)]


def test_rank0_slice_and_pad_are_the_identity():
    x = np.asarray(2.5, dtype=np.float32)
    assert run1(slice_text((), "f32", [], [], []), x) == 2.5
    assert run1(pad_text((), "f32", [], [], []), x) == 2.5


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("el", ELEMENT_TYPES)
def test_pad_places_elements_between_zeros(shape, el):
    rng = random.Random(f"pad{shape}{el}")
    x = data(shape, el)
    for _ in range(3):
        low = [rng.randint(0, 2) for _ in shape]
        high = [rng.randint(0, 2) for _ in shape]
        interior = [rng.randint(0, 3) for _ in shape]
        result = run1(pad_text(shape, el, low, high, interior), x)
        out = tuple(lo + hi + n + (n - 1) * k for n, lo, hi, k in zip(shape, low, high, interior))
        assert result.dtype == DTYPES[el] and result.shape == out
        expected = np.zeros(out, dtype=DTYPES[el])
        written = np.zeros(out, dtype=bool)
        for index in np.ndindex(*shape):
            at = tuple(lo + i * (k + 1) for lo, i, k in zip(low, index, interior))
            expected[at], written[at] = x[index], True
        assert np.array_equal(result, expected), (low, high, interior)
        assert not np.signbit(result[~written]).any()  # the fill is +0, never -0


@pytest.mark.parametrize("shape", [(5, 7), (3, 4, 2)], ids=str)
def test_pad_is_the_adjoint_of_a_positive_stride_slice(shape):
    """<slice(x), y> == <x, pad(y)> for the pad that puts y back where the slice took it."""
    rng = random.Random(str(shape))
    for _ in range(5):
        starts, sizes, strides = random_slice(rng, shape)
        strides = [abs(k) for k in strides]
        starts = [min(a, n - 1 - (s - 1) * k) for a, s, k, n in zip(starts, sizes, strides, shape)]
        low = starts
        interior = [k - 1 for k in strides]
        high = [n - a - (s - 1) * k - 1 for a, s, k, n in zip(starts, sizes, strides, shape)]
        x, y = data(shape, "f64"), data(sizes, "f64")
        sliced = run1(slice_text(shape, "f64", starts, sizes, strides), x)
        padded = run1(pad_text(sizes, "f64", low, high, interior), y)
        assert padded.shape == shape
        assert math.isclose(float(np.sum(sliced * y)), float(np.sum(x * padded)), rel_tol=1e-12)


@pytest.mark.parametrize("el", ELEMENT_TYPES)
def test_step_is_one_above_zero(el):
    if el.startswith("f"):
        values = [-np.inf, -2.5, -1e-30, -0.0, 0.0, 1e-38, 0.25, 1.0, 7.0, np.inf, np.nan]
        if el == "f64":
            values.append(5e-324)  # the smallest subnormal
    else:
        info = np.iinfo(DTYPES[el])
        values = [info.min, -3, -1, 0, 1, 2, info.max]
    x = np.asarray(values, dtype=DTYPES[el])
    text = f"""
    func.func @f(%x: {ttype(x.shape, el)}) -> {ttype(x.shape, el)} {{
      %r = graph.step %x : {ttype(x.shape, el)} -> {ttype(x.shape, el)}
      func.return %r : {ttype(x.shape, el)}
    }}
    """
    result = run1(text, x)
    assert result.dtype == DTYPES[el]
    assert result.tolist() == [1 if v > 0 else 0 for v in values]  # NaN > 0 is False
    if el.startswith("f"):
        assert not np.signbit(result).any()  # +0.0 where the step is 0, even for -0.0


# --------------------------------------------------------------------------------------
# Shape rules: the ops' infer_type (what the frontend and the gradient builders call)
# --------------------------------------------------------------------------------------


def value(shape, element_type=f32):
    return Block(arg_types=[TensorType(element_type, list(shape))]).args[0]


@pytest.mark.parametrize("starts,sizes,strides,message", [
    ([0, 0], [2, 3], [1, 0], "slice: the stride of dimension 1 must be non-zero, got 0"),
    ([0, 0], [0, 3], [1, 1], "slice: the size of dimension 0 must be > 0, got 0"),
    ([3, 0], [5, 1], [-1, 1], "slice: dimension 0 reads indices 3 to -1 (start 3, size 5, "
                              "stride -1), out of range for extent 4 of [4, 6]"),
    ([0, 2], [1, 3], [1, 2], "slice: dimension 1 reads indices 2 to 6 (start 2, size 3, "
                             "stride 2), out of range for extent 6 of [4, 6]"),
    ([-1, 0], [1, 1], [1, 1], "slice: dimension 0 reads indices -1 to -1"),
    ([0], [1, 1], [1, 1], "slice: starts [0] needs one value per dimension of [4, 6] (2), "
                          "got 1"),
    ([0, 0], [1, 1], [1 << 63, 1], f"slice: strides value {1 << 63} is out of range for int64"),
])
def test_slice_shape_errors(starts, sizes, strides, message):
    with pytest.raises(G.ShapeError) as info:
        G.SliceOp(value((4, 6)), starts, sizes, strides)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("low,high,interior,message", [
    ([0, -1], [0, 0], [0, 0], "pad: low padding of dimension 1 must be >= 0, got -1 "
                              "(input [4, 6])"),
    ([0, 0], [0, 0], [-2, 0], "pad: interior padding of dimension 0 must be >= 0, got -2"),
    ([0, 0], [0], [0, 0], "pad: high [0] needs one value per dimension of [4, 6] (2), got 1"),
])
def test_pad_shape_errors(low, high, interior, message):
    with pytest.raises(G.ShapeError) as info:
        G.PadOp(value((4, 6)), low, high, interior)
    assert str(info.value).startswith(message)


def test_builders_default_strides_and_interior_and_type_the_results():
    x = value((4, 6), i32)
    s = G.SliceOp(x, [1, 2], [3, 4])
    assert G.int_values(s.strides) == (1, 1) and s.result.type == TensorType(i32, [3, 4])
    p = G.PadOp(x, [1, 0], [0, 2])
    assert G.int_values(p.interior) == (0, 0) and p.result.type == TensorType(i32, [5, 8])
    assert G.StepOp(x).result.type == x.type
    for op in (s, p, G.StepOp(x)):
        op.verify()


def test_a_slice_whose_result_type_disagrees_does_not_verify():
    with pytest.raises(VerifyException, match="'graph.slice' result type tensor<2x2xf32> "
                                              "differs from the inferred tensor<2x3xf32>"):
        parse("""
        func.func @f(%x: tensor<4x6xf32>) -> tensor<2x2xf32> {
          %r = graph.slice %x {starts = array<i64: 0, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 1, 1>} : tensor<4x6xf32> -> tensor<2x2xf32>
          func.return %r : tensor<2x2xf32>
        }
        """)
