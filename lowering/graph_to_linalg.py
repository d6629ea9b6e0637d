"""graph-to-linalg: the `graph` dialect -> linalg on tensors.

Named linalg ops where xDSL has a correct one (`linalg.matmul`, `linalg.conv_2d_nchw_fchw`,
`linalg.transpose`, `linalg.fill`), `tensor.insert_slice` for concat and pad,
`tensor.extract_slice` where a slice starts a dimension at 0 with stride 1, `linalg.generic`
for everything else, with affine-linear indexing maps (reshape alone needs floordiv/mod):
what the schedule, the GPU lowering and the loop level take. xDSL 0.74's
`linalg.pooling_nchw_max` computes the wrong values, so pooling is a generic with a window
operand (an empty tensor whose only job is to give the window loops their extent), as
upstream's named pooling ops do.

All ops are in destination-passing style: the `outs` operand is a `tensor.empty` or a
`linalg.fill` of the reduction's identity. Padding copies the input into the interior of a
filled buffer with a generic whose output map carries the offset. Every new op keeps the
location of the graph op it replaces.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, tensor
from xdsl.dialects.builtin import (
    AffineMapAttr,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    ModuleOp,
    TensorType,
    f64,
    i64,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.math import CeilOp, RoundEvenOp
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.ir import Attribute, Block, BlockArgument, Operation, Region, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr, AffineExpr, AffineMap
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)

from tessera.dialects import graph as G
from tessera.dialects import scalar

PARALLEL = IteratorTypeAttr.parallel()
REDUCTION = IteratorTypeAttr.reduction()

# A generic's body: given the block arguments (inputs, then the output), the ops to insert
# and the value to yield; a plain list of ops yields the last op's result.
BodyFn = Callable[
    [Sequence[BlockArgument]], list[Operation] | tuple[list[Operation], SSAValue]
]


def dim(i: int) -> AffineExpr:
    return AffineDimExpr(i)


def amap(num_dims: int, results: Sequence[AffineExpr]) -> AffineMap:
    return AffineMap(num_dims, 0, tuple(results))


def identity_map(rank: int) -> AffineMap:
    return AffineMap.identity(rank)


def broadcast_map(in_shape: Sequence[int], out_shape: Sequence[int]) -> AffineMap:
    """Map the output's iteration space onto an operand that broadcasts to it (NumPy rules)."""
    lead = len(out_shape) - len(in_shape)
    results = [
        AffineConstantExpr(0) if size == 1 and out_shape[lead + j] != 1 else dim(lead + j)
        for j, size in enumerate(in_shape)
    ]
    return amap(len(out_shape), results)


def scalar_constant(value: SSAValue) -> float | int | None:
    """The number held by a splat constant tensor, or None: such operands are inlined."""
    owner = value.owner
    attr = None
    if isinstance(owner, G.ConstantOp):
        attr = owner.value
    elif isinstance(owner, arith.ConstantOp) and isinstance(owner.value, DenseIntOrFPElementsAttr):
        attr = owner.value
    if attr is None:
        return None
    values = attr.get_values()
    # repr tells -0.0 from 0.0 (and matches NaN with NaN), which `!=` does not.
    if len(values) == 0 or any(repr(v) != repr(values[0]) for v in values):
        return None
    return values[0]


