"""`graph-fold`: constant folding on the `graph` dialect, with the reference semantics.

A graph op whose operands are all `graph.constant`s is replaced by a `graph.constant` holding
its value. The value is what the NumPy reference interpreter (`dialects/graph_interp.py`)
computes, because that is what every target is tested against: f32 rounding, integer
wrap-around, NaN and infinity, the float64 accumulation of sums. Folding never raises: an op
the interpreter traps on (integer division by zero), warns about (a sum that overflows when
rounded to f32) or cannot evaluate is left as it is, so that the program still fails, or
warns, where and when it did.

Two ways to a value:

- **Splats, from the one value and the shapes.** Where every operand is a splat (all
  elements bitwise equal), most ops give a splat whose value needs no data: movement ops
  (transpose, reshape, broadcast_to) and concat of equal splats keep the value; max and
  maxpool of a splat are the value; softmax is 1/n; sum is value * count, mean the value, and
  a matmul K * a * b, each only where every partial sum the interpreter could form is exact
  (then no summation order, blocking or FMA can change the result); an elementwise op is
  evaluated by the interpreter on one-element operands. Such a fold costs the same whatever
  the shape, and the splat constant is stored as its one element.
- **Evaluation.** Otherwise the interpreter evaluates the op on the full operands, when that
  costs at most `EVALUATION_BUDGET` element operations. A result whose elements are all
  equal becomes a splat; any other result is materialised only up to `max_elements`
  elements, so that a fold never blows up the IR.

The new constant takes the location (and the SSA name) of the op it replaces; the operand
constants a fold leaves unused are erased. Folding runs in program order, so a chain of ops
over constants folds in one sweep.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import BytesAttr, DenseIntOrFPElementsAttr, ModuleOp, TensorType
from xdsl.interpreter import Interpreter
from xdsl.ir import Block, Operation
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from tessera.compiler.diagnostics import TesseraError
from tessera.dialects import graph
from tessera.dialects.graph_interp import GraphFunctions
from tessera.dialects.interp_arrays import numpy_dtype, tensor_value

# The most element operations (multiply-adds for contractions) one evaluation may take: a
# few milliseconds of NumPy. Bigger ops fold only by the splat rules.
EVALUATION_BUDGET = 1 << 22

# Significand bits, implicit bit included: of a matmul's accumulator (the element type) and
# of the float64 accumulator of sum and mean.
_SIGNIFICAND_BITS = {np.dtype(np.float32): 24, np.dtype(np.float64): 53}
_FLOAT64_BITS = 53

_ELEMENTWISE = (graph.ElementwiseBinaryOp, graph.ElementwiseUnaryOp, graph.WidenOp,
                graph.RequantizeOp)
_MOVEMENT = (graph.TransposeOp, graph.ReshapeOp, graph.BroadcastToOp)

T = TypeVar("T")


# --------------------------------------------------------------------------------------
# Constants as arrays and arrays as constants
# --------------------------------------------------------------------------------------


def _count(t: TensorType) -> int:
    return math.prod(t.get_shape())


def _storage_dtype(t: TensorType) -> np.dtype:
    """The dtype of the attribute's bytes (xDSL's struct format: little-endian)."""
    return np.dtype(t.element_type.format)


def _bits(values: np.ndarray) -> np.ndarray:
    """The values as unsigned integers of their width: equal bits, not equal numbers (so
    -0.0 differs from 0.0 and a NaN equals itself)."""
    return values.view(f"u{values.dtype.itemsize}")


def splat_value(attr: DenseIntOrFPElementsAttr) -> np.generic | None:
    """The one value of a constant whose elements are all bitwise equal, else None."""
    raw = np.frombuffer(attr.data.data, dtype=_storage_dtype(attr.type))
    if raw.size == 0:
        return None
    bits = _bits(raw)
    if raw.size > 1 and not (bits == bits[0]).all():
        return None
    return raw.astype(numpy_dtype(attr.get_element_type()))[0]


def dense(t: TensorType, values: np.ndarray, splat: bool) -> DenseIntOrFPElementsAttr:
    """A constant of type `t`; a splat is stored as its one element, whatever the shape
    (`tensor_value` and the C, CUDA and loop targets read it as filling the shape)."""
    flat = np.asarray(values).reshape(-1)
    data = np.ascontiguousarray(flat[:1] if splat else flat, dtype=_storage_dtype(t))
    return DenseIntOrFPElementsAttr(t, BytesAttr(data.tobytes()))


def _is_splat_array(values: np.ndarray) -> bool:
    bits = _bits(np.ascontiguousarray(values).reshape(-1))
    return bits.size > 0 and bool((bits == bits[0]).all())


def quietly(compute: Callable[[], T]) -> T | None:
    """`compute()`, or None where it raises or warns: where the interpreter traps, warns or
    cannot evaluate an op on these constants, the op is left for run time to do so."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return compute()
    except Exception:  # noqa: BLE001 - any failure means "do not fold", never an error
        return None


