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
- `graph.contract` is evaluated vectorised (`contract_interp.py`): each input becomes a
  strided view over the whole iteration space, the body's scalar ops run as NumPy ufuncs on
  those arrays, and the trailing reduction dimensions are folded with the op's `kind`.

The array functions (dtypes, constants, C division, windows, slices, pads) live in
`interp_arrays.py`; this module applies them op by op. `run_graph(module, entry, args)` runs
one function of a verified module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    impl,
    register_impls,
)
from xdsl.interpreters.arith import ArithFunctions
from xdsl.interpreters.func import FuncFunctions
from xdsl.ir import Attribute, Operation

from tessera.dialects import graph
from tessera.dialects.contract_interp import evaluate_contract
from tessera.dialects.interp_arrays import (
    _accumulator,
    avgpool2d,
    conv2d,
    _is_float,
    maxpool2d,
    _min_value,
    numpy_dtype,
    pad_array,
    _result,
    slice_array,
    tensor_value,
    truncating_divide,
)


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
