"""`linalg-to-loops`: linalg on memrefs → `scf.for` nests of `memref.load`/`memref.store`.

Structured ops (generic, fill, matmul, convolutions, transpose, elementwise named ops) go
through xDSL's `convert-linalg-to-loops` machinery, which is correct for them: one loop per
iteration dimension, bounds read off the operand shapes (so an output map with an offset,
`(d0, d1) -> (d0 + 2, d1 + 2)`, iterates over the input), loads and stores through the
indexing maps, non-trivial index expressions as `affine.apply` (for `lower-affine`), and
reductions as a load/compute/store of the accumulator in the innermost loop.

What xDSL cannot lower is first rewritten as a `linalg.generic`:
- `linalg.reduce` and `linalg.broadcast` (no loop lowering in xDSL);
- `linalg.pooling_nchw_max`, whose xDSL body takes the max with the window operand instead
  of the running output (wrong values), rebuilt with the right body.

`memref.copy` (which `bufferize` emits) also becomes a loop nest unless
`lower_copies=false`, so that loop-level IR needs nothing but loads and stores.

Two repairs to what xDSL emits: a constant index (from a map such as `(d0, d1) -> (0, d1)`)
is an `arith.constant`, not an `affine.apply` of a constant map; and every `e mod c` whose
dividend can be negative over the loop ranges is rewritten `(e + k * c) mod c`, because
`lower-affine` lowers `mod` to `arith.remsi`, which is negative where affine `mod` is not.

Every op created takes the location of the linalg op it replaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import affine, arith, memref, scf
from xdsl.dialects.builtin import (
    AffineMapAttr,
    AnyFloat,
    IndexType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    TensorType,
    UnknownLoc,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.ir import Attribute, Block, BlockArgument, Operation, Region, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineMap,
)
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.transforms.convert_linalg_to_loops import LowerLinalgStructuredOpPattern

from tessera.compiler.diagnostics import TesseraError


def _require_buffers(op: Operation) -> None:
    if any(isinstance(t, TensorType) for t in (*op.operand_types, *op.result_types)):
        raise TesseraError.at_op(
            op, f"linalg-to-loops: '{op.name}' works on tensors; run bufferize first"
        )


def _loop_range(value: SSAValue) -> tuple[int, int] | None:
    """The values an `scf.for` induction variable with constant bounds and step 1 takes."""
    if not isinstance(value, BlockArgument) or value.index != 0:
        return None
    loop = value.block.parent_op()
    if not isinstance(loop, scf.ForOp):
        return None
    bounds = []
    for bound in (loop.lb, loop.ub, loop.step):
        if not isinstance(bound.owner, arith.ConstantOp):
            return None
        attr = bound.owner.value
        assert isinstance(attr, IntegerAttr)
        bounds.append(attr.value.data)
    lb, ub, step = bounds
    return (lb, ub - 1) if step == 1 and ub > lb else None


def _expr_range(
    expr: AffineExpr, dims: Sequence[tuple[int, int] | None]
) -> tuple[int, int] | None:
    """Bounds of `expr` (affine semantics) when dimension i ranges over `dims[i]`."""
    if isinstance(expr, AffineConstantExpr):
        return expr.value, expr.value
    if isinstance(expr, AffineDimExpr):
        return dims[expr.position]
    if not isinstance(expr, AffineBinaryOpExpr):
        return None
    lhs, rhs = _expr_range(expr.lhs, dims), _expr_range(expr.rhs, dims)
    if lhs is None or rhs is None:
        return None
    if expr.kind == AffineBinaryOpKind.Add:
        return lhs[0] + rhs[0], lhs[1] + rhs[1]
    if expr.kind == AffineBinaryOpKind.Mul:
        corners = [a * b for a in lhs for b in rhs]
        return min(corners), max(corners)
    if rhs[0] != rhs[1] or rhs[0] <= 0:
        return None
    c = rhs[0]
    if expr.kind == AffineBinaryOpKind.Mod:
        return 0, c - 1
    if expr.kind == AffineBinaryOpKind.FloorDiv:
        return lhs[0] // c, lhs[1] // c
    return -(-lhs[0] // c), -(-lhs[1] // c)  # CeilDiv


def _nonnegative_mods(expr: AffineExpr, dims: Sequence[tuple[int, int] | None]) -> AffineExpr:
    """`expr` with every `e mod c` whose `e` can be negative written `(e + k * c) mod c`.

    Affine `mod` is never negative, but `lower-affine` lowers it to `arith.remsi`, which is
    negative for a negative dividend (`(d0 - 1) mod 4` at d0 = 0 gives -1, not 3). Shifting
    the dividend by a multiple of c keeps the affine value and makes remsi agree.
    """
    if not isinstance(expr, AffineBinaryOpExpr):
        return expr
    lhs, rhs = _nonnegative_mods(expr.lhs, dims), _nonnegative_mods(expr.rhs, dims)
    if (
        expr.kind == AffineBinaryOpKind.Mod
        and isinstance(rhs, AffineConstantExpr)
        and rhs.value > 0
        and (bounds := _expr_range(lhs, dims)) is not None
        and bounds[0] < 0
    ):
        lhs = lhs + (-(bounds[0] // rhs.value)) * rhs.value
    if lhs is expr.lhs and rhs is expr.rhs:
        return expr
    return AffineBinaryOpExpr(expr.kind, lhs, rhs)


def _finish_new_ops(
    rewriter: PatternRewriter,
    block: Block,
    before: Operation | None,
    after: Operation | None,
    location: Attribute,
) -> None:
    """Tidy the ops xDSL created between `before` and `after` (exclusive), nested ones
    included: give those without a location `location`; turn each constant index
    (`affine.apply affine_map<() -> (0)>`, from a broadcast map such as `(d0, d1) -> (0, d1)`)
    into an `arith.constant`; make every `mod` safe for `lower-affine`."""
    op = before.next_op if before is not None else block.first_op
    while op is not None and op is not after:
        for inner in list(op.walk()):
            if isinstance(inner.location, UnknownLoc):
                inner.location = location
            if not isinstance(inner, affine.ApplyOp):
                continue
            affine_map = inner.map.data
            (expr,) = affine_map.results
            if isinstance(expr, AffineConstantExpr):
                constant = arith.ConstantOp(IntegerAttr.from_index_int_value(expr.value))
                constant.location = inner.location
                rewriter.replace(inner, constant)
                continue
            dims = [_loop_range(v) for v in inner.mapOperands[: affine_map.num_dims]]
            safe = _nonnegative_mods(expr, dims)
            if safe is not expr:
                inner.map = AffineMapAttr(
                    AffineMap(affine_map.num_dims, affine_map.num_symbols, (safe,))
                )
        op = op.next_op


def _rank(value) -> int:
    assert isinstance(value.type, MemRefType)
    return len(value.type.get_shape())


class ReduceToGeneric(RewritePattern):
    """`linalg.reduce` → `linalg.generic`: the reduced dimensions become reduction loops."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: linalg.ReduceOp, rewriter: PatternRewriter) -> None:
        _require_buffers(op)
        rank = _rank(op.input)
        reduced = set(op.dimensions.get_values())
        kept = tuple(AffineDimExpr(d) for d in range(rank) if d not in reduced)
        generic = linalg.GenericOp(
            [op.input],
            [op.init],
            rewriter.move_region_contents_to_new_regions(op.region),
            [AffineMapAttr(AffineMap.identity(rank)), AffineMapAttr(AffineMap(rank, 0, kept))],
            [
                IteratorTypeAttr.reduction() if d in reduced else IteratorTypeAttr.parallel()
                for d in range(rank)
            ],
        )
        generic.location = op.location
        rewriter.replace(op, generic, [])