# --------------------------------------------------------------------------------------
# Exact arithmetic for the splat rules
# --------------------------------------------------------------------------------------


def _wrap(value: int, dtype: np.dtype) -> np.generic:
    """`value` modulo 2^bits as a signed integer of `dtype` (two's complement)."""
    bits = dtype.itemsize * 8
    half = 1 << (bits - 1)
    return dtype.type(((value + half) % (1 << bits)) - half)


def exact_multiple(x: float, n: int, significand_bits: int) -> float | None:
    """x * n, where every partial sum k * x (1 <= k <= n) is exact with `significand_bits`
    bits of significand: then summing n copies of x gives x * n in any order, with or
    without FMA. None where that is not so, where x is not finite, and for x = -0.0: the
    sign of a sum of -0.0s depends on whether the summation starts from the identity +0.0
    (NumPy's does, giving +0.0), so it is left to evaluation, which asks NumPy."""
    if not math.isfinite(x) or (x == 0 and math.copysign(1.0, x) < 0):
        return None
    if x == 0:
        return 0.0
    significand, _ = x.as_integer_ratio()
    while significand % 2 == 0:  # x = m * 2^e with m odd
        significand //= 2
    if abs(significand) * n >= 1 << significand_bits:
        return None
    total = x * n  # exact in float64 too: |m| * n < 2^53
    return total if math.isfinite(total) else None


def _finite(value: np.generic) -> np.generic | None:
    """A float result that overflowed to infinity from finite operands would have made the
    interpreter warn (or differ from it): such folds go to evaluation instead."""
    return value if not np.issubdtype(value.dtype, np.floating) or np.isfinite(value) else None


def _is_nan(value: np.generic) -> bool:
    return bool(np.issubdtype(value.dtype, np.floating) and np.isnan(value))


# --------------------------------------------------------------------------------------
# The folder
# --------------------------------------------------------------------------------------


def is_foldable(op: Operation) -> bool:
    """A graph op with one result and operands that are all `graph.constant`s of the
    dialect's element types and none of them empty."""
    if not isinstance(op, graph.GraphOp) or len(op.results) != 1 or not op.operands:
        return False
    if not all(isinstance(v.owner, graph.ConstantOp) for v in op.operands):
        return False
    types = [*op.operand_types, op.results[0].type]
    return all(
        isinstance(t, TensorType) and graph.type_name(t.element_type) in graph.ELEMENT_TYPES
        and _count(t) > 0
        for t in types
    )


def evaluation_cost(op: Operation) -> int:
    """Element operations an evaluation by the interpreter takes (its operands read and
    its result written, times the reduction extent for contractions and windows)."""
    result = op.results[0].type
    cost = sum(_count(t) for t in op.operand_types) + _count(result)
    if isinstance(op, graph.MatmulOp):
        cost += _count(result) * graph.shape_of(op.lhs.type)[-1]
    elif isinstance(op, graph.Conv2dOp):
        cost += _count(result) * math.prod(graph.shape_of(op.weight.type)[1:])
    elif isinstance(op, graph.Pool2dOp):
        cost += _count(result) * math.prod(graph.int_values(op.kernel))
    elif isinstance(op, graph.ContractOp):
        cost += math.prod(op.extents)
    return cost


