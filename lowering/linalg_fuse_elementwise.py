"""`linalg-fuse-elementwise`: producer-consumer fusion of elementwise ops on linalg tensors.

Modelled on MLIR's `linalg-fuse-elementwise-ops`. A *producer* is an op on tensors that
computes each element of its one result independently:

- a `linalg.generic` whose iterators are all parallel, with one result whose indexing map is
  a permutation of its loops (a bias add, a ReLU, `exp(x - max)`, a broadcast, a transpose);
- the named movement ops, generalized on the spot: `linalg.transpose`, `linalg.broadcast`;
- a `linalg.fill` that is read as an input (its value replaces the element read).

Contractions (`linalg.matmul`, convolutions) are never producers or consumers: they stay
named, because the C schedule and the GPU GEMM recognise them by name and already fuse the
elementwise ops that follow them into their tiles after bufferization (`schedule`'s and
`linalg-to-gpu`'s epilogues). After this pass, `relu(x @ w + b)` is one matmul followed by
one bias+ReLU generic, which is exactly the epilogue those passes fuse.

A producer is fused into each *consumer* `linalg.generic` that reads its result as an input:
the consumer reads the producer's inputs instead, through the composed maps
`producer input map ∘ inverse(producer output map) ∘ consumer map`, and the producer's body
is inlined into the consumer's body in place of the block argument. The consumer may be a
reduction (`reductions=true`): softmax's `exp(x - max)` is fused into both the sum and the
division, so softmax is three passes over `x` and the exponentials are never stored.

Where a fusion would duplicate arithmetic (*recompute*): the producer has several users, or
one user reads it through a map that is not a permutation of the user's loops, so possibly
more than once per element (a broadcast, a pooling window). The rule:
- a producer whose body does no arithmetic (a copy, broadcast, transpose, fill) is fused
  into every user that can take it; it stays only for the users that cannot;
- otherwise, with `recompute=true` (the default) and at most `max_ops` ops in its body
  (default 8; constants are free), it is fused into all its users or none: fusing into some
  would compute it twice and still store it;
- with `recompute=false`, only a producer read once per element by a single user is fused.
On the C and GPU targets, recomputing a few ops per element, an `exp` included, costs less
than writing a full temporary and reading it back twice. (Not on the NPU, whose vector unit
runs a row reduction one column at a time, so what is inlined into it runs on short vectors:
there `recompute=false` takes fewer cycles.) Each producer is judged by its own body, in
reverse program order, so a chain's last link is fused first and each earlier producer then
meets the consumers it will really be inlined into.

Epilogues stay epilogues (`keep_epilogues=true`, the default): an elementwise op that alone
reads a contraction's or reduction's result, element by element as it writes (a bias add
after a matmul, the ReLU after that, the scale after attention's scores), is what the C
schedule and `linalg-to-gpu` fuse into that op's tile loops, where it runs on the
accumulators in registers (vectorized, on C) before the one store. Such a producer is fused
only into consumers that keep that shape (all-parallel, reading it with the map they write:
the ReLU after the bias add), not forward into a reduction, a pooling window or a padding
copy, which would take it out of the tiles (on C, into a loop that is not vectorized) and
cost the GPU a kernel. `keep_epilogues=false` fuses those too (the NPU, which has no
epilogues, gains a little from it).

Never fused: where a composed map would not be affine-linear (reshapes index with
floordiv/mod, and the schedule, the GPU kernels and the loop-level tools need linear maps);
where the fused op's loop extents could not be read back off its operands; a consumer that
also writes into the producer's result; a producer whose body uses `linalg.index` of a loop
that does not map to one consumer loop (or a constant) in the fused op; and, unless
`casts=true`, a producer or consumer whose body converts element types (the widenings and
requantizations of a quantized program stay separate ops, because the NPU's i8 array reads
widened operands straight from their i8 buffers and requantizes in its `mvout`).

Each fused generic records what was fused into it in `tessera.fused`: one string per fused
producer, `"<body ops> at <file>:<line>:<col>"` (`"subf+exp at mlp.tsr:9:10"`; `copy`,
`transpose`, `broadcast`, `fill` for the movement ops), in the order they were fused.

    tessera-opt examples/mlp.tsr -p 'lower-to-linalg,linalg-fuse-elementwise'
    tessera-opt x.mlir -p 'linalg-fuse-elementwise{reductions=false recompute=false max_ops=2}'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import arith, func, tensor
from xdsl.dialects.builtin import (
    AffineMapAttr,
    ArrayAttr,
    FileLineColLoc,
    IndexType,
    IntegerAttr,
    ModuleOp,
    ShapedType,
    StringAttr,
    TensorType,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr, AffineMap
from xdsl.passes import ModulePass

from tessera.compiler.diagnostics import TesseraError
from tessera.lowering.affine_forms import linear_map, plain_dims

FUSED_ATTR = "tessera.fused"

# Ops that convert data between element types: a quantization boundary (see `casts`).
# (`arith.index_cast` of a loop index converts no data: it is not one.)
CASTS = frozenset({
    "arith.extsi", "arith.extui", "arith.extf", "arith.trunci", "arith.truncf",
    "arith.sitofp", "arith.uitofp", "arith.fptosi", "arith.fptoui", "arith.bitcast",
})
# Ops a body may hold that cost nothing at run time.
FREE = frozenset({"arith.constant", "linalg.yield"})


def _has_casts(block: Block) -> bool:
    return any(op.name in CASTS for op in block.walk())


def _is_permutation(amap: AffineMap) -> bool:
    dims = plain_dims(amap)
    return dims is not None and sorted(dims) == list(range(amap.num_dims))


def _location_text(op: Operation) -> str:
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return f" at {loc.filename.data}:{loc.line.data}:{loc.column.data}"
    return ""


@dataclass
class Producer:
    """An op that computes each element of its result on its own, seen as a generic: the
    operands its body reads, with their maps over its loops, and the body."""

    op: Operation
    result: SSAValue
    out_map: AffineMap
    operands: list[SSAValue] = field(default_factory=list)
    maps: list[AffineMap] = field(default_factory=list)
    # The body and, per operand, the block argument it feeds; None for a fill.
    block: Block | None = None
    args: list[SSAValue] = field(default_factory=list)
    fill_value: SSAValue | None = None
    cost: int = 0
    kind: str = ""
    # The sole, elementwise reader of a contraction's or reduction's result.
    epilogue: bool = False

    def entries(self) -> list[str]:
        """This producer's entries in `tessera.fused`: what was fused into it, then itself."""
        earlier = self.op.attributes.get(FUSED_ATTR)
        before = [s.data for s in earlier.data] if isinstance(earlier, ArrayAttr) else []
        return [*before, self.kind + _location_text(self.op)]


