"""The pointwise, elementwise and block-reduction kernels of `linalg-to-gpu`.

See the pass's docstring (lowering/linalg_to_gpu.py) for when each is chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod

from xdsl.dialects import arith, gpu, scf
from xdsl.dialects.builtin import (
    FloatAttr,
    IndexType,
    IntegerAttr,
    MemRefType,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriteWalker,
)

from tessera.compiler.diagnostics import TesseraError
from tessera.lowering.affine_forms import linear_map, plain_dims
from tessera.lowering.gpu_kernel_builder import (
    KernelBuilder,
    apply_epilogues,
    finish_launch,
    new_launch,
    only_feeds,
)
from tessera.lowering.linalg_to_loops import LowerCopy, LowerStructuredOp
from tessera.lowering.schedule import (
    to_generic,
)
from tessera.lowering.schedule_codegen import Epilogue

# Fewer reduced elements than this per output: a pointwise kernel (one thread per output).
REDUCTION_MIN = 32

_index = IndexType()

# Associative combiners of a block reduction, with their identity (None: by element type).
_COMBINERS: dict[type[Operation], str] = {
    arith.AddfOp: "zero", arith.MulfOp: "one", arith.MaximumfOp: "-inf",
    arith.MinimumfOp: "+inf", arith.AddiOp: "zero", arith.MaxSIOp: "min", arith.MinSIOp: "max",
}


# ---------------------------------------------------------------------------------------
# Pointwise kernels


def pointwise(op: Operation, threads: int) -> None:
    """`op` (a linalg op or memref.copy) as one thread per point of its leading parallel
    loops; see the module docstring."""
    if isinstance(op, LinalgStructuredOperation | linalg.ReduceOp | linalg.BroadcastOp):
        op = to_generic(op)
        parallel = 0
        for it in op.iterator_types:
            if it.data.value != "parallel":
                break
            parallel += 1
        extents = list(op.get_static_loop_ranges())[:parallel]
    else:
        extents = list(op.operands[1].type.get_shape())
    total = prod(extents)
    threads = min(threads, max(32, -(-total // 32) * 32))
    launch, kb, ids = new_launch(op, (max(1, -(-total // threads)), 1, 1), (threads, 1, 1))
    op.detach()
    kb.block.add_op(op)
    lowering = LowerStructuredOp() if isinstance(op, linalg.GenericOp) else LowerCopy()
    PatternRewriteWalker(GreedyRewritePatternApplier([lowering]),
                         apply_recursively=False).rewrite_region(launch.body)
    loops: list[scf.ForOp] = []
    block = kb.block
    while len(loops) < len(extents):
        loop = next((o for o in block.ops if isinstance(o, scf.ForOp)), None)
        if loop is None:
            break
        loops.append(loop)
        block = loop.body.block
    if [_trip_count(loop) for loop in loops] != extents:
        raise TesseraError.at_op(launch, "linalg-to-gpu: the loop nest of this op does not "
                                 "have the static extents of its parallel dimensions")
    body = launch.body.block
    # The ops before the nest (constants) stay; the nest is rebuilt after them.
    first = loops[0] if loops else None
    tail = KernelBuilder(Block(), kb.location)
    gid = tail.add(tail.mul(ids[0], threads), ids[3])
    cond = tail.less(gid, total)
    coords = tail.unflatten(gid, extents) if loops else []
    inner = Block()
    moved: list[Operation] = []
    if loops:
        for depth, loop in enumerate(loops):
            for inner_op in list(loop.body.block.ops):
                if isinstance(inner_op, scf.YieldOp) or (depth + 1 < len(loops)
                                                         and inner_op is loops[depth + 1]):
                    continue
                moved.append(inner_op)
        for arg, coord in zip((loop.body.block.args[0] for loop in loops), coords):
            arg.replace_all_uses_with(coord)
    else:
        moved = [o for o in body.ops if not isinstance(o, arith.ConstantOp)]
    for inner_op in moved:
        inner_op.detach()
        inner.add_op(inner_op)
    inner.add_op(scf.YieldOp())
    if first is not None:
        first.detach()
        first.erase()
    for new in list(tail.block.ops):
        new.detach()
        body.add_op(new)
    if_op = scf.IfOp(cond, [], Region(inner), Region(Block([scf.YieldOp()])))
    if_op.location = kb.location
    body.add_op(if_op)
    finish_launch(KernelBuilder(body, kb.location))


def _trip_count(loop: scf.ForOp) -> int | None:
    bounds = []
    for v in (loop.lb, loop.ub, loop.step):
        owner = v.owner
        if not (isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr)):
            return None
        bounds.append(owner.value.value.data)
    lb, ub, step = bounds
    return max(0, -(-(ub - lb) // step)) if lb == 0 and step == 1 else None


# ---------------------------------------------------------------------------------------
# Fused elementwise consumers


def fusable_chain(chain: list[linalg.GenericOp]) -> list[linalg.GenericOp]:
    """The chain up to its first consumer that indexes an operand non-linearly."""
    for i, consumer in enumerate(chain):
        if any(linear_map(m.data) is None for m in consumer.indexing_maps):
            return chain[:i]
    return chain


def is_elementwise(op: linalg.GenericOp) -> bool:
    """All-parallel, affine-linear, and writing every point of its one output once."""
    if len(op.outputs) != 1 or any(it.data.value != "parallel" for it in op.iterator_types):
        return False
    maps = [m.data for m in op.indexing_maps]
    out_dims = plain_dims(maps[-1])
    return (all(linear_map(m) is not None for m in maps) and out_dims is not None
            and sorted(out_dims) == list(range(maps[-1].num_dims))
            and not any(isinstance(o, linalg.IndexOp) for o in op.body.block.ops))


def elementwise(op: linalg.GenericOp, epilogues: Sequence[Epilogue], threads: int
                ) -> SSAValue | None:
    """One thread per output element: its inputs loaded, the body, the store, then the
    fused consumers, so a chain of elementwise ops is one kernel and one pass over memory."""
    maps = [m.data for m in op.indexing_maps]
    out_dims = plain_dims(maps[-1])
    assert out_dims is not None
    extents = list(op.get_static_loop_ranges())
    total = prod(extents)
    threads = min(threads, max(32, -(-total // 32) * 32))
    launch, kb, ids = new_launch(op, (max(1, -(-total // threads)), 1, 1), (threads, 1, 1))
    gid = kb.add(kb.mul(ids[0], threads), ids[3])
    forms = [linear_map(m) for m in maps]
    block = op.body.block

    def body():
        coords = kb.unflatten(gid, [extents[d] for d in out_dims]) if out_dims else []
        dims: list[SSAValue | None] = [None] * len(extents)
        for d, v in zip(out_dims, coords):
            dims[d] = v
        values: dict[SSAValue, SSAValue] = {}
        for i, buffer in enumerate(op.inputs):
            arg = block.args[i]
            if not isinstance(buffer.type, MemRefType):
                values[arg] = buffer
            elif arg.uses:
                values[arg] = kb.load(buffer, [kb.linear(c, k, dims) for c, k in forms[i]])
        out_indices = [kb.linear(c, k, dims) for c, k in forms[-1]]
        out_arg = block.args[len(op.inputs)]
        if out_arg.uses:
            values[out_arg] = kb.load(op.outputs[0], out_indices)
        (value,) = kb.clone_body(block, values)
        if not dead_output:
            kb.store(value, op.outputs[0], out_indices)
        apply_epilogues(kb, epilogues, value, dims)
        return []

    dead_output = not block.args[len(op.inputs)].uses and only_feeds(op.outputs[0], op,
                                                                      epilogues)
    kb.when(kb.less(gid, total) if total % threads else None, body)
    finish_launch(kb)
    output = op.outputs[0]
    op.detach()
    op.erase()
    return output if dead_output else None


# ---------------------------------------------------------------------------------------
# Block reductions


@dataclass
class Reduction:
    op: linalg.GenericOp
    combiner: type[Operation]
    parallel_dims: list[int]
    reduced_dims: list[int]
    extents: list[int]
    # The output's value before the reduction: read from it, or this scalar (a fill absorbed).
    initial: SSAValue | None = None


def as_reduction(op: linalg.GenericOp) -> Reduction | None:
    if len(op.outputs) != 1:
        return None
    kinds = [it.data.value for it in op.iterator_types]
    reduced = [d for d, k in enumerate(kinds) if k == "reduction"]
    parallel = [d for d, k in enumerate(kinds) if k == "parallel"]
    maps = [m.data for m in op.indexing_maps]
    if not reduced or any(linear_map(m) is None for m in maps):
        return None
    out_dims = plain_dims(maps[-1])
    if out_dims is None or sorted(out_dims) != parallel:
        return None
    extents = list(op.get_static_loop_ranges())
    if prod(extents[d] for d in reduced) < REDUCTION_MIN:
        return None
    body = op.body.block
    yielded = body.last_op
    acc = body.args[-1]
    if not isinstance(yielded, linalg.YieldOp) or len(yielded.operands) != 1:
        return None
    combine = yielded.operands[0].owner
    if type(combine) not in _COMBINERS or not isinstance(combine, Operation):
        return None
    if acc not in combine.operands or len(list(acc.uses)) != 1:
        return None
    return Reduction(op, type(combine), parallel, reduced, extents)


def _identity(kb: KernelBuilder, kind: type[Operation], element: Attribute) -> SSAValue:
    return kb.constant(_identity_value(kind, element), element)


def _identity_value(kind: type[Operation], element: Attribute) -> float | int:
    which = _COMBINERS[kind]
    if which in ("-inf", "+inf"):
        return float(which)
    if which in ("min", "max"):
        width = element.width.data  # type: ignore[attr-defined]
        return -(1 << (width - 1)) if which == "min" else (1 << (width - 1)) - 1
    return 0 if which == "zero" else 1


def _is_identity(value: SSAValue, kind: type[Operation], element: Attribute) -> bool:
    owner = value.owner
    if not isinstance(owner, arith.ConstantOp):
        return False
    attr = owner.value
    known = attr.value.data if isinstance(attr, (IntegerAttr, FloatAttr)) else None
    return known is not None and known == _identity_value(kind, element)


def block_reduction(r: Reduction, threads: int, epilogues: Sequence[Epilogue] = ()) -> None:
    op = r.op
    reduced_extent = prod(r.extents[d] for d in r.reduced_dims)
    t = 32
    while t < min(threads, reduced_extent):
        t *= 2
    outputs = prod(r.extents[d] for d in r.parallel_dims)
    launch, kb, ids = new_launch(op, (outputs, 1, 1), (t, 1, 1))
    element = op.outputs[0].type.get_element_type()
    maps = [linear_map(m.data) for m in op.indexing_maps]
    body = op.body.block
    combine_op = body.last_op.operands[0].owner
    acc_arg = body.args[-1]
    (value_arg,) = [v for v in combine_op.operands if v is not acc_arg]

    tid = ids[3]
    point = kb.unflatten(ids[0], [r.extents[d] for d in r.parallel_dims])
    dims: list[SSAValue | None] = [None] * len(r.extents)
    for d, v in zip(r.parallel_dims, point):
        dims[d] = v

    def fold(e: SSAValue, partial: SSAValue) -> list[SSAValue]:
        for d, v in zip(r.reduced_dims, kb.unflatten(e, [r.extents[d] for d in r.reduced_dims])):
            dims[d] = v
        values = {}
        for arg, buffer, form in zip(body.args[:-1], op.inputs, maps[:-1]):
            values[arg] = kb.load(buffer, [kb.linear(c, k, dims) for c, k in form])
        values[acc_arg] = partial  # unused by the value: see as_reduction
        mapping = dict(values)
        for inner in body.ops:
            if inner is combine_op or isinstance(inner, linalg.YieldOp):
                continue
            new = inner.clone(value_mapper=mapping)
            kb.emit(new)
            for old, fresh in zip(inner.results, new.results):
                mapping[old] = fresh
        return [kb.value(r.combiner(partial, mapping.get(value_arg, value_arg)))]

    (partial,) = kb.loop(tid, reduced_extent, t, fold, [_identity(kb, r.combiner, element)])
    tree = kb.alloca([t], element, shared=True)
    kb.store(partial, tree, [tid])
    kb.emit(gpu.BarrierOp())
    stride = t // 2
    while stride >= 1:
        def combine_pair(s=stride):
            mine = kb.load(tree, [tid])
            other = kb.load(tree, [kb.add(tid, s)])
            kb.store(kb.value(r.combiner(mine, other)), tree, [tid])
            return []
        kb.when(kb.less(tid, stride), combine_pair)
        kb.emit(gpu.BarrierOp())
        stride //= 2
    out_form = maps[-1]

    def write():
        indices = [kb.linear(c, k, dims) for c, k in out_form]
        root = kb.load(tree, [kb.index(0)])
        if r.initial is not None and _is_identity(r.initial, r.combiner, element):
            value = root  # folding in the identity (an absorbed fill of it) changes nothing
        else:
            old = r.initial if r.initial is not None else kb.load(op.outputs[0], indices)
            value = kb.value(r.combiner(old, root))
        kb.store(value, op.outputs[0], indices)
        apply_epilogues(kb, epilogues, value,
                        [v if d in r.parallel_dims else None for d, v in enumerate(dims)])
        return []

    kb.when(kb.less(tid, 1), write)
    finish_launch(kb)
    op.detach()
    op.erase()