class BroadcastToGeneric(RewritePattern):
    """`linalg.broadcast` → `linalg.generic`: the added dimensions are absent from the input map."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: linalg.BroadcastOp, rewriter: PatternRewriter) -> None:
        _require_buffers(op)
        rank = _rank(op.init)
        added = set(op.dimensions.get_values())
        kept = tuple(AffineDimExpr(d) for d in range(rank) if d not in added)
        generic = linalg.GenericOp(
            [op.input],
            [op.init],
            rewriter.move_region_contents_to_new_regions(op.hidden_region),
            [AffineMapAttr(AffineMap(rank, 0, kept)), AffineMapAttr(AffineMap.identity(rank))],
            [IteratorTypeAttr.parallel()] * rank,
        )
        generic.location = op.location
        rewriter.replace(op, generic, [])


class PoolingMaxToGeneric(RewritePattern):
    """`linalg.pooling_nchw_max` → `linalg.generic` with `out = max(out, in)`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: linalg.PoolingNchwMaxOp, rewriter: PatternRewriter
    ) -> None:
        _require_buffers(op)
        element = op.outputs[0].type.get_element_type()
        max_op = arith.MaximumfOp if isinstance(element, AnyFloat) else arith.MaxSIOp
        arg_types = [
            t.get_element_type() if isinstance(t, MemRefType) else t for t in op.operand_types
        ]

        @Builder.implicit_region(arg_types)
        def body(args: tuple[BlockArgument, ...]) -> None:
            linalg.YieldOp(max_op(args[2], args[0]))

        generic = linalg.GenericOp(
            list(op.inputs),
            list(op.outputs),
            body,
            op.get_indexing_maps(),
            op.get_iterator_types(),
        )
        generic.location = op.location
        for inner in generic.walk():
            inner.location = op.location
        rewriter.replace(op, generic, [])