def as_producer(op: Operation, casts: bool) -> Producer | None:
    """`op` as a producer, or None if it is not one (see the module docstring)."""
    if len(op.results) != 1 or not isinstance(op.results[0].type, TensorType):
        return None
    result = op.results[0]
    rank = len(result.type.get_shape())
    if isinstance(op, linalg.FillOp):
        if isinstance(op.inputs[0].type, ShapedType):
            return None
        return Producer(op, result, AffineMap.identity(rank), fill_value=op.inputs[0],
                        kind="fill")
    if isinstance(op, linalg.TransposeOp):
        in_map, out_map = (m.data for m in op.get_indexing_maps())
        block = op.body.block
        return Producer(op, result, out_map, [op.inputs[0]], [in_map], block,
                        [block.args[0]], kind="transpose")
    if isinstance(op, linalg.BroadcastOp):
        added = set(op.dimensions.get_values())
        in_map = AffineMap(rank, 0, tuple(AffineDimExpr(d) for d in range(rank)
                                          if d not in added))
        block = op.hidden_region.block
        return Producer(op, result, AffineMap.identity(rank), [op.input], [in_map], block,
                        [block.args[0]], kind="broadcast")
    if not isinstance(op, linalg.GenericOp) or len(op.outputs) != 1:
        return None
    if any(it.data.value != "parallel" for it in op.iterator_types):
        return None
    maps = [m.data for m in op.indexing_maps]
    if not _is_permutation(maps[-1]) or not all(isinstance(v.type, TensorType)
                                                for v in op.operands):
        return None
    block = op.body.block
    if not casts and _has_casts(block):
        return None
    n = len(op.inputs)
    operands, op_maps, args = list(op.inputs), maps[:n], list(block.args[:n])
    out_arg = block.args[n]
    if out_arg.uses:  # the body reads the output's old contents: an input like the others
        operands.append(op.outputs[0])
        op_maps.append(maps[-1])
        args.append(out_arg)
    body_ops = [o for o in block.walk() if o.name not in FREE]
    kind = "+".join(o.name.split(".", 1)[-1] for o in body_ops) or "copy"
    return Producer(op, result, maps[-1], operands, op_maps, block, args,
                    cost=len(body_ops), kind=kind, epilogue=_in_epilogue(op))


