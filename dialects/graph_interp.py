"""NumPy reference semantics of the `graph` dialect, as xDSL interpreter functions.

A tensor value is a NumPy array of the tensor's shape and element type (f32 -> float32,
f64 -> float64, i32 -> int32, i8 -> int8, i1 -> bool). These are the semantics every
lowering is checked against, so they favour being obviously right over being fast:

- integer arithmetic wraps around (two's complement); integer division truncates toward
  zero, as in C, and dividing by zero is an error at the op's source location;
- float sums (matmul aside, which uses the element type) accumulate in float64 and round
  once at the end;
- conv2d is NCHW x OIHW with zero padding; maxpool2d treats padding as -inf; avgpool2d
  divides by the kernel area (PyTorch's count_include_pad), truncating for integers;
- `graph.contract` is evaluated vectorised: each input becomes a strided view over the
  whole iteration space, the body's scalar ops run as NumPy ufuncs on those arrays, and the
  trailing reduction dimensions are folded with the op's `kind`.

`run_graph(module, entry, args)` runs one function of a verified module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided
from xdsl.dialects import arith, func
from xdsl.dialects import math as xmath
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    TensorType,
)
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    impl,
    register_impls,
)
from xdsl.interpreters.arith import ArithFunctions
from xdsl.interpreters.func import FuncFunctions
from xdsl.ir import Attribute, Block, Operation
from xdsl.utils.exceptions import InterpretationError

from tessera.compiler.diagnostics import TesseraError
from tessera.dialects import graph

# A contract whose iteration space holds more elements than this is evaluated in slices
# along its leading dimension, so that no intermediate array of the body grows unbounded.
CONTRACT_CHUNK_ELEMENTS = 1 << 26


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


# --------------------------------------------------------------------------------------
# graph.contract
# --------------------------------------------------------------------------------------

_CMPF: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "false": lambda a, b: np.zeros(np.broadcast(a, b).shape, dtype=bool),
    "oeq": np.equal,
    "ogt": np.greater,
    "oge": np.greater_equal,
    "olt": np.less,
    "ole": np.less_equal,
    "one": lambda a, b: ~np.isnan(a) & ~np.isnan(b) & (a != b),
    "ord": lambda a, b: ~np.isnan(a) & ~np.isnan(b),
    "ueq": lambda a, b: np.isnan(a) | np.isnan(b) | (a == b),
    "ugt": lambda a, b: ~(a <= b),
    "uge": lambda a, b: ~(a < b),
    "ult": lambda a, b: ~(a >= b),
    "ule": lambda a, b: ~(a > b),
    "une": np.not_equal,
    "uno": lambda a, b: np.isnan(a) | np.isnan(b),
    "true": lambda a, b: np.ones(np.broadcast(a, b).shape, dtype=bool),
}


def _unsigned(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    return a if a.dtype == np.bool_ else a.view(a.dtype.str.replace("i", "u"))


_CMPI: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "eq": np.equal,
    "ne": np.not_equal,
    "slt": np.less,
    "sle": np.less_equal,
    "sgt": np.greater,
    "sge": np.greater_equal,
    "ult": lambda a, b: _unsigned(a) < _unsigned(b),
    "ule": lambda a, b: _unsigned(a) <= _unsigned(b),
    "ugt": lambda a, b: _unsigned(a) > _unsigned(b),
    "uge": lambda a, b: _unsigned(a) >= _unsigned(b),
}


def _scalar_constant(op: arith.ConstantOp) -> np.ndarray:
    value = op.value
    dtype = numpy_dtype(op.result.type)
    if isinstance(value, FloatAttr):
        return np.asarray(value.value.data, dtype=dtype)
    if isinstance(value, IntegerAttr):
        if dtype == np.bool_:
            return np.asarray(value.value.data != 0)
        return np.asarray(int(value.value.data)).astype(dtype)
    raise InterpretationError(f"graph.contract: unsupported constant {value} in a body")


def _unary(fn: Callable) -> Callable[[Operation, list], Any]:
    return lambda op, args: fn(args[0])


def _binary(fn: Callable) -> Callable[[Operation, list], Any]:
    return lambda op, args: fn(args[0], args[1])


def _cast(op: Operation, args: list) -> Any:
    return np.asarray(args[0]).astype(numpy_dtype(op.results[0].type))


def _fptosi(op: Operation, args: list) -> Any:
    # Through int64, so that out-of-range values wrap instead of being platform-defined.
    return np.trunc(np.asarray(args[0])).astype(np.int64).astype(numpy_dtype(op.results[0].type))


def _extui(op: Operation, args: list) -> Any:
    return _unsigned(args[0]).astype(numpy_dtype(op.results[0].type))


def _remsi(op: Operation, args: list) -> Any:
    if np.any(np.asarray(args[1]) == 0):
        raise TesseraError.at_op(op, f"'{op.name}' integer remainder by zero")
    return np.fmod(args[0], args[1])


_BODY_OPS: dict[type[Operation], Callable[[Operation, list], Any]] = {
    arith.ConstantOp: lambda op, args: _scalar_constant(op),
    arith.AddfOp: _binary(np.add),
    arith.SubfOp: _binary(np.subtract),
    arith.MulfOp: _binary(np.multiply),
    arith.DivfOp: _binary(np.divide),
    arith.NegfOp: _unary(np.negative),
    arith.MaximumfOp: _binary(np.maximum),
    arith.MinimumfOp: _binary(np.minimum),
    arith.MaxnumfOp: _binary(np.fmax),
    arith.MinnumfOp: _binary(np.fmin),
    arith.AddiOp: _binary(np.add),
    arith.SubiOp: _binary(np.subtract),
    arith.MuliOp: _binary(np.multiply),
    arith.DivSIOp: lambda op, args: truncating_divide(op, args[0], args[1]),
    arith.RemSIOp: _remsi,
    arith.MaxSIOp: _binary(np.maximum),
    arith.MinSIOp: _binary(np.minimum),
    arith.AndIOp: _binary(np.bitwise_and),
    arith.OrIOp: _binary(np.bitwise_or),
    arith.XOrIOp: _binary(np.bitwise_xor),
    arith.SelectOp: lambda op, args: np.where(args[0], args[1], args[2]),
    arith.CmpfOp: lambda op, args: _CMPF[
        arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
    ](args[0], args[1]),
    arith.CmpiOp: lambda op, args: _CMPI[
        arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
    ](args[0], args[1]),
    arith.SIToFPOp: _cast,
    arith.FPToSIOp: _fptosi,
    arith.ExtFOp: _cast,
    arith.TruncFOp: _cast,
    arith.ExtSIOp: _cast,
    arith.TruncIOp: _cast,
    arith.ExtUIOp: _extui,
    xmath.ExpOp: _unary(np.exp),
    xmath.LogOp: _unary(np.log),
    xmath.SqrtOp: _unary(np.sqrt),
    xmath.RsqrtOp: _unary(lambda a: 1 / np.sqrt(a)),
    xmath.TanhOp: _unary(np.tanh),
    xmath.AbsFOp: _unary(np.abs),
    xmath.AbsIOp: _unary(np.abs),
    xmath.PowFOp: _binary(np.power),
    xmath.SinOp: _unary(np.sin),
    xmath.CosOp: _unary(np.cos),
    xmath.FloorOp: _unary(np.floor),
    xmath.CeilOp: _unary(np.ceil),
    xmath.Log2Op: _unary(np.log2),
    xmath.Exp2Op: _unary(np.exp2),
    xmath.FmaOp: lambda op, args: args[0] * args[1] + args[2],
    xmath.ErfOp: _unary(np.vectorize(math.erf, otypes=[np.float64])),
}


def evaluate_body(block: Block, args: Sequence[np.ndarray]) -> np.ndarray:
    """Run a contract body on whole arrays: each scalar op becomes a NumPy ufunc."""
    values: dict[Any, Any] = dict(zip(block.args, args))
    for op in block.ops:
        if isinstance(op, graph.YieldOp):
            return np.asarray(values[op.value])
        fn = _BODY_OPS.get(type(op))
        if fn is None:
            raise InterpretationError(
                f"graph.contract: the reference interpreter cannot evaluate '{op.name}' "
                "in a contract body"
            )
        result = np.asarray(fn(op, [values[v] for v in op.operands]))
        dtype = numpy_dtype(op.results[0].type)
        values[op.results[0]] = result if result.dtype == dtype else result.astype(dtype)
    raise InterpretationError("graph.contract: the body has no graph.yield")


def _space_view(array: np.ndarray, results: Sequence[int], space: tuple[int, ...]) -> np.ndarray:
    """`array` as a read-only view over the iteration space; map result k is dim results[k].

    A dimension named twice (a diagonal) steps both of its axes at once, so strides add.
    """
    strides = [0] * len(space)
    for axis, dim in enumerate(results):
        strides[dim] += array.strides[axis]
    return as_strided(array, shape=space, strides=strides, writeable=False)


def _fold(kind: str, values: np.ndarray, axes: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    if kind == "assign" or not axes:
        return values
    if kind == "add":
        return np.add.reduce(values, axis=axes, dtype=_accumulator(dtype))
    if kind == "mul":
        return np.multiply.reduce(values, axis=axes, dtype=_accumulator(dtype))
    if kind == "max":
        return np.maximum.reduce(values, axis=axes, initial=_min_value(dtype))
    if kind == "min":
        return np.minimum.reduce(values, axis=axes, initial=_max_value(dtype))
    raise InterpretationError(f"graph.contract: unknown kind '{kind}'")


def _contract_chunk(
    block: Block,
    views: list[np.ndarray],
    space: tuple[int, ...],
    n_out: int,
    kind: str,
    dtype: np.dtype,
) -> np.ndarray:
    total = math.prod(space)
    if total <= CONTRACT_CHUNK_ELEMENTS or not space:
        value = np.broadcast_to(evaluate_body(block, views), space)
        return _fold(kind, value, tuple(range(n_out, len(space))), dtype)
    rest = total // space[0]
    if rest > CONTRACT_CHUNK_ELEMENTS:
        # Even one slice is too large: fix the leading index and recurse on the rest.
        parts = [
            _contract_chunk(block, [v[i] for v in views], space[1:], max(n_out - 1, 0), kind, dtype)
            for i in range(space[0])
        ]
        stacked = np.stack(parts)
    else:
        step = CONTRACT_CHUNK_ELEMENTS // rest
        parts = [
            _contract_chunk(
                block,
                [v[lo : lo + step] for v in views],
                (min(step, space[0] - lo), *space[1:]),
                n_out,
                kind,
                dtype,
            )
            for lo in range(0, space[0], step)
        ]
        if n_out:
            return np.concatenate(parts, axis=0)
        stacked = np.stack(parts)
    # The leading dimension is an output dimension: the parts are its rows. Otherwise it
    # is a reduction dimension and the partial results fold together.
    return stacked if n_out else _fold(kind, stacked, (0,), dtype)


def evaluate_contract(op: graph.ContractOp, inputs: Sequence[np.ndarray]) -> np.ndarray:
    """The value of a `graph.contract` applied to `inputs` (arrays of its operand types)."""
    space = tuple(op.extents)
    if any(d < 0 for d in space):
        raise InterpretationError(f"graph.contract: negative extent in dims {list(space)}")
    views = []
    for array, m in zip(inputs, op.maps):
        dims = [r.position for r in m.results]  # plain dims: the verifier checked that
        views.append(_space_view(np.asarray(array), dims, space))
    dtype = numpy_dtype(op.result.type.element_type)
    with np.errstate(all="ignore"):
        return _contract_chunk(op.body.block, views, space, op.output_rank, op.kind.data, dtype)


# --------------------------------------------------------------------------------------
# The interpreter functions
# --------------------------------------------------------------------------------------




def _elementwise(op: Operation, fn: Callable, args: PythonValues) -> PythonValues:
    with np.errstate(all="ignore"):
        return (_result(op, fn(*args)),)


def _axis(axis: int, rank: int) -> int:
    return axis % rank if rank else 0


def _pool_params(op: graph.Pool2dOp) -> tuple:
    """kernel, stride, padding and the result shape of a pooling op."""
    return (
        graph.int_values(op.kernel),
        graph.int_values(op.stride),
        graph.int_values(op.padding),
        tuple(op.result.type.get_shape()),
    )


@register_impls
class GraphFunctions(InterpreterFunctions):
    """NumPy implementations of every `graph` op."""

    @impl(graph.ConstantOp)
    def run_constant(self, interpreter: Interpreter, op: graph.ConstantOp, args: PythonValues):
        return (_result(op, tensor_value(op.value)),)

    # Elementwise binary ops (NumPy broadcasting)

    @impl(graph.AddOp)
    def run_add(self, interpreter: Interpreter, op: graph.AddOp, args: PythonValues):
        return _elementwise(op, np.add, args)

    @impl(graph.SubOp)
    def run_sub(self, interpreter: Interpreter, op: graph.SubOp, args: PythonValues):
        return _elementwise(op, np.subtract, args)

    @impl(graph.MulOp)
    def run_mul(self, interpreter: Interpreter, op: graph.MulOp, args: PythonValues):
        return _elementwise(op, np.multiply, args)

    @impl(graph.DivOp)
    def run_div(self, interpreter: Interpreter, op: graph.DivOp, args: PythonValues):
        lhs, rhs = args
        if _is_float(lhs.dtype):
            return _elementwise(op, np.divide, args)
        return (_result(op, truncating_divide(op, lhs, rhs)),)

    @impl(graph.MaximumOp)
    def run_maximum(self, interpreter: Interpreter, op: graph.MaximumOp, args: PythonValues):
        return _elementwise(op, np.maximum, args)

    @impl(graph.MinimumOp)
    def run_minimum(self, interpreter: Interpreter, op: graph.MinimumOp, args: PythonValues):
        return _elementwise(op, np.minimum, args)

    # Elementwise unary ops

    @impl(graph.NegOp)
    def run_neg(self, interpreter: Interpreter, op: graph.NegOp, args: PythonValues):
        return _elementwise(op, np.negative, args)

    @impl(graph.ReluOp)
    def run_relu(self, interpreter: Interpreter, op: graph.ReluOp, args: PythonValues):
        return _elementwise(op, lambda x: np.maximum(x, x.dtype.type(0)), args)

    @impl(graph.SigmoidOp)
    def run_sigmoid(self, interpreter: Interpreter, op: graph.SigmoidOp, args: PythonValues):
        # exp(-x) overflows to inf for very negative x, giving exactly 0: the right limit.
        return _elementwise(op, lambda x: 1 / (1 + np.exp(-x)), args)

    @impl(graph.TanhOp)
    def run_tanh(self, interpreter: Interpreter, op: graph.TanhOp, args: PythonValues):
        return _elementwise(op, np.tanh, args)

    @impl(graph.ExpOp)
    def run_exp(self, interpreter: Interpreter, op: graph.ExpOp, args: PythonValues):
        return _elementwise(op, np.exp, args)

    @impl(graph.LogOp)
    def run_log(self, interpreter: Interpreter, op: graph.LogOp, args: PythonValues):
        return _elementwise(op, np.log, args)

    @impl(graph.SqrtOp)
    def run_sqrt(self, interpreter: Interpreter, op: graph.SqrtOp, args: PythonValues):
        return _elementwise(op, np.sqrt, args)

    @impl(graph.StepOp)
    def run_step(self, interpreter: Interpreter, op: graph.StepOp, args: PythonValues):
        # `x > 0` is False for NaN, so NaN steps to 0.
        return _elementwise(op, lambda x: np.where(x > 0, 1, 0).astype(x.dtype), args)

    @impl(graph.WidenOp)
    def run_widen(self, interpreter: Interpreter, op: graph.WidenOp, args: PythonValues):
        return (_result(op, args[0].astype(np.int32)),)

    @impl(graph.RequantizeOp)
    def run_requantize(self, interpreter: Interpreter, op: graph.RequantizeOp,
                       args: PythonValues):
        scaled = np.rint(args[0].astype(np.float64) * op.scale.value.data)  # half to even
        return (_result(op, np.clip(scaled, -128, 127)),)

    # Contractions, convolution and pooling

    @impl(graph.MatmulOp)
    def run_matmul(self, interpreter: Interpreter, op: graph.MatmulOp, args: PythonValues):
        lhs, rhs = args
        if _is_float(lhs.dtype):
            return (_result(op, np.matmul(lhs, rhs)),)
        # Wraparound arithmetic is a ring homomorphism: accumulating in int64 and
        # truncating once equals accumulating in the element type.
        return (_result(op, np.matmul(lhs.astype(np.int64), rhs.astype(np.int64))),)

    @impl(graph.Conv2dOp)
    def run_conv2d(self, interpreter: Interpreter, op: graph.Conv2dOp, args: PythonValues):
        x, w = args
        out = conv2d(
            x,
            w,
            graph.int_values(op.stride),
            graph.int_values(op.padding),
            graph.int_values(op.dilation),
            tuple(op.result.type.get_shape()),
        )
        return (_result(op, out),)

    @impl(graph.MaxPool2dOp)
    def run_maxpool2d(self, interpreter: Interpreter, op: graph.MaxPool2dOp, args: PythonValues):
        return (_result(op, maxpool2d(args[0], *_pool_params(op))),)

    @impl(graph.AvgPool2dOp)
    def run_avgpool2d(self, interpreter: Interpreter, op: graph.AvgPool2dOp, args: PythonValues):
        return (_result(op, avgpool2d(args[0], *_pool_params(op))),)

    # Softmax and reductions

    @impl(graph.SoftmaxOp)
    def run_softmax(self, interpreter: Interpreter, op: graph.SoftmaxOp, args: PythonValues):
        (x,) = args
        axis = _axis(op.axis.value.data, x.ndim)
        with np.errstate(all="ignore"):
            shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
            total = np.sum(shifted, axis=axis, keepdims=True, dtype=np.float64)
            return (_result(op, shifted / total),)

    @impl(graph.SumOp)
    def run_sum(self, interpreter: Interpreter, op: graph.SumOp, args: PythonValues):
        (x,) = args
        keep = bool(op.keepdims.value.data)
        out = np.sum(x, axis=op.reduced_axes, keepdims=keep, dtype=_accumulator(x.dtype))
        return (_result(op, out),)

    @impl(graph.MaxOp)
    def run_max(self, interpreter: Interpreter, op: graph.MaxOp, args: PythonValues):
        (x,) = args
        keep = bool(op.keepdims.value.data)
        out = np.max(x, axis=op.reduced_axes, keepdims=keep, initial=_min_value(x.dtype))
        return (_result(op, out),)

    @impl(graph.MeanOp)
    def run_mean(self, interpreter: Interpreter, op: graph.MeanOp, args: PythonValues):
        (x,) = args
        axes = op.reduced_axes
        keep = bool(op.keepdims.value.data)
        count = math.prod(x.shape[a] for a in axes)
        with np.errstate(all="ignore"):
            out = np.sum(x, axis=axes, keepdims=keep, dtype=np.float64) / count
        return (_result(op, out),)

    # Data movement

    @impl(graph.TransposeOp)
    def run_transpose(self, interpreter: Interpreter, op: graph.TransposeOp, args: PythonValues):
        return (_result(op, np.transpose(args[0], graph.int_values(op.perm))),)

    @impl(graph.ReshapeOp)
    def run_reshape(self, interpreter: Interpreter, op: graph.ReshapeOp, args: PythonValues):
        return (_result(op, np.reshape(args[0], tuple(op.result.type.get_shape()))),)

    @impl(graph.BroadcastToOp)
    def run_broadcast_to(
        self, interpreter: Interpreter, op: graph.BroadcastToOp, args: PythonValues
    ):
        return (_result(op, np.broadcast_to(args[0], tuple(op.result.type.get_shape()))),)

    @impl(graph.ConcatOp)
    def run_concat(self, interpreter: Interpreter, op: graph.ConcatOp, args: PythonValues):
        axis = _axis(op.axis.value.data, args[0].ndim)
        return (_result(op, np.concatenate(args, axis=axis)),)

    @impl(graph.SliceOp)
    def run_slice(self, interpreter: Interpreter, op: graph.SliceOp, args: PythonValues):
        return (_result(op, slice_array(args[0], graph.int_values(op.starts),
                                        graph.int_values(op.sizes),
                                        graph.int_values(op.strides))),)

    @impl(graph.PadOp)
    def run_pad(self, interpreter: Interpreter, op: graph.PadOp, args: PythonValues):
        return (_result(op, pad_array(args[0], graph.int_values(op.low),
                                      graph.int_values(op.high),
                                      graph.int_values(op.interior))),)

    # Index notation

    @impl(graph.ContractOp)
    def run_contract(self, interpreter: Interpreter, op: graph.ContractOp, args: PythonValues):
        return (_result(op, evaluate_contract(op, args)),)


# --------------------------------------------------------------------------------------
# Running a function
# --------------------------------------------------------------------------------------


def _argument(index: int, value: Any, expected: Attribute) -> Any:
    if not isinstance(expected, TensorType):
        return value
    array = np.asarray(value)
    shape = tuple(expected.get_shape())
    dtype = numpy_dtype(expected.element_type)
    if array.shape != shape:
        raise ValueError(
            f"run_graph: argument {index} has shape {list(array.shape)}, "
            f"the function expects {expected}"
        )
    if array.dtype == dtype:
        return array
    if not np.can_cast(array.dtype, dtype, casting="same_kind"):
        raise ValueError(
            f"run_graph: argument {index} has dtype {array.dtype}, the function expects {expected}"
        )
    converted = array.astype(dtype)
    if not _is_float(dtype) and not np.array_equal(converted, array):
        raise ValueError(
            f"run_graph: argument {index} has values that do not fit {expected.element_type}"
        )
    return converted


def run_graph(module: ModuleOp, entry: str, args: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run function `entry` of a verified module on `args`, returning its results.

    Arguments are checked against the function's types (shape exactly; dtype converted
    when NumPy calls it a same-kind cast and, for integers, no value changes).
    """
    functions = {
        op.sym_name.data: op for op in module.walk() if isinstance(op, func.FuncOp)
    }
    function = functions.get(entry)
    if function is None:
        raise ValueError(
            f"run_graph: no function @{entry} in the module "
            f"(it has {', '.join('@' + n for n in functions) or 'none'})"
        )
    inputs = function.function_type.inputs.data
    if len(args) != len(inputs):
        raise ValueError(
            f"run_graph: @{entry} takes {len(inputs)} arguments, {len(args)} given"
        )
    values = tuple(_argument(i, a, t) for i, (a, t) in enumerate(zip(args, inputs)))
    interpreter = Interpreter(module)
    interpreter.register_implementations(GraphFunctions())
    interpreter.register_implementations(FuncFunctions())
    interpreter.register_implementations(ArithFunctions())
    results = interpreter.call_op(entry, values)
    return [np.asarray(r) for r in results]
