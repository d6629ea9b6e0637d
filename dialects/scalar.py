"""How the graph dialect's scalar arithmetic is spelled in `arith` and `math`.

One table for the frontend (bodies of `graph.contract`) and for graph-to-linalg (bodies of
`linalg.generic`), so that both levels compute exactly the same thing. Each builder returns
the ops to insert, in order; the last op's first result is the value.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import arith, math
from xdsl.dialects.builtin import (
    Float32Type,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
)
from xdsl.ir import Attribute, Operation, SSAValue

Ops = list[Operation]


def is_float_type(t: Attribute) -> bool:
    return isinstance(t, Float32Type | Float64Type)


def constant(value: float | int, element_type: Attribute) -> arith.ConstantOp:
    if is_float_type(element_type):
        return arith.ConstantOp(FloatAttr(float(value), element_type))
    assert isinstance(element_type, IntegerType)
    width = element_type.width.data
    wrapped = ((int(value) + (1 << (width - 1))) % (1 << width)) - (1 << (width - 1))
    return arith.ConstantOp(IntegerAttr(wrapped, element_type))


def lowest(element_type: Attribute) -> arith.ConstantOp:
    """The identity of max: -inf for floats, the smallest integer otherwise."""
    if is_float_type(element_type):
        return constant(float("-inf"), element_type)
    return constant(-(1 << (element_type.width.data - 1)), element_type)


def highest(element_type: Attribute) -> arith.ConstantOp:
    """The identity of min: +inf for floats, the largest integer otherwise."""
    if is_float_type(element_type):
        return constant(float("inf"), element_type)
    return constant((1 << (element_type.width.data - 1)) - 1, element_type)


def identity(kind: str, element_type: Attribute) -> arith.ConstantOp:
    """The initial value of a reduction of `kind` (add, mul, max, min)."""
    if kind == "add":
        return constant(0, element_type)
    if kind == "mul":
        return constant(1, element_type)
    if kind == "max":
        return lowest(element_type)
    if kind == "min":
        return highest(element_type)
    raise ValueError(f"no identity for reduction kind '{kind}'")


_FLOAT_BINARY: dict[str, type[Operation]] = {
    "add": arith.AddfOp,
    "sub": arith.SubfOp,
    "mul": arith.MulfOp,
    "div": arith.DivfOp,
    "max": arith.MaximumfOp,
    "min": arith.MinimumfOp,
}
_INT_BINARY: dict[str, type[Operation]] = {
    "add": arith.AddiOp,
    "sub": arith.SubiOp,
    "mul": arith.MuliOp,
    "div": arith.DivSIOp,
    "max": arith.MaxSIOp,
    "min": arith.MinSIOp,
}
BINARY_KINDS = tuple(_FLOAT_BINARY)


def binary(kind: str, lhs: SSAValue, rhs: SSAValue) -> Ops:
    table = _FLOAT_BINARY if is_float_type(lhs.type) else _INT_BINARY
    return [table[kind](lhs, rhs)]


def _float_unary(op_type: type[Operation]) -> Callable[[SSAValue], Ops]:
    return lambda x: [op_type(x)]


def _neg(x: SSAValue) -> Ops:
    if is_float_type(x.type):
        return [arith.NegfOp(x)]
    zero = constant(0, x.type)
    return [zero, arith.SubiOp(zero, x)]


def _relu(x: SSAValue) -> Ops:
    zero = constant(0, x.type)
    return [zero, *binary("max", x, zero.result)]


def _sigmoid(x: SSAValue) -> Ops:
    # 1 / (1 + exp(-x))
    neg = arith.NegfOp(x)
    exp = math.ExpOp(neg.result)
    one = constant(1.0, x.type)
    den = arith.AddfOp(one.result, exp.result)
    return [neg, exp, one, den, arith.DivfOp(one.result, den.result)]


def _abs(x: SSAValue) -> Ops:
    return [math.AbsFOp(x)] if is_float_type(x.type) else [math.AbsIOp(x)]


UNARY: dict[str, Callable[[SSAValue], Ops]] = {
    "neg": _neg,
    "relu": _relu,
    "abs": _abs,
    "sigmoid": _sigmoid,
    "tanh": _float_unary(math.TanhOp),
    "exp": _float_unary(math.ExpOp),
    "log": _float_unary(math.LogOp),
    "sqrt": _float_unary(math.SqrtOp),
}
# The unary functions defined only on floating-point values.
FLOAT_ONLY_UNARY = frozenset({"sigmoid", "tanh", "exp", "log", "sqrt"})


def unary(kind: str, x: SSAValue) -> Ops:
    return UNARY[kind](x)