@dataclass
class Emitter:
    """Collects the ops that replace one graph op, all at that op's location."""

    op: Operation
    ops: list[Operation]

    def add(self, op: Operation) -> SSAValue:
        op.location = self.op.location
        self.ops.append(op)
        return op.results[0] if op.results else None

    def empty(self, shape: Sequence[int], element_type: Attribute) -> SSAValue:
        return self.add(tensor.EmptyOp([], TensorType(element_type, list(shape))))

    def filled(self, shape: Sequence[int], element_type: Attribute, op: arith.ConstantOp):
        init = self.empty(shape, element_type)
        value = self.add(op)
        return self.add(linalg.FillOp([value], [init], [init.type]))

    def generic(
        self,
        inputs: Sequence[SSAValue],
        init: SSAValue,
        maps: Sequence[AffineMap],
        iterators: Sequence[IteratorTypeAttr],
        body: BodyFn,
    ) -> SSAValue:
        """A linalg.generic; `maps` lists the inputs' maps, then the output's."""
        types = [v.type.element_type for v in (*inputs, init)]
        block = Block(arg_types=types)
        built = body(block.args)
        ops, value = built if isinstance(built, tuple) else (built, None)
        if value is None:
            value = ops[-1].results[0] if ops else block.args[0]
        for o in ops:
            o.location = self.op.location
        block.add_ops(ops)
        yield_op = linalg.YieldOp(value)
        yield_op.location = self.op.location
        block.add_op(yield_op)
        return self.add(
            linalg.GenericOp(
                list(inputs),
                [init],
                Region(block),
                [AffineMapAttr(m) for m in maps],
                list(iterators),
                [init.type],
            )
        )

    def elementwise(
        self,
        operands: Sequence[SSAValue],
        out_type: TensorType,
        body: Callable[[list[SSAValue]], list[Operation] | tuple[list[Operation], SSAValue]],
        init: SSAValue | None = None,
    ) -> SSAValue:
        """A parallel generic over `out_type`; splat constants become body constants."""
        shape = G.shape_of(out_type)
        inputs, maps, slots = [], [], []
        for v in operands:
            number = scalar_constant(v)
            if number is not None:
                slots.append(("constant", number))
            else:
                slots.append(("input", len(inputs)))
                inputs.append(v)
                maps.append(broadcast_map(G.shape_of(v.type), shape))
        init = init if init is not None else self.empty(shape, out_type.element_type)

        def make_body(args):
            consts: list[Operation] = []
            values: list[SSAValue] = []
            for kind, slot in slots:
                if kind == "input":
                    values.append(args[slot])
                else:
                    c = scalar.constant(slot, out_type.element_type)
                    consts.append(c)
                    values.append(c.result)
            built = body(values)
            ops, value = built if isinstance(built, tuple) else (built, None)
            return consts + ops, (value if value is not None else ops[-1].results[0])

        return self.generic(
            inputs, init, [*maps, identity_map(len(shape))], [PARALLEL] * len(shape), make_body
        )

    def divided(self, value: SSAValue, count: int, out_type: TensorType) -> SSAValue:
        """`value / count` elementwise (averages)."""

        def body(v):
            c = scalar.constant(count, out_type.element_type)
            return [c, *scalar.binary("div", v[0], c.result)]

        return self.elementwise([value], out_type, body)

    def pad(self, x: SSAValue, pads: Sequence[int], fill: arith.ConstantOp) -> SSAValue:
        """Copy NCHW `x` into the interior of a buffer filled with `fill`, padding H and W."""
        shape = G.shape_of(x.type)
        if not any(pads):
            return x
        padded = (shape[0], shape[1], shape[2] + 2 * pads[0], shape[3] + 2 * pads[1])
        init = self.filled(padded, x.type.element_type, fill)
        interior = amap(4, [dim(0), dim(1), dim(2) + pads[0], dim(3) + pads[1]])
        return self.generic([x], init, [identity_map(4), interior], [PARALLEL] * 4, lambda a: [])

    def reduce(
        self, x: SSAValue, axes: Sequence[int], kind: str, keepdims: bool = False
    ) -> SSAValue:
        """Reduce `axes` of `x` with add/max/...; a generic whose output map drops them."""
        shape = G.shape_of(x.type)
        et = x.type.element_type
        if keepdims:
            out_shape = [1 if i in axes else d for i, d in enumerate(shape)]
            out_map = amap(
                len(shape),
                [AffineConstantExpr(0) if i in axes else dim(i) for i in range(len(shape))],
            )
        else:
            out_shape = [d for i, d in enumerate(shape) if i not in axes]
            out_map = amap(len(shape), [dim(i) for i in range(len(shape)) if i not in axes])
        init = self.filled(out_shape, et, scalar.identity(kind, et))
        iterators = [REDUCTION if i in axes else PARALLEL for i in range(len(shape))]
        return self.generic(
            [x],
            init,
            [identity_map(len(shape)), out_map],
            iterators,
            lambda a: scalar.binary(kind, a[1], a[0]),
        )