def _reduces(op: object) -> bool:
    """Whether `op` is a linalg op with reduction loops (a contraction, a reduction, a
    pooling window): one the targets fuse elementwise consumers into."""
    return isinstance(op, LinalgStructuredOperation) and any(
        it.data.value == "reduction" for it in op.get_iterator_types())


def _in_epilogue(op: linalg.GenericOp) -> bool:
    """Whether the all-parallel generic `op` is part of a contraction's or reduction's
    epilogue: it alone reads, element by element as it writes, the result of that op or of
    an elementwise op that is itself part of the epilogue (the ReLU after the bias add)."""
    maps = [m.data for m in op.indexing_maps]
    for value, amap in zip(op.inputs, maps):
        owner = value.owner
        if amap != maps[-1] or {u.operation for u in value.uses} != {op}:
            continue
        if _reduces(owner):
            return True
        if (isinstance(owner, linalg.GenericOp) and len(owner.outputs) == 1
                and all(it.data.value == "parallel" for it in owner.iterator_types)
                and _in_epilogue(owner)):
            return True
    return False


@dataclass
class Plan:
    """How one consumer takes a producer: its new inputs and their maps, which new input
    each old input and each producer operand becomes, and where the producer's loops land."""

    consumer: linalg.GenericOp
    inputs: list[SSAValue]
    maps: list[AffineMap]
    old_input_slot: dict[int, int]
    # Per fused position: (producer operand -> new input slot, producer loops -> consumer's).
    fused: dict[int, tuple[list[int], AffineMap]]
    rereads: bool


def _loop_ranges(maps: list[AffineMap], operands: list[SSAValue]) -> tuple[int, ...] | None:
    """The loop extents an op with these maps and operands would read off its operands
    (as xDSL does: the first operand dimension indexed by each plain loop dimension)."""
    if not maps:
        return None
    results = tuple(e for m in maps for e in m.results)
    inverse = AffineMap(maps[0].num_dims, 0, results).inverse_permutation()
    if inverse is None:
        return None
    shapes = [d for v in operands if isinstance(v.type, ShapedType)
              for d in v.type.get_shape()]
    return inverse.eval(shapes, [])


def _index_substitution(producer: Producer, to_producer: AffineMap) -> bool:
    """Whether every `linalg.index` in the producer's body names a loop that is one consumer
    loop or a constant in the fused op."""
    if producer.block is None:
        return True
    for inner in producer.block.walk():
        if isinstance(inner, linalg.IndexOp):
            if inner.parent_block() is not producer.block:
                return False  # inside a nested region, where `_inline` does not rename
            expr = to_producer.results[inner.dim.value.data]
            if not isinstance(expr, AffineDimExpr | AffineConstantExpr):
                return False
    return True


