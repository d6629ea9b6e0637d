"""Vector-Jacobian products of the elementwise, matmul, softmax, reduction and movement ops.

A rule receives the forward op, the adjoint `g` of its result (the gradient of the loss with
respect to it, of the result's type) and which operands need a gradient, and returns one
value per operand: that operand's share of the gradient, of the operand's type, or None
where it is not wanted or is zero.
The rules of convolution and pooling are in `rules_nn`; `RULES` joins both tables.

Ties follow PyTorch: maximum/minimum of equal values give each side half the gradient, a
max reduction splits it evenly between the equal maxima (torch.amax), relu's derivative at 0
is 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.ir import Operation, SSAValue

from tessera.compiler.autodiff.emit import Emit, count, shape
from tessera.dialects import graph as G

Grads = Sequence[SSAValue | None]
Rule = Callable[[Emit, Operation, SSAValue, Sequence[bool]], Grads]


# -- elementwise binary ops: the adjoint is un-broadcast to each operand's shape ----------


def _add(e: Emit, op: G.AddOp, g: SSAValue, wanted) -> Grads:
    return [e.unbroadcast(g, shape(op.lhs)) if wanted[0] else None,
            e.unbroadcast(g, shape(op.rhs)) if wanted[1] else None]


def _sub(e: Emit, op: G.SubOp, g: SSAValue, wanted) -> Grads:
    return [e.unbroadcast(g, shape(op.lhs)) if wanted[0] else None,
            e.unbroadcast(e.neg(g), shape(op.rhs)) if wanted[1] else None]


def _mul(e: Emit, op: G.MulOp, g: SSAValue, wanted) -> Grads:
    return [e.unbroadcast(e.mul(g, op.rhs), shape(op.lhs)) if wanted[0] else None,
            e.unbroadcast(e.mul(g, op.lhs), shape(op.rhs)) if wanted[1] else None]


def _div(e: Emit, op: G.DivOp, g: SSAValue, wanted) -> Grads:
    # d(a/b) = g/b and -g·a/b² = -(g/b)·(a/b): the quotient is the forward result.
    g_over_b = e.div(g, op.rhs)
    return [e.unbroadcast(g_over_b, shape(op.lhs)) if wanted[0] else None,
            e.unbroadcast(e.neg(e.mul(g_over_b, op.result)), shape(op.rhs))
            if wanted[1] else None]


def _selection(first_wins_when_greater: bool):
    """maximum (or minimum): the gradient goes to the operand that was chosen, half to each
    on a tie. With s = step(a - b) - step(b - a) (the sign of a - b, 0 on a tie or NaN),
    a's weight is (1 + s) / 2 for maximum and (1 - s) / 2 for minimum."""

    def rule(e: Emit, op: G.ElementwiseBinaryOp, g: SSAValue, wanted) -> Grads:
        difference = e.sub(op.lhs, op.rhs)
        sign = e.sub(e.step(difference), e.step(e.neg(difference)))
        if not first_wins_when_greater:
            sign = e.neg(sign)
        half = e.scale(g, 0.5)
        share = e.mul(half, sign)
        return [e.unbroadcast(e.add(half, share), shape(op.lhs)) if wanted[0] else None,
                e.unbroadcast(e.sub(half, share), shape(op.rhs)) if wanted[1] else None]

    return rule


# -- elementwise unary ops ----------------------------------------------------------------


def _neg(e: Emit, op: G.NegOp, g: SSAValue, wanted) -> Grads:
    return [e.neg(g)]


def _relu(e: Emit, op: G.ReluOp, g: SSAValue, wanted) -> Grads:
    return [e.mul(g, e.step(op.input))]


def _sigmoid(e: Emit, op: G.SigmoidOp, g: SSAValue, wanted) -> Grads:
    y = op.result  # σ' = σ(1 - σ)
    return [e.mul(g, e.mul(y, e.sub(e.scalar(1.0, y), y)))]


def _tanh(e: Emit, op: G.TanhOp, g: SSAValue, wanted) -> Grads:
    y = op.result  # tanh' = 1 - tanh²
    return [e.mul(g, e.sub(e.scalar(1.0, y), e.mul(y, y)))]


def _exp(e: Emit, op: G.ExpOp, g: SSAValue, wanted) -> Grads:
    return [e.mul(g, op.result)]


def _log(e: Emit, op: G.LogOp, g: SSAValue, wanted) -> Grads:
    return [e.div(g, op.input)]


def _sqrt(e: Emit, op: G.SqrtOp, g: SSAValue, wanted) -> Grads:
    return [e.div(e.scale(g, 0.5), op.result)]  # sqrt' = 1 / (2 sqrt)


def _step(e: Emit, op: G.StepOp, g: SSAValue, wanted) -> Grads:
    # Piecewise constant: its derivative is zero almost everywhere (torch.heaviside's is
    # too), so it passes nothing back. Met when a gradient is differentiated again (relu's
    # derivative is a step).
    return [None]


# -- matmul and softmax -------------------------------------------------------------------