class LowerStructuredOp(RewritePattern):
    """A structured linalg op → a loop nest, through xDSL's lowering, keeping its location."""

    xdsl_lowering = LowerLinalgStructuredOpPattern()

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: LinalgStructuredOperation, rewriter: PatternRewriter
    ) -> None:
        _require_buffers(op)
        if isinstance(op, linalg.PoolingNchwMaxOp):
            return  # rewritten as a generic first
        block, before, after, location = op.parent_block(), op.prev_op, op.next_op, op.location
        self.xdsl_lowering.match_and_rewrite(op, rewriter)
        if block is not None:
            _finish_new_ops(rewriter, block, before, after, location)


class LowerCopy(RewritePattern):
    """`memref.copy` → a loop nest of loads and stores."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: memref.CopyOp, rewriter: PatternRewriter) -> None:
        source_type = op.source.type
        assert isinstance(source_type, MemRefType)
        shape = source_type.get_shape()
        if any(d < 0 for d in shape):
            return  # a dynamic shape (bufferize makes none): left for the target
        if not all(shape):  # an empty buffer: nothing to copy
            rewriter.erase(op)
            return
        constants = [
            arith.ConstantOp(IntegerAttr.from_index_int_value(v)) for v in (0, 1, *shape)
        ]
        zero, one, bounds = constants[0], constants[1], constants[2:]
        loops = [
            scf.ForOp(
                zero.result, bound.result, one.result, [], Region(Block(arg_types=[IndexType()]))
            )
            for bound in bounds
        ]
        for outer, inner in zip(loops, loops[1:]):
            outer.body.block.add_ops([inner, scf.YieldOp()])
        indices = [loop.body.block.args[0] for loop in loops]
        source, source_indices, source_ops = _through_subview(op.source, indices)
        dest, dest_indices, dest_ops = _through_subview(op.destination, indices)
        load = memref.LoadOp.get(source, source_indices)
        store = memref.StoreOp.get(load.res, dest, dest_indices)
        innermost = loops[-1].body.block if loops else None
        if innermost is not None:
            innermost.add_ops([*source_ops, *dest_ops, load, store, scf.YieldOp()])
            new_ops: list[Operation] = [*constants, loops[0]]
        else:
            new_ops = [*source_ops, *dest_ops, load, store]
        for new_op in new_ops:
            for inner_op in new_op.walk():
                inner_op.location = op.location
        views = [v.owner for v in (op.source, op.destination) if isinstance(v.owner, memref.SubviewOp)]
        rewriter.replace(op, new_ops, [])
        for view in views:
            if not view.result.uses:
                rewriter.erase(view)


def _through_subview(
    buffer: SSAValue, indices: list[SSAValue]
) -> tuple[SSAValue, list[SSAValue], list[Operation]]:
    """Index a static `memref.subview` through its source: index * stride + offset."""
    view = buffer.owner
    if not isinstance(view, memref.SubviewOp) or view.offsets or view.strides:
        return buffer, indices, []
    ops: list[Operation] = []
    out: list[SSAValue] = []
    for index, offset, stride in zip(
        indices, view.static_offsets.get_values(), view.static_strides.get_values()
    ):
        value = index
        if stride != 1:
            c = arith.ConstantOp(IntegerAttr.from_index_int_value(stride))
            ops += [c, mul := arith.MuliOp(value, c.result)]
            value = mul.result
        if offset != 0:
            c = arith.ConstantOp(IntegerAttr.from_index_int_value(offset))
            ops += [c, add := arith.AddiOp(value, c.result)]
            value = add.result
        out.append(value)
    return view.source, out, ops


@dataclass(frozen=True)
class LinalgToLoopsPass(ModulePass):
    """Lower linalg ops on memrefs to `scf.for` nests of `memref.load`/`memref.store`."""

    name = "linalg-to-loops"

    lower_copies: bool = True
    """Also lower `memref.copy` to loops (otherwise it is left for the target to emit)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        # Checked up front: an error raised inside a rewrite pattern comes out wrapped in a
        # dump of the whole module.
        for inner in op.walk():
            if isinstance(
                inner, LinalgStructuredOperation | linalg.ReduceOp | linalg.BroadcastOp
            ):
                _require_buffers(inner)
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [ReduceToGeneric(), BroadcastToGeneric(), PoolingMaxToGeneric()]
            ),
            apply_recursively=False,
        ).rewrite_module(op)
        lowerings: list[RewritePattern] = [LowerStructuredOp()]
        if self.lower_copies:
            lowerings.append(LowerCopy())
        PatternRewriteWalker(
            GreedyRewritePatternApplier(lowerings), apply_recursively=False
        ).rewrite_module(op)
