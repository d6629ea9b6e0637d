"""`linalg-to-gpu`: linalg ops on memrefs → `gpu.launch` kernels (blocks, threads, shared memory).

Every linalg op (and `memref.copy`) of a host function becomes one `gpu.launch` in its place.
The launch body is the code one CUDA thread runs; its block arguments are, as in MLIR, the
block ids, thread ids, grid sizes and block sizes (x, y, z each). `gpu-outline-kernels` then
moves each body into a `gpu.func` of its own. Three kernel shapes, chosen per op:

- **tiled GEMM**, for contractions: `linalg.matmul`, any
  `linalg.generic` of the form C[b, m, n] += A[b, m, k] · B[b, k, n] over plain indices
  (transposed operands included), and `linalg.conv_2d_nchw_fchw` as an implicit GEMM
  (M = filters, N = images × output pixels, K = channels × window, the im2col matrix never
  built: each element's indices are computed where it is loaded). A block computes a BM×BN
  tile of C, each thread a TM×TN tile held in registers (a private `memref.alloca`); K
  advances BK at a time. With staging, all threads of the block first copy A's BM×BK and
  B's BK×BN tiles into shared memory (`memref<..., 3>`, the workgroup address space;
  consecutive threads load consecutive elements, so the global loads coalesce), then
  `gpu.barrier`, then every thread runs its register tile over the staged K slice, then
  `gpu.barrier` again before the next stage overwrites the tiles. With `vector` 2 or 4, a
  staged f32 tile that runs along its operand's contiguous dimension and divides the problem
  is loaded as `vector.load`s of that many elements (`float2`/`float4`). Ragged edges (M, N, K not
  multiples of the tile) load zeros and skip their stores, so the body must be a
  multiply-accumulate (`acc + a·b`, after any casts of a and b), for which zeros add nothing.
- **block reduction**, for an op whose reduction loops combine with an associative operation
  (`addf`, `mulf`, `maximumf`, `minimumf`, `addi`, `maxsi`, `minsi`) over at least
  `REDUCTION_MIN` elements: one block per output element; each thread folds a strided share
  of the reduced elements into a partial result, then the partials are combined in a
  shared-memory tree (one barrier per level) and thread 0 folds the tree's root into the
  output. This is what softmax's max and sum become.
- **pointwise**, everything else (copies, padding, pooling, small reductions, reshapes): the op's own loop nest (as `linalg-to-loops` writes it) with its leading
  parallel loops replaced by one global thread index, the innermost loop's index varying
  fastest across consecutive threads (coalesced on row-major outputs); the loops that remain
  run sequentially in each thread.

- **elementwise**, for all-parallel ops that write each output element once: one thread per
  element.

Fusion (`fuse`, default 8; 0 turns it off): the elementwise consumers that follow a GEMM,
reduction or elementwise op and read its result element by element (bias, activation,
residual add; found as the C target's `schedule` pass finds them) run on each element before
it is stored, so a chain of elementwise ops is one kernel; a temporary that only they read is
never allocated. A `linalg.fill` right before a GEMM or reduction into the same buffer
becomes its starting value instead of a kernel of its own.

Loops in kernels with constant trip counts that should be unrolled (the register tile's) carry
the unit attribute `tessera.unroll`, which the CUDA emitter prints as `#pragma unroll`.

Schedules: the pass options (for the ops `op` names, or all contractions when `op` is empty),
else an op's `tessera.gpu_schedule` attribute, else the schedule tuned for the op's workload on
this GPU, else `default_gemm_schedule`. Options:
`-p 'linalg-to-gpu{block=128,128 thread=8,8 k_tile=8 stage=true threads=256 vector=4}'`. Pointwise and
reduction kernels take the `threads` of the op's attribute (or tuned schedule) unless the
`threads` option is given other than its default.

Tuned schedules: `tuning_db="PATH"`, else the default tuning database when it exists (see
`compiler/tuning/api.py`; `tuning_db="none"` turns the lookup off), is read only where a GPU
is there to look schedules up for (`targets/cuda/tuning.py`: `gpu_target_key()`). Each
tunable op without an attribute is keyed by its workload (`lowering/workloads.py`, before any
op is rewritten) and gets the best schedule the database holds for it on this GPU as its
`tessera.gpu_schedule` attribute; one that does not validate is skipped with a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from math import prod

from xdsl.context import Context
from xdsl.dialects import arith, func, gpu, memref, scf, vector
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseArrayBase,
    DictionaryAttr,
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    UnitAttr,
    VectorType,
    i64,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriteWalker,
)

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.gpu_schedule import A_TILE_PAD, GpuSchedule, default_gemm_schedule
from tessera.compiler.schedule import ScheduleError
from tessera.lowering.affine_forms import linear_map, plain_dims
from tessera.lowering.linalg_to_loops import LowerCopy, LowerStructuredOp, _require_buffers
from tessera.lowering.schedule import (
    epilogue_chain,
    epilogues_for,
    erase_fused,
    hoist_between,
    to_generic,
)
from tessera.lowering.schedule_codegen import Epilogue

GPU_SCHEDULE_ATTR = "tessera.gpu_schedule"
DEFAULT_THREADS = 256  # threads a block of the pointwise and reduction kernels
UNROLL_ATTR = "tessera.unroll"
WORKGROUP = IntegerAttr(3, i64)  # NVVM's shared-memory address space, as upstream MLIR spells it
# Fewer reduced elements than this per output: a pointwise kernel (one thread per output).
REDUCTION_MIN = 32

_index = IndexType()

# Associative combiners of a block reduction, with their identity (None: by element type).
_COMBINERS: dict[type[Operation], str] = {
    arith.AddfOp: "zero", arith.MulfOp: "one", arith.MaximumfOp: "-inf",
    arith.MinimumfOp: "+inf", arith.AddiOp: "zero", arith.MaxSIOp: "min", arith.MinSIOp: "max",
}


# ---------------------------------------------------------------------------------------
# Building kernel bodies


class KernelBuilder:
    """Appends ops to a block (index arithmetic, loops, ifs), each at one source location."""

    def __init__(self, block: Block, location):
        self.block = block
        self.location = location

    def emit(self, op: Operation) -> Operation:
        op.location = self.location
        self.block.add_op(op)
        return op

    def value(self, op: Operation) -> SSAValue:
        return self.emit(op).results[0]

    def index(self, n: int | SSAValue) -> SSAValue:
        if isinstance(n, SSAValue):
            return n
        return self.value(arith.ConstantOp(IntegerAttr.from_index_int_value(n)))

    def constant(self, value, element: Attribute) -> SSAValue:
        if isinstance(element, AnyFloat):
            return self.value(arith.ConstantOp(FloatAttr(float(value), element)))
        return self.value(arith.ConstantOp(IntegerAttr(int(value), element)))

    def add(self, a, b) -> SSAValue:
        if isinstance(b, int) and b == 0:
            return self.index(a)
        if isinstance(a, int) and a == 0:
            return self.index(b)
        return self.value(arith.AddiOp(self.index(a), self.index(b)))

    def mul(self, a, b) -> SSAValue:
        if isinstance(b, int) and b == 1:
            return self.index(a)
        return self.value(arith.MuliOp(self.index(a), self.index(b)))

    def div(self, a, b: int) -> SSAValue:
        return self.index(a) if b == 1 else self.value(arith.DivUIOp(self.index(a), self.index(b)))

    def rem(self, a, b: int) -> SSAValue:
        return self.index(0) if b == 1 else self.value(arith.RemUIOp(self.index(a), self.index(b)))

    def less(self, a, b) -> SSAValue:
        return self.value(arith.CmpiOp(self.index(a), self.index(b), "ult"))

    def both(self, a: SSAValue | None, b: SSAValue | None) -> SSAValue | None:
        if a is None or b is None:
            return a if b is None else b
        return self.value(arith.AndIOp(a, b))

    def linear(self, coefficients: Sequence[int], constant: int, values: Sequence[SSAValue]):
        total: SSAValue | int = constant
        for c, v in zip(coefficients, values):
            if c:
                total = self.add(total, self.mul(v, c))
        return self.index(total)

    def unflatten(self, flat: SSAValue, extents: Sequence[int]) -> list[SSAValue]:
        """The row-major multi-index (last varying fastest) of a flat index into `extents`."""
        out: list[SSAValue] = []
        rest = flat
        for i in range(len(extents) - 1, -1, -1):
            out.append(rest if i == 0 else self.rem(rest, extents[i]))
            if i:
                rest = self.div(rest, extents[i])
        return out[::-1]

    def loop(self, lb, ub, step, body: Callable[..., Sequence[SSAValue]],
             inits: Sequence[SSAValue] = (), unroll: bool = False) -> list[SSAValue]:
        block = Block(arg_types=[_index, *(v.type for v in inits)])
        loop = scf.ForOp(self.index(lb), self.index(ub), self.index(step), list(inits),
                         Region(block))
        if unroll:
            loop.attributes[UNROLL_ATTR] = UnitAttr()
        self.emit(loop)
        outer, self.block = self.block, block
        try:
            yielded = body(*block.args)
            self.emit(scf.YieldOp(*yielded))
        finally:
            self.block = outer
        return list(loop.results)

    def when(self, cond: SSAValue | None, then: Callable[[], Sequence[SSAValue]],
             otherwise: Callable[[], Sequence[SSAValue]] | None = None,
             types: Sequence[Attribute] = ()) -> list[SSAValue]:
        """`then()` where `cond` holds (always when it is None), else `otherwise()`."""
        if cond is None:
            return list(then())
        regions = []
        outer = self.block
        for branch in (then, otherwise):
            block = Block()
            regions.append(Region(block))
            if branch is None:
                block.add_op(scf.YieldOp())
                continue
            self.block = block
            try:
                self.emit(scf.YieldOp(*branch()))
            finally:
                self.block = outer
        op = self.emit(scf.IfOp(cond, list(types), regions[0], regions[1]))
        return list(op.results)

    def load(self, buffer: SSAValue, indices: Sequence[SSAValue]) -> SSAValue:
        return self.value(memref.LoadOp.get(buffer, list(indices)))

    def store(self, value: SSAValue, buffer: SSAValue, indices: Sequence[SSAValue]) -> None:
        self.emit(memref.StoreOp.get(value, buffer, list(indices)))

    def guarded_load(self, cond, buffer, indices_fn, element) -> SSAValue:
        """buffer[indices] where `cond` holds, else zero."""
        return self.when(cond, lambda: [self.load(buffer, indices_fn())],
                         lambda: [self.constant(0, element)], [element])[0]

    def alloca(self, shape: Sequence[int], element: Attribute, shared: bool = False) -> SSAValue:
        if shared:
            return self.value(memref.AllocaOp.get(element, shape=list(shape),
                                                  memory_space=WORKGROUP))
        return self.value(memref.AllocaOp.get(element, shape=list(shape)))

    def clone_body(self, block: Block, values: dict[SSAValue, SSAValue]) -> list[SSAValue]:
        """The ops of a linalg body with its arguments bound; the values it yields."""
        mapping = dict(values)
        for op in block.ops:
            if isinstance(op, linalg.YieldOp):
                return [mapping.get(v, v) for v in op.operands]
            new = op.clone(value_mapper=mapping)
            self.emit(new)
            for old, fresh in zip(op.results, new.results):
                mapping[old] = fresh
        raise AssertionError("a linalg body ends with linalg.yield")


def new_launch(before: Operation, grid: Sequence[int], block: Sequence[int]
               ) -> tuple[gpu.LaunchOp, KernelBuilder, list[SSAValue]]:
    """An empty `gpu.launch` inserted before `before`; a builder for its body, and the body's
    arguments (block ids x, y, z; thread ids x, y, z; grid and block sizes)."""
    host = before.parent_block()
    assert host is not None
    constants: dict[int, SSAValue] = {}
    for n in (*grid, *block):
        if n not in constants:
            c = arith.ConstantOp(IntegerAttr.from_index_int_value(n))
            c.location = before.location
            host.insert_op_before(c, before)
            constants[n] = c.result
    sizes = [constants[n] for n in (*grid, *block)]
    body = Block(arg_types=[_index] * 12)
    launch = gpu.LaunchOp(Region(body), sizes[:3], sizes[3:])
    launch.location = before.location
    host.insert_op_before(launch, before)
    kb = KernelBuilder(body, before.location)
    return launch, kb, list(body.args)


def finish_launch(kb: KernelBuilder) -> None:
    kb.emit(gpu.TerminatorOp())


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


def apply_epilogues(kb: KernelBuilder, epilogues: Sequence[Epilogue], value: SSAValue,
                    dims: Sequence[SSAValue | None]) -> None:
    """The fused consumers of one output element `value`, at the producer's loop indices
    `dims` (None for dimensions the output does not have)."""
    for epilogue in epilogues:
        forms = [linear_map(m) for m in epilogue.maps]
        block = epilogue.op.body.block
        inputs = epilogue.op.inputs
        values: dict[SSAValue, SSAValue] = {}
        for i, buffer in enumerate(inputs):
            arg = block.args[i]
            if i == epilogue.source:
                values[arg] = value
            elif not isinstance(buffer.type, MemRefType):
                values[arg] = buffer
            elif arg.uses:
                values[arg] = kb.load(buffer, [kb.linear(c, k, dims) for c, k in forms[i]])
        out_buffer = epilogue.op.outputs[0]
        out_indices = [kb.linear(c, k, dims) for c, k in forms[len(inputs)]]
        out_arg = block.args[len(inputs)]
        if out_arg.uses:
            values[out_arg] = kb.load(out_buffer, out_indices)
        (value,) = kb.clone_body(block, values)
        if epilogue.store:
            kb.store(value, out_buffer, out_indices)


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


# ---------------------------------------------------------------------------------------
# Tiled GEMM


IndexFn = Callable[[KernelBuilder, SSAValue | None, SSAValue, SSAValue], list[SSAValue]]


@dataclass
class Contraction:
    """C[b, m, n] = body(A[b, m, k], B[b, k, n], C[b, m, n]) for k in order, as index
    functions of (batch, row, column) into the op's real operands."""

    op: Operation
    a: SSAValue
    b: SSAValue
    c: SSAValue
    batch: int
    m: int
    n: int
    k: int
    a_index: IndexFn  # (batch, m, k)
    b_index: IndexFn  # (batch, k, n)
    c_index: IndexFn  # (batch, m, n)
    body: Block  # arguments (a, b, acc), yields the new acc
    element_bytes: tuple[int, int] = (4, 4)
    # The op's loop indices at output element (batch, m, n); None for the reduced ones.
    dims: Callable[[KernelBuilder, SSAValue, SSAValue, SSAValue],
                   list[SSAValue | None]] | None = None
    # Where the accumulators start: C's elements, or this scalar (a fill absorbed).
    initial: SSAValue | None = None
    # Whether A's last index is k and B's is n: the staged tiles then run along contiguous
    # memory, and can be loaded `vector` elements at a time.
    contiguous: tuple[bool, bool] = (False, False)


