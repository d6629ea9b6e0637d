"""The array semantics the `graph` reference interpreter is built from: NumPy dtypes of the
element types, constants, C's integer division, and sliding windows (convolution, pooling),
slices and pads. `graph_interp` applies them op by op; `contract_interp` evaluates index
notation with them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    IntegerType,
    TensorType,
)
from xdsl.ir import Attribute, Operation
from xdsl.utils.exceptions import InterpretationError

from tessera.compiler.diagnostics import TesseraError


# --------------------------------------------------------------------------------------
# Element types and constants
# --------------------------------------------------------------------------------------


def numpy_dtype(element_type: Attribute) -> np.dtype:
    """The NumPy dtype that holds values of an xDSL element type (i1 -> bool)."""
    if isinstance(element_type, IntegerType) and element_type.width.data == 1:
        return np.dtype(np.bool_)
    fmt = getattr(element_type, "format", None)
    if fmt is None:
        raise InterpretationError(f"no NumPy dtype for element type {element_type}")
    return np.dtype(fmt).newbyteorder("=")


def tensor_value(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The NumPy array of a dense elements attribute (a splat fills the whole shape)."""
    element_type = attr.get_element_type()
    shape = tuple(attr.get_shape())
    dtype = numpy_dtype(element_type)
    raw = np.frombuffer(attr.data.data, dtype=np.dtype(element_type.format))
    values = (raw != 0) if dtype == np.bool_ else raw.astype(dtype)
    if values.size == 1 and math.prod(shape) != 1:
        return np.full(shape, values[0], dtype=dtype)
    return values.reshape(shape).copy()


def _is_float(dtype: np.dtype) -> bool:
    return np.issubdtype(dtype, np.floating)


def _accumulator(dtype: np.dtype) -> np.dtype:
    """Floats accumulate in float64; integers in their own type (wrapping, like hardware)."""
    return np.dtype(np.float64) if _is_float(dtype) else dtype


def _min_value(dtype: np.dtype):
    if _is_float(dtype):
        return -np.inf
    if dtype == np.bool_:
        return False
    return np.iinfo(dtype).min


def _max_value(dtype: np.dtype):
    if _is_float(dtype):
        return np.inf
    if dtype == np.bool_:
        return True
    return np.iinfo(dtype).max


def _result(op: Operation, value: Any) -> np.ndarray:
    """`value` as an array of op's result type; a shape mismatch is an interpreter bug."""
    t = op.results[0].type
    assert isinstance(t, TensorType)
    array = np.asarray(value)
    dtype = numpy_dtype(t.element_type)
    if array.dtype != dtype:
        array = array.astype(dtype)
    shape = tuple(t.get_shape())
    if array.shape != shape:
        raise InterpretationError(
            f"internal error: {op.name} computed shape {list(array.shape)}, "
            f"its type says {list(shape)}"
        )
    # A copy where needed, so that no result is a read-only or strided view (broadcasts,
    # transposes); np.ascontiguousarray would turn a rank-0 array into rank 1.
    return array if array.flags.c_contiguous and array.flags.writeable else array.copy()


def truncating_divide(op: Operation, lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """C's integer division (rounds toward zero, wraps on overflow), broadcasting."""
    dtype = np.result_type(lhs, rhs)
    if np.any(rhs == 0):
        raise TesseraError.at_op(op, f"'{op.name}' integer division by zero")
    a = np.asarray(lhs).astype(np.int64)
    b = np.asarray(rhs).astype(np.int64)
    quotient = np.abs(a) // np.abs(b)
    return np.where((a < 0) != (b < 0), -quotient, quotient).astype(dtype)


# --------------------------------------------------------------------------------------
# Convolution and pooling
# --------------------------------------------------------------------------------------


def _window_slices(
    padded: np.ndarray, kernel: tuple[int, int], stride, dilation, out_hw
) -> list[tuple[tuple[int, int], np.ndarray]]:
    """For each kernel offset (i, j), the input elements it meets at every output position."""
    oh, ow = out_hw
    slices = []
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            h0, w0 = i * dilation[0], j * dilation[1]
            view = padded[
                :,
                :,
                h0 : h0 + stride[0] * (oh - 1) + 1 : stride[0],
                w0 : w0 + stride[1] * (ow - 1) + 1 : stride[1],
            ]
            slices.append(((i, j), view))
    return slices


def _pad_hw(x: np.ndarray, padding, value) -> np.ndarray:
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def conv2d(
    x: np.ndarray, w: np.ndarray, stride, padding, dilation, out_shape: Sequence[int]
) -> np.ndarray:
    """NCHW x OIHW convolution (cross-correlation), zero padding; returns the accumulator."""
    acc = _accumulator(x.dtype) if _is_float(x.dtype) else np.dtype(np.int64)
    padded = _pad_hw(x.astype(acc), padding, 0)
    weight = w.astype(acc)
    n, o, oh, ow = out_shape
    out = np.zeros((o, n, oh, ow), dtype=acc)
    for (i, j), view in _window_slices(padded, w.shape[2:], stride, dilation, (oh, ow)):
        # (O, C) . (N, C, OH, OW) over C -> (O, N, OH, OW)
        out += np.tensordot(weight[:, :, i, j], view, axes=([1], [1]))
    return out.transpose(1, 0, 2, 3)


def maxpool2d(x: np.ndarray, kernel, stride, padding, out_shape) -> np.ndarray:
    padded = _pad_hw(x, padding, _min_value(x.dtype))
    out = np.full(out_shape, _min_value(x.dtype), dtype=x.dtype)
    for _, view in _window_slices(padded, kernel, stride, (1, 1), out_shape[2:]):
        np.maximum(out, view, out=out)
    return out


def avgpool2d(x: np.ndarray, kernel, stride, padding, out_shape) -> np.ndarray:
    acc = _accumulator(x.dtype) if _is_float(x.dtype) else np.dtype(np.int64)
    padded = _pad_hw(x.astype(acc), padding, 0)
    total = np.zeros(out_shape, dtype=acc)
    for _, view in _window_slices(padded, kernel, stride, (1, 1), out_shape[2:]):
        total += view
    area = kernel[0] * kernel[1]
    if _is_float(x.dtype):
        return total / area
    quotient = np.abs(total) // area
    return np.where(total < 0, -quotient, quotient)


# --------------------------------------------------------------------------------------
# Slicing and padding
# --------------------------------------------------------------------------------------


def slice_array(x: np.ndarray, starts, sizes, strides) -> np.ndarray:
    """x[start :: stride] with `size` elements per dimension; a negative stride walks down.

    The stop is computed from the last index rather than written as start + size * stride,
    which for a negative stride reaching index 0 would be -1 (NumPy's "from the end").
    """
    index = []
    for start, size, stride in zip(starts, sizes, strides):
        last = start + (size - 1) * stride
        stop = last + (1 if stride > 0 else -1)
        index.append(slice(start, stop if stop >= 0 else None, stride))
    return x[tuple(index)]


def pad_array(x: np.ndarray, low, high, interior) -> np.ndarray:
    """Zeros of x's dtype around (`low`, `high`) and between (`interior`) its elements."""
    shape = [
        lo + hi + size + max(size - 1, 0) * inner
        for size, lo, hi, inner in zip(x.shape, low, high, interior)
    ]
    out = np.zeros(shape, dtype=x.dtype)
    where = tuple(
        slice(lo, lo + (size - 1) * (inner + 1) + 1, inner + 1)
        for size, lo, inner in zip(x.shape, low, interior)
    )
    out[where] = x
    return out