class Folder:
    """Computes the constant an op folds to, or None; one per pass run (it holds the
    interpreter)."""

    def __init__(self, max_elements: int):
        self.max_elements = max_elements
        self.interpreter = Interpreter(ModuleOp([]))
        self.interpreter.register_implementations(GraphFunctions())

    def fold(self, op: Operation) -> DenseIntOrFPElementsAttr | None:
        if not is_foldable(op):
            return None
        result_type = op.results[0].type
        attrs = [v.owner.value for v in op.operands]
        splats = [splat_value(a) for a in attrs]
        if all(s is not None for s in splats):
            value = quietly(lambda: self.splat_rule(op, splats))
            if value is not None:
                return dense(result_type, np.asarray(value), splat=True)
        if evaluation_cost(op) > EVALUATION_BUDGET:
            return None
        values = quietly(lambda: self.interpreter.run_op(op, [tensor_value(a) for a in attrs]))
        if values is None:
            return None
        (array,) = values
        if _is_splat_array(array):
            return dense(result_type, array, splat=True)
        if array.size <= self.max_elements:
            return dense(result_type, array, splat=False)
        return None

    # -- splats ----------------------------------------------------------------------------

    def splat_rule(self, op: Operation, values: Sequence[np.generic]) -> np.generic | None:
        """The splat `op` gives on splat operands of these `values`, from the values and
        the shapes alone; None where no rule applies exactly (evaluation may still)."""
        dtype = numpy_dtype(op.results[0].type.element_type)
        v = values[0]
        if isinstance(op, _MOVEMENT):
            return v
        if isinstance(op, graph.ConcatOp):
            same = all(_bits(np.asarray(w)) == _bits(np.asarray(v)) for w in values[1:])
            return v if same else None
        if isinstance(op, graph.MaxOp | graph.MaxPool2dOp):
            # Every window and every reduction holds at least one element (shapes are not
            # empty; pooling padding is at most half the kernel), and padding never wins.
            return None if _is_nan(v) else v
        if isinstance(op, graph.SumOp | graph.MeanOp):
            count = _count(op.input.type) // _count(op.result.type)
            return self._sum_or_mean(op, v, count, dtype)
        if isinstance(op, graph.SoftmaxOp):
            if not np.isfinite(v):
                return None
            # exp(v - v) = 1 in every element, summed in float64 to the exact n; the
            # interpreter divides in float64 and rounds once to the element type.
            n = graph.shape_of(op.input.type)[op.axis.value.data]
            return (np.float64(1.0) / np.float64(n)).astype(dtype)
        if isinstance(op, graph.MatmulOp):
            return self._matmul(v, values[1], graph.shape_of(op.lhs.type)[-1], dtype)
        if isinstance(op, _ELEMENTWISE):
            return self._elementwise(op, values)
        return None

    @staticmethod
    def _sum_or_mean(op: Operation, v: np.generic, count: int, dtype: np.dtype):
        if np.issubdtype(dtype, np.integer):  # the interpreter sums in the element type
            return _wrap(int(v) * count, dtype) if isinstance(op, graph.SumOp) else None
        # Floats accumulate in float64: exact when every partial sum is.
        total = exact_multiple(float(v), count, _FLOAT64_BITS)
        if total is None:
            return None
        if isinstance(op, graph.MeanOp):
            return v  # (v * count) / count, both exact, is v
        return _finite(np.float64(total).astype(dtype))

    @staticmethod
    def _matmul(a: np.generic, b: np.generic, k: int, dtype: np.dtype):
        """K * (a * b): integers wrap; floats accumulate in the element type (NumPy's
        matmul, BLAS for floats), so the product and every partial sum must be exact."""
        if np.issubdtype(dtype, np.integer):
            return _wrap(int(a) * int(b) * k, dtype)
        if not (np.isfinite(a) and np.isfinite(b)):
            return None
        with np.errstate(all="ignore"):
            product = dtype.type(a) * dtype.type(b)
        if not np.isfinite(product) or Fraction(float(a)) * Fraction(float(b)) != Fraction(
            float(product)
        ):
            return None
        total = exact_multiple(float(product), k, _SIGNIFICAND_BITS[dtype])
        return None if total is None else _finite(dtype.type(total))

    def _elementwise(self, op: Operation, values: Sequence[np.generic]) -> np.generic | None:
        """The interpreter's own function on one-element operands of the same ranks.

        NumPy computes an elementwise op on every element alike, except that which NaN a
        binary op returns when both operands are NaNs depends on its loop (SIMD or scalar):
        that case is left to evaluation on the full operands.
        """
        if len(values) == 2 and _is_nan(values[0]) and _is_nan(values[1]):
            return None
        operand_types = [TensorType(t.element_type, [1] * len(t.get_shape()))
                         for t in op.operand_types]
        out = op.results[0].type
        block = Block(arg_types=operand_types)
        one = type(op).create(
            operands=block.args,
            result_types=[TensorType(out.element_type, [1] * len(out.get_shape()))],
            properties=dict(op.properties),
            attributes=dict(op.attributes),
        )
        inputs = [np.full(t.get_shape(), v, dtype=numpy_dtype(t.element_type))
                  for t, v in zip(operand_types, values)]
        (array,) = self.interpreter.run_op(one, inputs)
        return np.asarray(array).reshape(-1)[0]


# --------------------------------------------------------------------------------------
# The pass
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphFoldPass(ModulePass):
    """Constant folding of `graph` ops (see the module docstring).

    `max_elements`: the largest non-splat constant a fold may create (splats are free).
    """

    name = "graph-fold"

    max_elements: int = 4096

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.max_elements < 0:
            raise TesseraError(f"graph-fold: max_elements must be >= 0, got {self.max_elements}")
        folder = Folder(self.max_elements)
        # Program order: an op's operands are folded before it is visited.
        for candidate in list(op.walk()):
            if candidate.parent is None:  # erased by an earlier fold
                continue
            value = folder.fold(candidate)
            if value is None:
                continue
            constant = graph.ConstantOp(value)
            constant.location = candidate.location
            constant.result.name_hint = candidate.results[0].name_hint
            inputs = {v.owner for v in candidate.operands}
            Rewriter.replace_op(candidate, constant)
            for input_op in inputs:
                if input_op.parent is not None and not input_op.results[0].uses:
                    Rewriter.erase_op(input_op)