def plan(producer: Producer, consumer: Operation, options: LinalgFuseElementwisePass
         ) -> Plan | None:
    """How `consumer` would take `producer`, or None if it cannot (see the docstring)."""
    if (not isinstance(consumer, linalg.GenericOp)
            or consumer.parent_block() is not producer.op.parent_block()
            or producer.result in consumer.outputs
            or not all(isinstance(v.type, TensorType) for v in consumer.operands)):
        return None
    if not options.reductions and any(it.data.value != "parallel"
                                      for it in consumer.iterator_types):
        return None
    if not options.casts and _has_casts(consumer.body.block):
        return None
    cmaps = [m.data for m in consumer.indexing_maps]
    n = len(consumer.inputs)
    if options.keep_epilogues and producer.epilogue and not (
            len(consumer.outputs) == 1
            and all(it.data.value == "parallel" for it in consumer.iterator_types)
            and all(cmaps[j] == cmaps[n] for j, v in enumerate(consumer.inputs)
                    if v is producer.result)):
        return None
    inverse = producer.out_map.inverse_permutation()
    assert inverse is not None  # a permutation
    extents = consumer.get_static_loop_ranges()
    inputs: list[SSAValue] = []
    maps: list[AffineMap] = []

    def slot(value: SSAValue, amap: AffineMap) -> int:
        # Inputs are only read, so one read of the same elements serves every use.
        for i, (v, m) in enumerate(zip(inputs, maps)):
            if v is value and m == amap:
                return i
        inputs.append(value)
        maps.append(amap)
        return len(inputs) - 1

    old_input_slot: dict[int, int] = {}
    fused: dict[int, tuple[list[int], AffineMap]] = {}
    rereads = False
    for j, value in enumerate(consumer.inputs):
        if value is not producer.result:
            old_input_slot[j] = slot(value, cmaps[j])
            continue
        to_producer = inverse.compose(cmaps[j])
        if not _index_substitution(producer, to_producer):
            return None
        fused[j] = ([slot(v, m.compose(to_producer))
                     for v, m in zip(producer.operands, producer.maps)], to_producer)
        # Each producer element is computed once only if this map visits it once.
        dims = plain_dims(cmaps[j])
        rereads |= dims is None or len(set(dims)) != len(dims) or any(
            extents[d] > 1 and d not in dims for d in range(len(extents)))
    all_maps = [*maps, *cmaps[n:]]
    if any(linear_map(m) is None for m in all_maps):
        return None
    if _loop_ranges(all_maps, [*inputs, *consumer.outputs]) != tuple(extents):
        return None
    # Read at several positions through different maps, the body is inlined once per map.
    rereads |= len({to for _, to in fused.values()}) > 1
    return Plan(consumer, inputs, maps, old_input_slot, fused, rereads)


def fuse(producer: Producer, p: Plan) -> linalg.GenericOp:
    """Replace the plan's consumer by the fused generic and return it."""
    consumer = p.consumer
    old = consumer.body.block
    n_old = len(consumer.inputs)
    types = [v.type.get_element_type() for v in (*p.inputs, *consumer.outputs)]
    block = Block(arg_types=types)
    mapping: dict[SSAValue, SSAValue] = {}
    for j, s in p.old_input_slot.items():
        mapping[old.args[j]] = block.args[s]
    for k in range(len(consumer.outputs)):
        mapping[old.args[n_old + k]] = block.args[len(p.inputs) + k]
    # The arguments keep the names they had in the consumer or the producer.
    for old_arg, new_arg in mapping.items():
        new_arg.name_hint = new_arg.name_hint or old_arg.name_hint
    for slots, _ in p.fused.values():
        for arg, s in zip(producer.args, slots):
            block.args[s].name_hint = block.args[s].name_hint or arg.name_hint
    inlined: dict[AffineMap, SSAValue] = {}  # one body per distinct way of reading it
    for j, (slots, to_producer) in p.fused.items():
        if to_producer in inlined:
            mapping[old.args[j]] = inlined[to_producer]
            continue
        if producer.block is None:
            value = producer.fill_value
        else:
            value = _inline(producer, block, [block.args[s] for s in slots], to_producer)
        inlined[to_producer] = value
        mapping[old.args[j]] = value
    for inner in old.ops:
        block.add_op(inner.clone(value_mapper=mapping))
    out_maps = [m.data for m in consumer.indexing_maps][n_old:]
    new = linalg.GenericOp(
        p.inputs, list(consumer.outputs), Region(block),
        [AffineMapAttr(m) for m in (*p.maps, *out_maps)],
        consumer.iterator_types, consumer.result_types, consumer.doc, consumer.library_call)
    new.attributes.update(consumer.attributes)
    earlier = consumer.attributes.get(FUSED_ATTR)
    entries = [s.data for s in earlier.data] if isinstance(earlier, ArrayAttr) else []
    entries += producer.entries()
    new.attributes[FUSED_ATTR] = ArrayAttr([StringAttr(s) for s in entries])
    new.location = consumer.location
    consumer_block = consumer.parent_block()
    assert consumer_block is not None
    consumer_block.insert_op_before(new, consumer)
    for old_result, new_result in zip(consumer.results, new.results, strict=True):
        new_result.name_hint = old_result.name_hint
        old_result.replace_all_uses_with(new_result)
    consumer.detach()
    consumer.erase()
    return new