# --------------------------------------------------------------------------------------
# One lowering per graph op
# --------------------------------------------------------------------------------------

Lowering = Callable[[Emitter, Operation], SSAValue]

_BINARY_KIND = {
    G.AddOp: "add",
    G.SubOp: "sub",
    G.MulOp: "mul",
    G.DivOp: "div",
    G.MaximumOp: "max",
    G.MinimumOp: "min",
}
_UNARY_KIND = {
    G.StepOp: "step",
    G.NegOp: "neg",
    G.ReluOp: "relu",
    G.SigmoidOp: "sigmoid",
    G.TanhOp: "tanh",
    G.ExpOp: "exp",
    G.LogOp: "log",
    G.SqrtOp: "sqrt",
}


def lower_constant(e: Emitter, op: G.ConstantOp) -> SSAValue:
    return e.add(arith.ConstantOp(op.value, op.result.type))


def lower_binary(e: Emitter, op: G.ElementwiseBinaryOp) -> SSAValue:
    kind = _BINARY_KIND[type(op)]
    return e.elementwise(
        [op.lhs, op.rhs], op.result.type, lambda v: scalar.binary(kind, v[0], v[1])
    )


def lower_unary(e: Emitter, op: G.ElementwiseUnaryOp) -> SSAValue:
    kind = _UNARY_KIND[type(op)]
    body = step_body if kind == "step" else lambda v: scalar.unary(kind, v[0])
    return e.elementwise([op.input], op.result.type, body)


def step_body(v: Sequence[SSAValue]) -> list[Operation]:
    """1 where x > 0, else 0, with no comparison: xDSL's compares take no vectors, so a body
    that compares could not be vectorized by the C schedule. Integers: min(max(x, 0), 1).
    Floats: ceil(minnum(maxnum(x, 0), 1)) + 0: maxnum turns NaN into 0, ceil lifts (0, 1]
    to 1, and adding +0 makes the -0 that maxnum(-0, 0) may give a +0."""
    x = v[0]
    zero, one = scalar.constant(0, x.type), scalar.constant(1, x.type)
    if not scalar.is_float_type(x.type):
        low = arith.MaxSIOp(x, zero.result)
        return [zero, one, low, arith.MinSIOp(low.result, one.result)]
    low = arith.MaxnumfOp(x, zero.result)
    high = arith.MinnumfOp(low.result, one.result)
    up = CeilOp(high.result)
    return [zero, one, low, high, up, arith.AddfOp(up.result, zero.result)]


def lower_widen(e: Emitter, op: G.WidenOp) -> SSAValue:
    out = op.result.type
    return e.elementwise([op.input], out, lambda v: [arith.ExtSIOp(v[0], out.element_type)])


def lower_requantize(e: Emitter, op: G.RequantizeOp) -> SSAValue:
    """saturate(roundeven(x · scale)) to i8, computed in f64 (exact for i32 inputs);
    `arith.fptosi` saturates on the targets that run it."""
    out = op.result.type

    def body(v):
        wide = arith.SIToFPOp(v[0], f64)
        scale = arith.ConstantOp(FloatAttr(op.scale.value.data, f64))
        scaled = arith.MulfOp(wide.result, scale.result)
        rounded = RoundEvenOp(scaled.result)
        return [wide, scale, scaled, rounded, arith.FPToSIOp(rounded.result, out.element_type)]

    return e.elementwise([op.input], out, body)


