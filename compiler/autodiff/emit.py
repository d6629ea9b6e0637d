"""`Emit`: how a vector-Jacobian product builds its `graph` ops.

Every op a rule builds is appended to the backward function's block with the source location
of the forward op it differentiates, so the gradient's IR (and any error or profile at a
lower level) points at the user's line. The helpers skip the ops that would do nothing (a
reshape to the same shape, an identity transpose), which keeps the backward IR close to what
one would write by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.dialects.builtin import TensorType
from xdsl.ir import Attribute, Block, Operation, SSAValue

from tessera.dialects import graph as G


def shape(v: SSAValue) -> tuple[int, ...]:
    return G.shape_of(v.type)


def element_type(v: SSAValue) -> Attribute:
    assert isinstance(v.type, TensorType)
    return v.type.element_type


class Emit:
    """Appends ops to `block`, each located at `location`."""

    def __init__(self, block: Block, location: Attribute):
        self.block = block
        self.location = location

    def __call__(self, op: Operation) -> SSAValue:
        op.location = self.location
        self.block.add_op(op)
        return op.results[0]

    # -- constants --------------------------------------------------------------------

    def scalar(self, value: float, like: SSAValue) -> SSAValue:
        """A rank-0 constant of `like`'s element type (it broadcasts against anything)."""
        return self(G.ConstantOp.scalar(value, element_type(like)))

    def splat(self, value: float, like: SSAValue, to: Sequence[int] | None = None) -> SSAValue:
        """`value` everywhere in a tensor of shape `to` (default: `like`'s shape)."""
        return self.broadcast_to(self.scalar(value, like), shape(like) if to is None else to)

    # -- elementwise ------------------------------------------------------------------

    def add(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(G.AddOp(a, b))

    def sub(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(G.SubOp(a, b))

    def mul(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(G.MulOp(a, b))

    def div(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(G.DivOp(a, b))

    def neg(self, a: SSAValue) -> SSAValue:
        return self(G.NegOp(a))

    def step(self, a: SSAValue) -> SSAValue:
        """1 where a > 0, else 0."""
        return self(G.StepOp(a))

    def scale(self, a: SSAValue, factor: float) -> SSAValue:
        if factor == 1:
            return a
        if isinstance(a.owner, G.ConstantOp) and not shape(a):  # the seed 1, usually
            (value,) = a.owner.value.get_values()
            return self.scalar(value * factor, a)
        return self.mul(a, self.scalar(factor, a))

    # -- movement ---------------------------------------------------------------------

    def reshape(self, a: SSAValue, to: Sequence[int]) -> SSAValue:
        return a if shape(a) == tuple(to) else self(G.ReshapeOp(a, to))

    def broadcast_to(self, a: SSAValue, to: Sequence[int]) -> SSAValue:
        return a if shape(a) == tuple(to) else self(G.BroadcastToOp(a, to))

    def transpose(self, a: SSAValue, perm: Sequence[int]) -> SSAValue:
        return a if list(perm) == sorted(perm) else self(G.TransposeOp(a, perm))

    def swap_last_two(self, a: SSAValue) -> SSAValue:
        rank = len(shape(a))
        return self.transpose(a, [*range(rank - 2), rank - 1, rank - 2])

    def slice(self, a: SSAValue, starts: Sequence[int], sizes: Sequence[int],
              strides: Sequence[int] | None = None) -> SSAValue:
        strides = [1] * len(sizes) if strides is None else list(strides)
        if tuple(sizes) == shape(a) and not any(starts) and all(s == 1 for s in strides):
            return a
        return self(G.SliceOp(a, starts, sizes, strides))

    def pad(self, a: SSAValue, low: Sequence[int], high: Sequence[int],
            interior: Sequence[int] | None = None) -> SSAValue:
        interior = [0] * len(low) if interior is None else list(interior)
        if not any(low) and not any(high) and not any(interior):
            return a
        return self(G.PadOp(a, low, high, interior))

    # -- reductions -------------------------------------------------------------------

    def sum(self, a: SSAValue, axes: Sequence[int], keepdims: bool) -> SSAValue:
        return self(G.SumOp(a, list(axes), keepdims)) if axes else a

    def unbroadcast(self, g: SSAValue, to: Sequence[int]) -> SSAValue:
        """The adjoint of broadcasting a value of shape `to` to g's shape: g summed over
        the axes the broadcast added or stretched (keepdims), reshaped to `to`."""
        out, to = shape(g), tuple(to)
        lead = len(out) - len(to)
        axes = [i for i in range(lead) if out[i] != 1]
        axes += [lead + i for i, d in enumerate(to) if d == 1 and out[lead + i] != 1]
        return self.reshape(self.sum(g, axes, keepdims=True), to)

    def keepdims(self, g: SSAValue, input_shape: Sequence[int], axes: Sequence[int]) -> SSAValue:
        """A reduction's result (with or without keepdims) as the keepdims shape, so that
        it broadcasts against the reduction's input (a rank-0 one broadcasts as it is)."""
        if not shape(g):
            return g
        return self.reshape(g, [1 if i in axes else d for i, d in enumerate(input_shape)])


def count(input_shape: Sequence[int], axes: Sequence[int]) -> int:
    return math.prod(input_shape[a] for a in axes)