def _inline(producer: Producer, block: Block, args: list[SSAValue],
            to_producer: AffineMap) -> SSAValue:
    """The producer's body appended to `block`, reading `args`; returns the value it
    yields. `linalg.index` of a producer loop becomes the consumer loop (or the constant)
    that the loop is in the fused op (checked by `_index_substitution`)."""
    assert producer.block is not None
    mapping: dict[SSAValue, SSAValue] = dict(zip(producer.args, args))
    yielded = None
    for inner in producer.block.ops:
        if isinstance(inner, linalg.YieldOp):
            yielded = inner.operands[0]
            continue
        if isinstance(inner, linalg.IndexOp):
            expr = to_producer.results[inner.dim.value.data]
            new: Operation = (linalg.IndexOp(expr.position) if isinstance(expr, AffineDimExpr)
                              else arith.ConstantOp(IntegerAttr(expr.value, IndexType())))
            new.location = inner.location
            mapping[inner.results[0]] = new.results[0]
        else:
            new = inner.clone(value_mapper=mapping)
        block.add_op(new)
    assert yielded is not None
    return mapping.get(yielded, yielded)


def _erase_dead(op: Operation) -> None:
    """Erase `op`, then whatever only it used: empties, fills, constants and linalg ops on
    tensors whose results nothing reads any more (values its body read from outside too)."""
    nested = list(op.walk())
    inside = set(nested)
    outside = []
    for inner in nested:
        for value in inner.operands:
            owner = value.owner
            defining = owner if isinstance(owner, Operation) else owner.parent_op()
            if defining not in inside and isinstance(owner, Operation):
                outside.append(owner)
    op.detach()
    op.erase()
    for owner in outside:
        if owner.parent is not None and _removable(owner):
            _erase_dead(owner)


def _removable(op: Operation) -> bool:
    """Unread, and free of effects: on tensors (value semantics) or a constant."""
    if any(r.uses for r in op.results):
        return False
    if isinstance(op, arith.ConstantOp | tensor.EmptyOp):
        return True
    return (isinstance(op, linalg.GenericOp | linalg.FillOp | linalg.TransposeOp
                       | linalg.BroadcastOp)
            and all(isinstance(t, TensorType) for t in (*op.operand_types, *op.result_types)
                    if isinstance(t, ShapedType)))


@dataclass(frozen=True)
class LinalgFuseElementwisePass(ModulePass):
    """Fuse elementwise producers into the linalg generics that read them (see the module
    docstring)."""

    name = "linalg-fuse-elementwise"

    reductions: bool = True
    """Fuse into consumers that reduce (softmax's sums, pooling windows)."""
    recompute: bool = True
    """Fuse a producer whose body would run more often than in its own loops (several
    users, or one that reads it through a map that is not a permutation of its loops), when
    it is cheap (`max_ops`)."""
    max_ops: int = 8
    """The most ops (constants aside) a producer's body may have to be recomputed."""
    casts: bool = False
    """Fuse producers and consumers whose bodies convert element types (quantization)."""
    keep_epilogues: bool = True
    """Fuse the elementwise reader of a contraction or reduction only where it stays an
    epilogue the targets can fuse into that op's tiles."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.max_ops < 0:
            raise TesseraError(f"linalg-fuse-elementwise: max_ops={self.max_ops} must not "
                               "be negative")
        for function in [f for f in op.walk() if isinstance(f, func.FuncOp)]:
            for region_block in function.body.blocks:
                while self._sweep(region_block):
                    pass

    def _sweep(self, block: Block) -> bool:
        """One pass over `block` in reverse order; whether anything was fused."""
        changed = False
        for candidate in reversed(list(block.ops)):
            if candidate.parent is None:  # erased earlier in this sweep
                continue
            changed |= self._fuse_producer(candidate)
        return changed

    def _fuse_producer(self, op: Operation) -> bool:
        producer = as_producer(op, self.casts)
        if producer is None:
            return False
        users: list[Operation] = []
        for use in producer.result.uses:
            if use.operation not in users:
                users.append(use.operation)
        if not users:
            return False
        plans = [p for p in (plan(producer, user, self) for user in users) if p is not None]
        if not plans:
            return False
        recomputes = len(users) > 1 or any(p.rereads for p in plans)
        if producer.cost > 0 and recomputes and not (
                self.recompute and producer.cost <= self.max_ops and len(plans) == len(users)):
            return False
        for p in plans:
            # Planned again: fusing into an earlier user replaced it, and this user may read
            # its result.
            fresh = plan(producer, p.consumer, self)
            assert fresh is not None
            fuse(producer, fresh)
        if not producer.result.uses:
            _erase_dead(op)
        return True