def lower_matmul(e: Emitter, op: G.MatmulOp) -> SSAValue:
    out = op.result.type
    et = out.element_type
    out_shape = G.shape_of(out)
    init = e.filled(out_shape, et, scalar.constant(0, et))
    a_shape, b_shape = G.shape_of(op.lhs.type), G.shape_of(op.rhs.type)
    if len(a_shape) == 2 and len(b_shape) == 2:
        return e.add(linalg.MatmulOp([op.lhs, op.rhs], [init], [out]))
    # Batched, with broadcast batch dims: iteration space (batch..., m, n, k).
    r = len(out_shape)
    batch = out_shape[:-2]
    m, n, k = dim(r - 2), dim(r - 1), dim(r)

    def operand_map(shape, inner):
        lead = len(batch) - (len(shape) - 2)
        bdims = [
            AffineConstantExpr(0) if size == 1 and batch[lead + j] != 1 else dim(lead + j)
            for j, size in enumerate(shape[:-2])
        ]
        return amap(r + 1, [*bdims, *inner])

    maps = [
        operand_map(a_shape, [m, k]),
        operand_map(b_shape, [k, n]),
        amap(r + 1, [dim(i) for i in range(r)]),
    ]

    def body(a):
        mul = scalar.binary("mul", a[0], a[1])
        return [*mul, *scalar.binary("add", a[2], mul[-1].results[0])]

    return e.generic([op.lhs, op.rhs], init, maps, [PARALLEL] * r + [REDUCTION], body)


def lower_conv2d(e: Emitter, op: G.Conv2dOp) -> SSAValue:
    out = op.result.type
    et = out.element_type
    x = e.pad(op.input, G.int_values(op.padding), scalar.constant(0, et))
    init = e.filled(G.shape_of(out), et, scalar.constant(0, et))
    return e.add(
        linalg.Conv2DNchwFchwOp(
            [x, op.weight],
            [init],
            [out],
            strides=DenseIntOrFPElementsAttr.from_list(
                TensorType(i64, [2]), list(G.int_values(op.stride))
            ),
            dilations=DenseIntOrFPElementsAttr.from_list(
                TensorType(i64, [2]), list(G.int_values(op.dilation))
            ),
        )
    )


def _pool_window(e: Emitter, op: G.Pool2dOp, kind: str) -> SSAValue:
    """Sum or max over each window: iteration space (n, c, oh, ow, kh, kw)."""
    out = op.result.type
    et = out.element_type
    kh, kw = G.int_values(op.kernel)
    sh, sw = G.int_values(op.stride)
    pad_value = scalar.lowest(et) if kind == "max" else scalar.constant(0, et)
    x = e.pad(op.input, G.int_values(op.padding), pad_value)
    window = e.empty((kh, kw), et)
    init = e.filled(G.shape_of(out), et, scalar.identity(kind, et))
    maps = [
        amap(6, [dim(0), dim(1), dim(2) * sh + dim(4), dim(3) * sw + dim(5)]),
        amap(6, [dim(4), dim(5)]),
        amap(6, [dim(0), dim(1), dim(2), dim(3)]),
    ]
    return e.generic(
        [x, window],
        init,
        maps,
        [PARALLEL] * 4 + [REDUCTION] * 2,
        lambda a: scalar.binary(kind, a[2], a[0]),
    )


def lower_maxpool(e: Emitter, op: G.MaxPool2dOp) -> SSAValue:
    return _pool_window(e, op, "max")


def lower_avgpool(e: Emitter, op: G.AvgPool2dOp) -> SSAValue:
    summed = _pool_window(e, op, "add")
    return e.divided(summed, math.prod(G.int_values(op.kernel)), op.result.type)


def lower_softmax(e: Emitter, op: G.SoftmaxOp) -> SSAValue:
    """max, exp(x - max), sum, divide: four passes (fusing them is a graph-level pass)."""
    x = op.input
    axis = op.axis.value.data
    shape = G.shape_of(x.type)
    rank = len(shape)
    full = identity_map(rank)
    reduced = amap(rank, [dim(i) for i in range(rank) if i != axis])
    m = e.reduce(x, [axis], "max")
    exps = e.generic(
        [x, m],
        e.empty(shape, x.type.element_type),
        [full, reduced, full],
        [PARALLEL] * rank,
        lambda a: (lambda sub: [*sub, *scalar.unary("exp", sub[-1].results[0])])(
            scalar.binary("sub", a[0], a[1])
        ),
    )
    total = e.reduce(exps, [axis], "add")
    return e.generic(
        [exps, total],
        e.empty(shape, x.type.element_type),
        [full, reduced, full],
        [PARALLEL] * rank,
        lambda a: scalar.binary("div", a[0], a[1]),
    )


