"""Index notation (`graph.contract`) in the reference interpreter, vectorised: each input
becomes a strided view over the whole iteration space, the body's scalar ops (arith, math)
run as NumPy ufuncs on those arrays, and the trailing reduction dimensions are folded with the
op's `kind`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided
from xdsl.dialects import arith
from xdsl.dialects import math as xmath
from xdsl.dialects.builtin import FloatAttr, IntegerAttr
from xdsl.ir import Block, Operation
from xdsl.utils.exceptions import InterpretationError

from tessera.compiler.diagnostics import TesseraError
from tessera.dialects import graph
from tessera.dialects.interp_arrays import (
    _accumulator,
    _max_value,
    _min_value,
    numpy_dtype,
    truncating_divide,
)

# A contract whose iteration space holds more elements than this is evaluated in slices
# along its leading dimension, so that no intermediate array of the body grows unbounded.
CONTRACT_CHUNK_ELEMENTS = 1 << 26


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
