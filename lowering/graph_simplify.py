"""`graph-simplify`: algebraic simplification on the `graph` dialect, exact in every value.

Rewrites, each only where the result has the type of the value it is replaced by (so a
broadcast is never lost):
- `x * 1`, `1 * x`, `x / 1` → `x`; `x - 0` → `x` (for floats, `x - +0.0` only);
  `x + 0`, `0 + x` → `x` for integers, and for floats only with `-0.0` (`-0.0 + +0.0` is
  `+0.0`, so adding `+0.0` is not the identity);
- `transpose(transpose(x, p), q)` → one transpose by the composed permutation, or `x` when
  that is the identity;
- `reshape(reshape(x))` → one reshape; a reshape or `broadcast_to` to `x`'s own type → `x`.

The constants recognised are splat `graph.constant`s (every element equal). Dead ops are left
for `dce` (or the `cse` that `lower-to-linalg` runs next). Each new op takes the location of
the op it replaces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import AnyFloat, DenseIntOrFPElementsAttr, ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)

from tessera.dialects import graph
from tessera.dialects.graph.base import int_values


def splat(value: SSAValue) -> float | int | None:
    """The one value of a splat `graph.constant`, else None."""
    owner = value.owner
    if not isinstance(owner, graph.ConstantOp):
        return None
    attr = owner.value
    if not isinstance(attr, DenseIntOrFPElementsAttr):
        return None
    values = list(attr.get_values())
    if not values or any(v != values[0] or math.copysign(1, v) != math.copysign(1, values[0])
                         for v in values):
        return None
    return values[0]


def _is(value: SSAValue, number: float, *, sign: int | None = None) -> bool:
    """`value` is a splat of `number` (with this sign bit, for a float zero)."""
    known = splat(value)
    if known is None or known != number:
        return False
    if sign is not None and isinstance(value.type.element_type, AnyFloat):
        return math.copysign(1, known) == sign
    return True


def _neutral(op: Operation) -> SSAValue | None:
    """The operand an identity element leaves `op` equal to, if any."""
    lhs, rhs = op.operands
    float_type = isinstance(op.result.type.element_type, AnyFloat)
    candidates = []
    if isinstance(op, graph.MulOp):
        candidates = [(lhs, rhs), (rhs, lhs)]
        return next((x for x, one in candidates if _is(one, 1)
                     and x.type == op.result.type), None)
    if isinstance(op, graph.DivOp):
        return lhs if _is(rhs, 1) and lhs.type == op.result.type else None
    if isinstance(op, graph.SubOp):
        return lhs if _is(rhs, 0, sign=1) and lhs.type == op.result.type else None
    if isinstance(op, graph.AddOp):
        for x, zero in ((lhs, rhs), (rhs, lhs)):
            if _is(zero, 0, sign=-1 if float_type else None) and x.type == op.result.type:
                return x
    return None


class Simplify(RewritePattern):
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, (graph.AddOp, graph.SubOp, graph.MulOp, graph.DivOp)):
            same = _neutral(op)
            if same is not None:
                rewriter.replace(op, [], [same])
            return
        if isinstance(op, graph.TransposeOp):
            inner = op.input.owner
            if isinstance(inner, graph.TransposeOp):
                first, second = int_values(inner.perm), int_values(op.perm)
                composed = [first[p] for p in second]
                if composed == sorted(composed):
                    rewriter.replace(op, [], [inner.input])
                else:
                    new = graph.TransposeOp(inner.input, composed)
                    new.location = op.location
                    rewriter.replace(op, new)
            elif int_values(op.perm) == tuple(range(len(int_values(op.perm)))):
                rewriter.replace(op, [], [op.input])
            return
        if isinstance(op, (graph.ReshapeOp, graph.BroadcastToOp)):
            if op.input.type == op.result.type:
                rewriter.replace(op, [], [op.input])
                return
            inner = op.input.owner
            if isinstance(op, graph.ReshapeOp) and isinstance(inner, graph.ReshapeOp):
                new = graph.ReshapeOp(inner.input, op.result.type.get_shape())
                new.location = op.location
                rewriter.replace(op, new)


@dataclass(frozen=True)
class GraphSimplifyPass(ModulePass):
    """Algebraic simplification of `graph` ops (see the module docstring)."""

    name = "graph-simplify"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(GreedyRewritePatternApplier([Simplify()])).rewrite_module(op)