def lower_reduction(e: Emitter, op: G.ReductionOp) -> SSAValue:
    axes = op.reduced_axes
    keep = bool(op.keepdims.value.data)
    if isinstance(op, G.MaxOp):
        return e.reduce(op.input, axes, "max", keep)
    total = e.reduce(op.input, axes, "add", keep)
    if isinstance(op, G.SumOp):
        return total
    count = math.prod(G.shape_of(op.input.type)[a] for a in axes)
    return e.divided(total, count, op.result.type)


def lower_transpose(e: Emitter, op: G.TransposeOp) -> SSAValue:
    out = op.result.type
    init = e.empty(G.shape_of(out), out.element_type)
    return e.add(linalg.TransposeOp(op.input, init, op.perm, out))


def reshape_map(in_shape: Sequence[int], out_shape: Sequence[int]) -> AffineMap:
    """Output index -> input index of a row-major reshape, with floordiv/mod."""
    rank = len(out_shape)
    linear: AffineExpr = AffineConstantExpr(0)
    stride = 1
    for i in reversed(range(rank)):
        if out_shape[i] != 1:
            linear = dim(i) * stride + linear
        stride *= out_shape[i]
    results = []
    stride = math.prod(in_shape)
    for j, size in enumerate(in_shape):
        stride //= size
        if size == 1:
            results.append(AffineConstantExpr(0))
            continue
        expr = linear if stride == 1 else linear // stride
        results.append(expr if j == 0 or _leading(in_shape, j) else expr % size)
    return amap(rank, results)


def _leading(shape: Sequence[int], j: int) -> bool:
    """True when every dimension before j has extent 1 (so no modulo is needed)."""
    return all(s == 1 for s in shape[:j])


def lower_reshape(e: Emitter, op: G.ReshapeOp) -> SSAValue:
    out = op.result.type
    shape = G.shape_of(out)
    in_map = reshape_map(G.shape_of(op.input.type), shape)
    init = e.empty(shape, out.element_type)
    return e.generic(
        [op.input], init, [in_map, identity_map(len(shape))], [PARALLEL] * len(shape),
        lambda a: [],
    )


def lower_broadcast_to(e: Emitter, op: G.BroadcastToOp) -> SSAValue:
    return e.elementwise([op.input], op.result.type, lambda v: ([], v[0]))


def lower_concat(e: Emitter, op: G.ConcatOp) -> SSAValue:
    """Each input inserted into its slice of the result (`tensor.insert_slice`).

    (A generic writing through an offset output map cannot express the piece at offset 0:
    its output dimension would be a plain loop dimension of the wrong extent.)
    """
    out = op.result.type
    axis = op.axis.value.data
    rank = len(G.shape_of(out))
    acc = e.empty(G.shape_of(out), out.element_type)
    offset = 0
    for v in op.inputs:
        shape = G.shape_of(v.type)
        offsets = [offset if i == axis else 0 for i in range(rank)]
        acc = e.add(tensor.InsertSliceOp.get(v, acc, list(shape), offsets, [1] * rank))
        offset += shape[axis]
    return acc


def lower_slice(e: Emitter, op: G.SliceOp) -> SSAValue:
    """A copy over the result's iteration space reading input[d * stride + start].

    A dimension read from 0 with stride 1 has the plain map `d`, which linalg requires to
    span the operand's whole extent; where the slice is shorter, a `tensor.extract_slice`
    cuts those dimensions first (and is the whole lowering when nothing else changes).
    """
    starts, strides = G.int_values(op.starts), G.int_values(op.strides)
    sizes, x = G.shape_of(op.result.type), op.input
    rank = len(sizes)
    plain = [(k, a) == (1, 0) for k, a in zip(strides, starts)]
    cut = [n if p else d for n, d, p in zip(sizes, G.shape_of(x.type), plain)]
    if cut != list(G.shape_of(x.type)):
        x = e.add(tensor.ExtractSliceOp.from_static_parameters(x, [0] * rank, cut))
    if all(plain):
        return x
    in_map = amap(rank, [dim(i) * k + a for i, (k, a) in enumerate(zip(strides, starts))])
    init = e.empty(sizes, op.result.type.element_type)
    return e.generic([x], init, [in_map, identity_map(rank)], [PARALLEL] * rank, lambda a: [])


