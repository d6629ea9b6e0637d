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
from dataclasses import dataclass, replace

from xdsl.context import Context
from xdsl.dialects import arith, func, gpu, memref
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DictionaryAttr,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    i64,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Attribute, Operation
from xdsl.passes import ModulePass

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.gpu_schedule import GpuSchedule, default_gemm_schedule
from tessera.compiler.schedule import ScheduleError
from tessera.lowering.gpu_gemm import Contraction, as_contraction, tiled_gemm
from tessera.lowering.gpu_kernel_builder import erase_buffer
from tessera.lowering.gpu_kernels import (
    as_reduction,
    block_reduction,
    elementwise,
    fusable_chain,
    is_elementwise,
    pointwise,
)
from tessera.lowering.linalg_to_loops import _require_buffers
from tessera.lowering.schedule import (
    epilogue_chain,
    epilogues_for,
    erase_fused,
    hoist_between,
    to_generic,
)

GPU_SCHEDULE_ATTR = "tessera.gpu_schedule"
DEFAULT_THREADS = 256  # threads a block of the pointwise and reduction kernels


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