def _matmul(e: Emit, op: G.MatmulOp, g: SSAValue, wanted) -> Grads:
    # [..., M, K] @ [..., K, N]: dA = g @ Bᵀ, dB = Aᵀ @ g, each un-broadcast over the batch
    # dimensions the operands did not have.
    a, b = op.lhs, op.rhs
    return [e.unbroadcast(e(G.MatmulOp(g, e.swap_last_two(b))), shape(a)) if wanted[0] else None,
            e.unbroadcast(e(G.MatmulOp(e.swap_last_two(a), g)), shape(b)) if wanted[1] else None]


def _softmax(e: Emit, op: G.SoftmaxOp, g: SSAValue, wanted) -> Grads:
    y, axis = op.result, op.axis.value.data  # y · (g - Σ g·y along the axis)
    inner = e.sum(e.mul(g, y), [axis], keepdims=True)
    return [e.mul(y, e.sub(g, inner))]


# -- reductions ---------------------------------------------------------------------------


def _sum(e: Emit, op: G.SumOp, g: SSAValue, wanted) -> Grads:
    x = shape(op.input)
    return [e.broadcast_to(e.keepdims(g, x, op.reduced_axes), x)]


def _mean(e: Emit, op: G.MeanOp, g: SSAValue, wanted) -> Grads:
    x = shape(op.input)
    g = e.scale(g, 1.0 / max(count(x, op.reduced_axes), 1))
    return [e.broadcast_to(e.keepdims(g, x, op.reduced_axes), x)]


def _max(e: Emit, op: G.MaxOp, g: SSAValue, wanted) -> Grads:
    # The maxima are where x >= max, i.e. where step(max - x) is 0; each of them gets the
    # gradient divided by how many there are (NaN differences, inf - inf, count as equal).
    x, axes = op.input, op.reduced_axes
    biggest = e.keepdims(op.result, shape(x), axes)
    is_max = e.sub(e.scalar(1.0, x), e.step(e.sub(biggest, x)))
    ties = e.sum(is_max, axes, keepdims=True)
    share = e.div(e.keepdims(g, shape(x), axes), ties)
    return [e.mul(is_max, share)]


# -- movement -----------------------------------------------------------------------------


def _transpose(e: Emit, op: G.TransposeOp, g: SSAValue, wanted) -> Grads:
    perm = G.int_values(op.perm)
    inverse = [perm.index(i) for i in range(len(perm))]
    return [e.transpose(g, inverse)]


def _reshape(e: Emit, op: G.ReshapeOp, g: SSAValue, wanted) -> Grads:
    return [e.reshape(g, shape(op.input))]


def _broadcast_to(e: Emit, op: G.BroadcastToOp, g: SSAValue, wanted) -> Grads:
    return [e.unbroadcast(g, shape(op.input))]


def _concat(e: Emit, op: G.ConcatOp, g: SSAValue, wanted) -> Grads:
    axis, offset, out = op.axis.value.data, 0, []
    for value, want in zip(op.inputs, wanted):
        extent = shape(value)
        starts = [offset if d == axis else 0 for d in range(len(extent))]
        out.append(e.slice(g, starts, extent) if want else None)
        offset += extent[axis]
    return out


def _slice(e: Emit, op: G.SliceOp, g: SSAValue, wanted) -> Grads:
    # Scatter back: a negative stride reads the elements in reverse, so flip those
    # dimensions of g first; then pad puts each element at its index.
    x = shape(op.input)
    starts, strides = G.int_values(op.starts), G.int_values(op.strides)
    sizes = shape(g)
    flipped = e.slice(g, [n - 1 if s < 0 else 0 for n, s in zip(sizes, strides)], sizes,
                      [-1 if s < 0 else 1 for s in strides])
    low = [b + (n - 1) * s if s < 0 else b for b, n, s in zip(starts, sizes, strides)]
    high = [size - lo - (n - 1) * abs(s) - 1 for size, lo, n, s in zip(x, low, sizes, strides)]
    return [e.pad(flipped, low, high, [abs(s) - 1 for s in strides])]


def _pad(e: Emit, op: G.PadOp, g: SSAValue, wanted) -> Grads:
    low, interior = G.int_values(op.low), G.int_values(op.interior)
    return [e.slice(g, low, shape(op.input), [i + 1 for i in interior])]


RULES: dict[type[Operation], Rule] = {
    G.AddOp: _add,
    G.SubOp: _sub,
    G.MulOp: _mul,
    G.DivOp: _div,
    G.MaximumOp: _selection(True),
    G.MinimumOp: _selection(False),
    G.NegOp: _neg,
    G.ReluOp: _relu,
    G.SigmoidOp: _sigmoid,
    G.TanhOp: _tanh,
    G.ExpOp: _exp,
    G.LogOp: _log,
    G.SqrtOp: _sqrt,
    G.StepOp: _step,
    G.MatmulOp: _matmul,
    G.SoftmaxOp: _softmax,
    G.SumOp: _sum,
    G.MeanOp: _mean,
    G.MaxOp: _max,
    G.TransposeOp: _transpose,
    G.ReshapeOp: _reshape,
    G.BroadcastToOp: _broadcast_to,
    G.ConcatOp: _concat,
    G.SliceOp: _slice,
    G.PadOp: _pad,
}