def lower_pad(e: Emitter, op: G.PadOp) -> SSAValue:
    """A buffer of zeros with the input inserted at offsets `low`, strides `interior + 1`.

    (`tensor.insert_slice` rather than a generic writing through the output map
    `d * (interior + 1) + low`: where both are 0 that map is a plain `d`, which linalg
    requires to span the whole, longer, output dimension.)
    """
    low, interior = G.int_values(op.low), G.int_values(op.interior)
    out = op.result.type
    if G.shape_of(out) == G.shape_of(op.input.type):
        return op.input
    zeros = e.filled(G.shape_of(out), out.element_type, scalar.constant(0, out.element_type))
    shape = list(G.shape_of(op.input.type))
    return e.add(tensor.InsertSliceOp.get(op.input, zeros, shape, list(low),
                                          [k + 1 for k in interior]))


def lower_contract(e: Emitter, op: G.ContractOp) -> SSAValue:
    out = op.result.type
    et = out.element_type
    kind = op.kind.data
    rank = op.output_rank
    ndims = len(op.extents)
    if kind == "assign":
        init = e.empty(G.shape_of(out), et)
    else:
        init = e.filled(G.shape_of(out), et, scalar.identity(kind, et))
    iterators = [PARALLEL] * rank + [REDUCTION] * (ndims - rank)
    out_map = amap(ndims, [dim(i) for i in range(rank)])

    def body(args):
        mapping: dict[SSAValue, SSAValue] = dict(zip(op.body.block.args, args))
        ops: list[Operation] = []
        value = None
        for inner in op.body.block.ops:
            if isinstance(inner, G.YieldOp):
                value = mapping.get(inner.value, inner.value)
                if kind != "assign":
                    ops += scalar.binary(kind, args[-1], value)
                    value = ops[-1].results[0]
                continue
            clone = inner.clone(value_mapper=mapping)
            ops.append(clone)
            mapping.update(zip(inner.results, clone.results))
        return ops, value

    return e.generic(list(op.inputs), init, [*op.maps, out_map], iterators, body)


LOWERINGS: dict[type[Operation], Lowering] = {
    G.ConstantOp: lower_constant,
    **{t: lower_binary for t in _BINARY_KIND},
    **{t: lower_unary for t in _UNARY_KIND},
    G.WidenOp: lower_widen,
    G.RequantizeOp: lower_requantize,
    G.MatmulOp: lower_matmul,
    G.Conv2dOp: lower_conv2d,
    G.MaxPool2dOp: lower_maxpool,
    G.AvgPool2dOp: lower_avgpool,
    G.SoftmaxOp: lower_softmax,
    G.SumOp: lower_reduction,
    G.MaxOp: lower_reduction,
    G.MeanOp: lower_reduction,
    G.TransposeOp: lower_transpose,
    G.ReshapeOp: lower_reshape,
    G.BroadcastToOp: lower_broadcast_to,
    G.ConcatOp: lower_concat,
    G.SliceOp: lower_slice,
    G.PadOp: lower_pad,
    G.ContractOp: lower_contract,
}


class LowerGraphOp(RewritePattern):
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        lowering = LOWERINGS.get(type(op))
        if lowering is None:
            return
        emitter = Emitter(op, [])
        result = lowering(emitter, op)
        rewriter.replace(op, emitter.ops, [result])


@dataclass(frozen=True)
class GraphToLinalgPass(ModulePass):
    """Lower every `graph` op to linalg on tensors."""

    name = "graph-to-linalg"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(LowerGraphOp(), apply_recursively=False).rewrite_module(op)