def _multiply_accumulate(body: Block) -> bool:
    """Whether a (a, b, acc) body yields acc + f(a)·g(b), with f, g casts: zero-padded a or b
    then adds nothing."""
    yielded = body.last_op
    if not isinstance(yielded, linalg.YieldOp) or len(yielded.operands) != 1:
        return False
    add = yielded.operands[0].owner
    if not isinstance(add, (arith.AddfOp, arith.AddiOp)):
        return False
    a, b, acc = body.args
    others = [v for v in add.operands if v is not acc]
    if len(others) != 1 or acc not in add.operands:
        return False
    mul = others[0].owner
    if not isinstance(mul, (arith.MulfOp, arith.MuliOp)):
        return False

    def from_arg(v: SSAValue, arg: SSAValue) -> bool:
        while v is not arg:
            owner = v.owner
            if not isinstance(owner, (arith.ExtSIOp, arith.ExtUIOp, arith.ExtFOp,
                                      arith.SIToFPOp)):
                return False
            v = owner.operands[0]
        return True

    x, y = mul.operands
    return ((from_arg(x, a) and from_arg(y, b)) or (from_arg(x, b) and from_arg(y, a)))


def _bytes(value: SSAValue) -> int:
    element = value.type.get_element_type()
    if isinstance(element, IntegerType):
        return max(1, element.width.data // 8)
    return 8 if isinstance(element, Float64Type) else 4


def as_contraction(op: Operation) -> Contraction | None:
    if isinstance(op, linalg.Conv2DNchwFchwOp):
        return _conv_contraction(op)
    if not isinstance(op, (linalg.MatmulOp, linalg.GenericOp)):
        return None
    if len(op.inputs) != 2 or len(op.outputs) != 1 or not op.regions:
        return None
    maps = [plain_dims(m.data) for m in op.get_indexing_maps()]
    if any(m is None for m in maps):
        return None
    kinds = [it.data.value for it in op.get_iterator_types()]
    a_dims, b_dims, c_dims = (set(m) for m in maps)  # type: ignore[arg-type]
    if any(len(set(m)) != len(m) for m in maps):  # type: ignore[arg-type]
        return None
    roles = {}
    for d, kind in enumerate(kinds):
        where = (d in a_dims, d in b_dims, d in c_dims)
        role = {(True, True, True): "batch", (True, False, True): "m",
                (False, True, True): "n", (True, True, False): "k"}.get(where)
        if role is None or (role == "k") != (kind == "reduction"):
            return None
        if role in roles:
            return None
        roles[role] = d
    if set(roles) - {"batch"} != {"m", "n", "k"}:
        return None
    body = op.regions[0].block
    if not _multiply_accumulate(body):
        return None
    extents = list(op.get_static_loop_ranges())

    by_role = {v: k for k, v in roles.items()}

    def loop_dims(kb, batch, m, n):
        value = {"m": m, "n": n, "batch": batch, "k": None}
        return [value[by_role[d]] for d in range(len(kinds))]

    def make(first: str, second: str, dims):
        def index(kb, batch, x, y):
            value = {first: x, second: y, "batch": batch}
            return [value[by_role[d]] for d in dims]
        return index

    return Contraction(
        op, op.inputs[0], op.inputs[1], op.outputs[0],
        extents[roles["batch"]] if "batch" in roles else 1,
        extents[roles["m"]], extents[roles["n"]], extents[roles["k"]],
        make("m", "k", maps[0]), make("k", "n", maps[1]), make("m", "n", maps[2]),
        body, (_bytes(op.inputs[0]), _bytes(op.inputs[1])), loop_dims,
        contiguous=(maps[0][-1] == roles["k"], maps[1][-1] == roles["n"]))


def _conv_contraction(op: linalg.Conv2DNchwFchwOp) -> Contraction | None:
    image, weights = op.inputs
    (out,) = op.outputs
    n, c, _, _ = image.type.get_shape()
    f, _, kh, kw = weights.type.get_shape()
    _, _, oh, ow = out.type.get_shape()
    strides = [int(v) for v in op.strides.get_values()]
    dilations = [int(v) for v in op.dilations.get_values()]
    if not op.regions or not _multiply_accumulate(op.regions[0].block):
        return None
    window = kh * kw

    def weight_index(kb, batch, row, k):
        ci = kb.div(k, window)
        r = kb.rem(k, window)
        return [row, ci, kb.div(r, kw), kb.rem(r, kw)]

    def pixel(kb, col):
        img = kb.div(col, oh * ow)
        p = kb.rem(col, oh * ow)
        return img, kb.div(p, ow), kb.rem(p, ow)

    def image_index(kb, batch, k, col):
        img, y, x = pixel(kb, col)
        ci = kb.div(k, window)
        r = kb.rem(k, window)
        ky, kx = kb.div(r, kw), kb.rem(r, kw)
        return [img, ci, kb.add(kb.mul(y, strides[0]), kb.mul(ky, dilations[0])),
                kb.add(kb.mul(x, strides[1]), kb.mul(kx, dilations[1]))]

    def out_index(kb, batch, row, col):
        img, y, x = pixel(kb, col)
        return [img, row, y, x]

    def loop_dims(kb, batch, row, col):  # (n, f, oh, ow, c, kh, kw)
        return [*out_index(kb, batch, row, col), None, None, None]

    return Contraction(op, weights, image, out, 1, f, n * oh * ow, c * window,
                       weight_index, image_index, out_index, op.regions[0].block,
                       (_bytes(weights), _bytes(image)), loop_dims)


def only_feeds(buffer: SSAValue, producer: Operation, epilogues: Sequence[Epilogue]) -> bool:
    """Whether `buffer` is a temporary that only `producer` writes and only its fused
    consumers read: its elements then live in registers and it is never allocated."""
    readers = {producer, *(e.op for e in epilogues)}
    return bool(epilogues) and isinstance(buffer.owner, memref.AllocOp) and all(
        use.operation in readers or isinstance(use.operation, memref.DeallocOp)
        for use in buffer.uses)


def erase_buffer(buffer: SSAValue | None) -> None:
    """Erase a buffer that nothing reads or writes any more (its dealloc included)."""
    if buffer is None:
        return
    for use in list(buffer.uses):
        use.operation.detach()
        use.operation.erase()
    owner = buffer.owner
    assert isinstance(owner, Operation)
    owner.detach()
    owner.erase()


def tiled_gemm(g: Contraction, s: GpuSchedule, epilogues: Sequence[Epilogue] = ()
               ) -> SSAValue | None:
    """The GEMM kernel; returns the output buffer when the kernel no longer writes it (to be
    erased once the fused consumers are)."""
    bm, bn = s.block
    tm, tn = s.thread
    bk = s.k_tile
    dead_output = g.initial is not None and only_feeds(g.c, g.op, epilogues)
    tx_count, ty_count = s.block_threads
    threads = tx_count * ty_count
    grid = (-(-g.n // bn), -(-g.m // bm), g.batch)
    launch, kb, ids = new_launch(g.op, grid, (tx_count, ty_count, 1))
    a_elem = g.a.type.get_element_type()
    b_elem = g.b.type.get_element_type()
    c_elem = g.c.type.get_element_type()
    bx, by, bz, tx, ty = ids[0], ids[1], ids[2], ids[3], ids[4]
    batch = bz if g.batch > 1 else kb.index(0)
    row0 = kb.mul(by, bm)
    col0 = kb.mul(bx, bn)
    tid = kb.add(kb.mul(ty, tx_count), tx)
    acc = kb.alloca([tm * tn], c_elem)
    a_frag = kb.alloca([tm], a_elem)
    b_frag = kb.alloca([tn], b_elem)

    def row_of(i):  # the block-tile row of this thread's i-th row
        return kb.add(ty, i * ty_count) if isinstance(i, int) else kb.add(ty, kb.mul(i, ty_count))

    def col_of(j):
        return kb.add(tx, j * tx_count) if isinstance(j, int) else kb.add(tx, kb.mul(j, tx_count))

    def in_c(i, j):
        gm, gn = kb.add(row0, row_of(i)), kb.add(col0, col_of(j))
        return gm, gn, kb.both(kb.less(gm, g.m) if g.m % bm else None,
                               kb.less(gn, g.n) if g.n % bn else None)

    # Accumulators start from C (the op accumulates into its output), or from the value of
    # the fill before the op, which then never runs.
    def init_row(i):
        def init_col(j):
            if g.initial is not None:
                value = g.initial
            else:
                gm, gn, ok = in_c(i, j)
                value = kb.guarded_load(ok, g.c, lambda: g.c_index(kb, batch, gm, gn), c_elem)
            kb.store(value, acc, [kb.add(kb.mul(i, tn), j)])
            return []
        kb.loop(0, tn, 1, init_col, unroll=True)
        return []
    kb.loop(0, tm, 1, init_row, unroll=True)

    def multiply(a_at: Callable[[SSAValue], SSAValue], b_at: Callable[[SSAValue], SSAValue]):
        """acc += a_frag ⊗ b_frag with the fragments read through a_at(i) and b_at(j)."""
        def fill_a(i):
            kb.store(a_at(i), a_frag, [i])
            return []

        def fill_b(j):
            kb.store(b_at(j), b_frag, [j])
            return []
        kb.loop(0, tm, 1, fill_a, unroll=True)
        kb.loop(0, tn, 1, fill_b, unroll=True)

        def row(i):
            def col(j):
                slot = [kb.add(kb.mul(i, tn), j)]
                a_arg, b_arg, acc_arg = g.body.args
                (new,) = kb.clone_body(g.body, {
                    a_arg: kb.load(a_frag, [i]), b_arg: kb.load(b_frag, [j]),
                    acc_arg: kb.load(acc, slot)})
                kb.store(new, acc, slot)
                return []
            kb.loop(0, tn, 1, col, unroll=True)
            return []
        kb.loop(0, tm, 1, row, unroll=True)

    if s.stage:
        a_tile = kb.alloca([bk, bm + A_TILE_PAD], a_elem, shared=True)
        b_tile = kb.alloca([bk, bn], b_elem, shared=True)

        def stage(count, inner, global_at, width):
            """All threads copy `count` elements, `width` at a time, consecutive threads on
            consecutive ones."""
            units = count // width
            rounds = -(-units // threads)

            def one(r):
                u = kb.add(kb.mul(r, threads), tid)
                inside = kb.less(u, units) if units % threads else None

                def copy():
                    e = kb.mul(u, width)
                    x, y = kb.div(e, inner), kb.rem(e, inner)
                    global_at(x, y)
                    return []
                kb.when(inside, copy)
                return []
            kb.loop(0, rounds, 1, one, unroll=rounds <= 16)

        # Wide loads need whole vectors inside the operand and the tile: no ragged edge.
        a_width = s.vector if (g.contiguous[0] and a_elem == Float32Type() and bk % s.vector == 0
                               and g.m % bm == 0 and g.k % bk == 0) else 1
        b_width = s.vector if (g.contiguous[1] and b_elem == Float32Type() and bn % s.vector == 0
                               and g.n % bn == 0 and g.k % bk == 0) else 1

        def k_step(k0):
            def a_elem_at(r, kk):  # A tile: r in BM rows, kk along K (fastest)
                gm, gk = kb.add(row0, r), kb.add(k0, kk)
                if a_width > 1:
                    v = kb.value(vector.LoadOp(g.a, g.a_index(kb, batch, gm, gk),
                                               VectorType(a_elem, [a_width])))
                    for lane in range(a_width):
                        x = kb.value(vector.ExtractOp(v, [lane], a_elem))
                        kb.store(x, a_tile, [kb.add(kk, lane), r])
                    return
                ok = kb.both(kb.less(gm, g.m) if g.m % bm else None,
                             kb.less(gk, g.k) if g.k % bk else None)
                v = kb.guarded_load(ok, g.a, lambda: g.a_index(kb, batch, gm, gk), a_elem)
                kb.store(v, a_tile, [kk, r])

            def b_elem_at(kk, cn):  # B tile: kk rows, cn along N (fastest)
                gk, gn = kb.add(k0, kk), kb.add(col0, cn)
                if b_width > 1:
                    t = VectorType(b_elem, [b_width])
                    v = kb.value(vector.LoadOp(g.b, g.b_index(kb, batch, gk, gn), t))
                    kb.emit(vector.StoreOp(v, b_tile, [kk, cn]))
                    return
                ok = kb.both(kb.less(gk, g.k) if g.k % bk else None,
                             kb.less(gn, g.n) if g.n % bn else None)
                v = kb.guarded_load(ok, g.b, lambda: g.b_index(kb, batch, gk, gn), b_elem)
                kb.store(v, b_tile, [kk, cn])

            stage(bm * bk, bk, a_elem_at, a_width)
            stage(bk * bn, bn, b_elem_at, b_width)
            kb.emit(gpu.BarrierOp())

            def kk_step(kk):
                multiply(lambda i: kb.load(a_tile, [kk, row_of(i)]),
                         lambda j: kb.load(b_tile, [kk, col_of(j)]))
                return []
            kb.loop(0, bk, 1, kk_step, unroll=True)
            kb.emit(gpu.BarrierOp())
            return []
        kb.loop(0, g.k, bk, k_step)
    else:
        def k_point(k):
            def a_at(i):
                gm = kb.add(row0, row_of(i))
                ok = kb.less(gm, g.m) if g.m % bm else None
                return kb.guarded_load(ok, g.a, lambda: g.a_index(kb, batch, gm, k), a_elem)

            def b_at(j):
                gn = kb.add(col0, col_of(j))
                ok = kb.less(gn, g.n) if g.n % bn else None
                return kb.guarded_load(ok, g.b, lambda: g.b_index(kb, batch, k, gn), b_elem)
            multiply(a_at, b_at)
            return []
        kb.loop(0, g.k, 1, k_point)

    def store_row(i):
        def store_col(j):
            gm, gn, ok = in_c(i, j)

            def write():
                value = kb.load(acc, [kb.add(kb.mul(i, tn), j)])
                if not dead_output:
                    kb.store(value, g.c, g.c_index(kb, batch, gm, gn))
                if epilogues:
                    assert g.dims is not None
                    apply_epilogues(kb, epilogues, value, g.dims(kb, batch, gm, gn))
                return []
            kb.when(ok, write)
            return []
        kb.loop(0, tn, 1, store_col, unroll=True)
        return []
    kb.loop(0, tm, 1, store_row, unroll=True)
    finish_launch(kb)
    g.op.detach()
    g.op.erase()
    return g.c if dead_output else None


# ---------------------------------------------------------------------------------------
# The pass


def gpu_schedule_from_attr(op: Operation, attr: Attribute) -> GpuSchedule:
    if not isinstance(attr, DictionaryAttr):
        raise TesseraError.at_op(op, f"'{GPU_SCHEDULE_ATTR}' must be a dictionary attribute")
    data = {}
    for key, value in attr.data.items():
        if isinstance(value, IntegerAttr):
            data[key] = (bool(value.value.data) if value.type == IntegerType(1)
                         else value.value.data)
        elif hasattr(value, "get_values"):
            data[key] = list(value.get_values())
        else:
            raise TesseraError.at_op(op, f"'{GPU_SCHEDULE_ATTR}': cannot read field '{key}'")
    try:
        return GpuSchedule.from_json(data)
    except ScheduleError as e:
        raise TesseraError.at_op(op, f"'{GPU_SCHEDULE_ATTR}': {e.message}") from None


def _previous_structured(op: Operation) -> Operation | None:
    """The op before `op` that touches memory, skipping allocations and constants."""
    previous = op.prev_op
    while isinstance(previous, (memref.AllocOp, arith.ConstantOp)):
        previous = previous.prev_op
    return previous


def _fill_absorbed_by_next(fill: linalg.FillOp) -> bool:
    """Whether the op after a fill is a contraction into the filled buffer, which then starts
    its accumulators from the fill value instead of reading the buffer back."""
    following = fill.next_op
    while isinstance(following, (memref.AllocOp, arith.ConstantOp)):
        following = following.next_op
    if following is None or isinstance(fill.inputs[0].type, MemRefType):
        return False
    contraction = as_contraction(following)
    if contraction is not None:
        return contraction.c == fill.outputs[0]
    return (isinstance(following, linalg.GenericOp) and as_reduction(following) is not None
            and following.outputs[0] == fill.outputs[0])


def gpu_schedule_to_attr(schedule: GpuSchedule) -> DictionaryAttr:
    """The `tessera.gpu_schedule` attribute that `gpu_schedule_from_attr` reads back."""
    data: dict[str, Attribute] = {}
    for key, value in schedule.to_json().items():
        if isinstance(value, bool):
            data[key] = IntegerAttr(int(value), IntegerType(1))
        elif isinstance(value, list):
            data[key] = DenseArrayBase.from_list(i64, value)
        else:
            data[key] = IntegerAttr(value, i64)
    return DictionaryAttr(data)


def _short_name(op: Operation) -> str:
    return op.name.removeprefix("linalg.")


@dataclass(frozen=True)
class LinalgToGpuPass(ModulePass):
    """Map linalg ops on memrefs to `gpu.launch` kernels (see the module docstring)."""

    name = "linalg-to-gpu"

    op: str = ""
    """The ops the schedule options apply to (`matmul`, `conv_2d_nchw_fchw`; empty: all)."""
    block: tuple[int, ...] = ()
    """The block tile of C (rows, columns)."""
    thread: tuple[int, ...] = ()
    """The register tile of C each thread computes (rows, columns)."""
    k_tile: int = 0
    """How far K advances per step."""
    stage: bool = True
    """Stage the operand tiles in shared memory."""
    threads: int = DEFAULT_THREADS
    """Threads per block of the pointwise and reduction kernels."""
    tuning_db: str = ""
    """The tuning database schedules are looked up in (empty: the default one when it exists
    and there is a GPU; "none": no lookup)."""
    vector: int = 1
    """Elements per global load when staging a contiguous f32 tile (1, 2, 4)."""
    fuse: int = 8
    """At most this many elementwise consumers of an op (bias, activation, residual add...)
    are fused into its kernel, applied to each output element before it is stored (0: none)."""

    def given(self) -> GpuSchedule | None:
        if not (self.block or self.thread or self.k_tile or not self.stage or self.vector != 1):
            return None
        default = GpuSchedule()
        return GpuSchedule(
            block=tuple(self.block) or default.block, thread=tuple(self.thread) or default.thread,
            k_tile=self.k_tile or default.k_tile, stage=self.stage, threads=self.threads,
            vector=self.vector)

    def schedule_for(self, op: Operation, g: Contraction) -> GpuSchedule:  # noqa: D102
        given = self.given()
        if given is not None and self.op in ("", _short_name(op), op.name):
            schedule = given
        elif GPU_SCHEDULE_ATTR in op.attributes:
            schedule = gpu_schedule_from_attr(op, op.attributes[GPU_SCHEDULE_ATTR])
        else:
            schedule = default_gemm_schedule(g.m, g.n)
        try:
            schedule.validate(element_bytes=g.element_bytes)
        except ScheduleError as e:
            raise TesseraError.at_op(op, f"{e.message} for '{op.name}'") from None
        return schedule

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.threads > 1024 or self.threads < 32 or self.threads % 32:
            raise TesseraError(f"linalg-to-gpu: threads={self.threads} must be a multiple of 32 "
                               "up to 1024")
        for function in [o for o in op.ops if isinstance(o, func.FuncOp)]:
            for inner in list(function.walk()):
                if isinstance(inner, LinalgStructuredOperation | linalg.ReduceOp
                              | linalg.BroadcastOp):
                    _require_buffers(inner)
            self.attach_tuned(function)
            fused: set[Operation] = set()
            for inner in list(function.body.walk()):
                if (isinstance(inner, gpu.LaunchOp) or inner.parent_op() is not function
                        or inner in fused):
                    continue
                self.for_op(inner).lower(inner, fused)

    def for_op(self, op: Operation) -> LinalgToGpuPass:
        """This pass with the `threads` of `op`'s schedule attribute, unless given."""
        if self.threads != DEFAULT_THREADS or GPU_SCHEDULE_ATTR not in op.attributes:
            return self
        threads = gpu_schedule_from_attr(op, op.attributes[GPU_SCHEDULE_ATTR]).threads
        if threads > 1024 or threads < 32 or threads % 32:
            raise TesseraError.at_op(op, f"'{GPU_SCHEDULE_ATTR}': threads={threads} must be a "
                                     "multiple of 32 up to 1024")
        return replace(self, threads=threads)

    def attach_tuned(self, function: func.FuncOp) -> None:
        """Give each tunable op of `function` without a schedule attribute the schedule the
        tuning database holds for its workload on this GPU, as its attribute."""
        from tessera.compiler.tuning.api import lookup_database

        path = lookup_database(self.tuning_db or None)
        if path is None:
            return
        from tessera.lowering.workloads import tunable, workload_key
        from tessera.targets.cuda import tuning

        target = tuning.gpu_target_key()
        if target is None:
            return
        ops = [o for o in function.body.walk() if isinstance(o, LinalgStructuredOperation)
               and GPU_SCHEDULE_ATTR not in o.attributes and tunable(o)]
        keys = [workload_key(o) for o in ops]  # all before any attribute is attached
        for inner, key in zip(ops, keys):
            schedule = tuning.tuned_gpu_schedule(key, path, target)
            if schedule is None:
                continue
            contraction = as_contraction(inner)
            try:
                schedule.validate(element_bytes=contraction.element_bytes if contraction
                                  else (4, 4))
            except ScheduleError as e:
                warnings.warn(f"tuning database {path}: the best GPU schedule of {key} is not "
                              f"legal for the op and is skipped ({e.message})", stacklevel=2)
                continue
            inner.attributes[GPU_SCHEDULE_ATTR] = gpu_schedule_to_attr(schedule)

    def chain(self, op: Operation, fused: set[Operation]) -> list[linalg.GenericOp]:
        """The elementwise consumers fused into `op`'s kernel (moving what lies between
        them above it), at most `fuse`."""
        if self.fuse <= 0:
            return []
        chain = fusable_chain(epilogue_chain(op, self.fuse, fused))
        fused.update(chain)
        hoist_between(op, chain)
        return chain

    def lower(self, op: Operation, fused: set[Operation]) -> None:
        if isinstance(op, linalg.FillOp) and _fill_absorbed_by_next(op):
            return  # the contraction after it starts its accumulators from the value
        if isinstance(op, memref.CopyOp):
            pointwise(op, self.threads)
            return
        if not isinstance(op, LinalgStructuredOperation | linalg.ReduceOp | linalg.BroadcastOp):
            return
        contraction = as_contraction(op)
        if contraction is not None:
            fill = _previous_structured(op)
            if isinstance(fill, linalg.FillOp) and fill.outputs[0] == contraction.c:
                contraction.initial = fill.inputs[0]
                fill.detach()
                fill.erase()
            schedule = self.schedule_for(op, contraction)
            epilogues = epilogues_for(op, self.chain(op, fused))
            dead = tiled_gemm(contraction, schedule, epilogues)
            erase_fused(epilogues)
            erase_buffer(dead)
            return
        generic = to_generic(op) if not isinstance(op, linalg.GenericOp) else op
        reduction = as_reduction(generic)
        if reduction is not None:
            fill = _previous_structured(generic)
            if isinstance(fill, linalg.FillOp) and fill.outputs[0] == generic.outputs[0]:
                reduction.initial = fill.inputs[0]
                fill.detach()
                fill.erase()
            epilogues = epilogues_for(generic, self.chain(generic, fused))
            block_reduction(reduction, self.threads, epilogues)
            erase_fused(epilogues)
            return
        if is_elementwise(generic):
            epilogues = epilogues_for(generic, self.chain(generic, fused))
            dead = elementwise(generic, epilogues, self.threads)
            erase_fused(epilogues)
            erase_buffer(dead)
            return
        pointwise(generic, self.threads)
