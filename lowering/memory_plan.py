"""`memory-plan`: liveness-based reuse of a function's intermediate buffers, in one arena.

After `bufferize` a function allocates each intermediate with `memref.alloc` and frees it
just before it returns, so every intermediate is live for the whole call and the function
needs the sum of their sizes at once. Most are dead long before that: LeNet-5's first
convolution output is read by the first pooling and never again. This pass gives each
function one allocation, the arena, whose size is the planned peak, and turns each
intermediate into a view of it at a byte offset (LeNet-5's `features`, lowered for C):

    %arena = memref.alloc() {alignment = 64 : i64} : memref<56472xi8>
    ...
    %313 = arith.constant 6400 : index
    %y = memref.view %arena[%313][] : memref<56472xi8> to memref<1x6x14x14xf32>

which is upstream MLIR's spelling (the C and CUDA printers print it as a typed pointer into
the arena). Buffers whose live intervals do not overlap share bytes.

What is planned: a `memref.alloc` in the function's body block (not nested in a loop or any
other region), of static shape, identity layout and the default memory space, freed (if at
all) by one `memref.dealloc` in the same block, that does not escape. A buffer escapes when
it, or a view of it (subview, cast, reshape, view), is returned, yielded, carried into a
loop, stored, passed to an op that makes a new memref or a pointer of it, or passed to a
function with no body in the module (which might keep it). A call to a function defined in
the module only uses the buffer during the call: bufferized functions write their results
into out-parameters and return nothing, so nothing can keep a pointer past the call.
Everything else is left alone.

Live intervals are over the function's top-level ops: a buffer is live from the first op
that touches it (reads, writes or passes it, through any view) to the last one, an op nested
in a loop counting as its top-level ancestor. Two buffers conflict when their intervals
share an op (so an op reading one and writing the other never finds them in the same
bytes). Placement is TensorFlow Lite's arena planner: buffers in decreasing size (ties: the
earlier first use, then program order), each at the best-fitting gap (the smallest that
fits) between the buffers already placed that it conflicts with, else after the last of
them. Offsets are multiples of 64 bytes (or of a buffer's own larger alignment), which is
also the arena's alignment, and each buffer's bytes are rounded up to that in placing them;
the arena ends where its last buffer does. The order is fixed, so the plan is deterministic.
`reuse=false` still builds the arena but gives every buffer its own bytes, in program order:
the representation without the reuse, for comparisons and for bisecting a miscompile.

The figures land on each function as `tessera.memory = {peak = P, unplanned = U, arena = A,
buffers = K}` (bytes, and the number of buffers in the arena):
- `unplanned`: the most bytes live at once if every buffer kept its own allocation, live
  from its `memref.alloc` to its `memref.dealloc` (the end of the function without one),
  exact sizes, no alignment padding. After `bufferize` (every dealloc just before the
  return) that is the sum of the function's buffers.
- `peak`: the same with the plan: the arena (live for the whole call) plus the top-level
  buffers left alone, live from their alloc to their dealloc.
Both include, at each call, the callee's own figure: the peak of a call tree is the peak of
its root. Allocations nested in regions, and those of dynamic size, are counted in neither.

`poison=true` (a test aid, for targets whose host writes its buffers, as C's does) fills
each buffer's bytes with 0xFF just before its first use and again just after its last one,
so a read outside a buffer's interval (which a wrong plan would let another buffer's data
answer) gives NaN or -1 instead of a plausible value, and results diverge.

`peak_intermediate_bytes(module)` reads these figures back (or computes them, for a module
the pass has not run on), for `tessera run` and `Program.memory_report`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, gpu, memref, scf
from xdsl.dialects.builtin import (
    AnyFloat,
    DictionaryAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    NoneAttr,
    VectorType,
    i8,
    i64,
)
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.traits import IsTerminator

from tessera.compiler.diagnostics import TesseraError

MEMORY_ATTR = "tessera.memory"
"""The function attribute holding the plan's figures."""

ALIGNMENT = 64
"""Every offset in an arena is a multiple of this (a cache line; any vector)."""

# Ops whose result is another name for (part of) the memory of their first operand.
_VIEW_LIKE = (memref.SubviewOp, memref.CastOp, memref.ReinterpretCastOp,
              memref.CollapseShapeOp, memref.ExpandShapeOp, memref.ViewOp,
              memref.MemorySpaceCastOp)
# Results of these types hold values, never an address into a buffer.
_VALUE_TYPES = (IntegerType, IndexType, AnyFloat, VectorType)


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def element_bytes(element_type) -> int | None:
    """Bytes per element, as the targets store it (`index` is 64-bit, `i1` a byte)."""
    if isinstance(element_type, IndexType):
        return 8
    if isinstance(element_type, IntegerType):
        return max(1, _round_up(element_type.width.data, 8) // 8)
    if isinstance(element_type, AnyFloat):
        return element_type.bitwidth // 8
    return None


def static_bytes(memref_type) -> int | None:
    """The bytes of a statically shaped memref, None if its size is not known here."""
    if not isinstance(memref_type, MemRefType):
        return None
    size = element_bytes(memref_type.element_type)
    shape = memref_type.get_shape()
    if size is None or any(dim < 0 for dim in shape):
        return None
    for dim in shape:
        size *= dim
    return size


# ---------------------------------------------------------------------------------------
# Liveness


@dataclass(frozen=True)
class Buffer:
    """A planned intermediate: its alloc, bytes, live interval (top-level op positions)."""

    alloc: memref.AllocOp
    size: int
    alignment: int
    first: int
    last: int
    touched: bool  # False: nothing but its dealloc uses it (its interval is its alloc)
    dealloc: memref.DeallocOp | None

    @property
    def span(self) -> int:
        """The bytes it takes in the arena (never 0, so no view points past the end)."""
        return _round_up(max(self.size, 1), self.alignment)

    def conflicts(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last


def _top_level(op: Operation, block: Block) -> Operation:
    ancestor = block.find_ancestor_op_in_block(op)
    assert ancestor is not None, "a use outside the function's body"
    return ancestor


def _touching_ops(alloc: memref.AllocOp, block: Block, defined: set[str]
                  ) -> tuple[list[Operation], list[memref.DeallocOp]] | None:
    """The top-level ops that use `alloc`'s buffer (through any view of it) and its
    deallocs; None where the buffer escapes (see the module docstring)."""
    touching: list[Operation] = []
    deallocs: list[memref.DeallocOp] = []
    pending: list[SSAValue] = [alloc.memref]
    while pending:
        value = pending.pop()
        for use in value.uses:
            user = use.operation
            if isinstance(user, memref.DeallocOp):
                if value is not alloc.memref:
                    return None  # freeing a view: not something to second-guess
                deallocs.append(user)
            elif isinstance(user, _VIEW_LIKE) and use.index == 0:
                pending.extend(user.results)
            elif user.has_trait(IsTerminator) or (
                    isinstance(user, memref.StoreOp) and use.index == 0):
                return None  # returned, yielded, branched with, or stored as a value
            elif isinstance(user, func.CallOp) and user.callee.string_value() not in defined:
                return None  # a function we cannot see might keep the pointer
            elif isinstance(user, memref.ExtractAlignedPointerAsIndexOp) or any(
                    not isinstance(r.type, _VALUE_TYPES) for r in user.results):
                return None  # a memref or pointer made of it (an scf.for carrying it, say)
            else:
                touching.append(_top_level(user, block))
    return touching, deallocs


def _plannable_type(alloc: memref.AllocOp) -> bool:
    t = alloc.memref.type
    return (isinstance(t, MemRefType) and not alloc.dynamic_sizes
            and not alloc.symbol_operands and isinstance(t.layout, NoneAttr)
            and isinstance(t.memory_space, NoneAttr) and static_bytes(t) is not None)


def _buffers(block: Block, position: dict[Operation, int], defined: set[str]) -> list[Buffer]:
    buffers = []
    for op in block.ops:
        if not isinstance(op, memref.AllocOp) or not _plannable_type(op):
            continue
        found = _touching_ops(op, block, defined)
        if found is None:
            continue
        touching, deallocs = found
        if len(deallocs) > 1 or any(d.parent_block() is not block for d in deallocs):
            continue  # freed conditionally or twice: left as it is
        places = [position[t] for t in touching] or [position[op]]
        alignment = op.alignment.value.data if op.alignment is not None else 0
        buffers.append(Buffer(op, static_bytes(op.memref.type), max(alignment, ALIGNMENT),
                              min(places), max(places), bool(touching),
                              deallocs[0] if deallocs else None))
    return buffers


# ---------------------------------------------------------------------------------------
# Placement


def place(buffers: Sequence[Buffer], reuse: bool = True) -> list[int]:
    """The byte offset of each buffer (in order) in the arena.

    With `reuse`, TFLite's greedy-by-size best fit: the largest buffer first, each at the
    smallest gap between the placed buffers it conflicts with that fits it, else after the
    last of them. Without, every buffer after the previous one, in program order.
    """
    offsets: list[int] = [0] * len(buffers)
    if not reuse:
        end = 0
        for i, buffer in enumerate(buffers):
            offsets[i] = _round_up(end, buffer.alignment)
            end = offsets[i] + buffer.span
        return offsets
    order = sorted(range(len(buffers)),
                   key=lambda i: (-buffers[i].span, buffers[i].first, i))
    placed: list[int] = []
    for i in order:
        buffer = buffers[i]
        taken = sorted((offsets[j], offsets[j] + buffers[j].span) for j in placed
                       if buffer.conflicts(buffers[j]))
        best: tuple[int, int] | None = None  # (gap, offset)
        cursor = 0
        for start, end in taken:
            candidate = _round_up(cursor, buffer.alignment)
            gap = start - candidate
            if gap >= buffer.span and (best is None or gap < best[0]):
                best = (gap, candidate)
            cursor = max(cursor, end)
        offsets[i] = best[1] if best is not None else _round_up(cursor, buffer.alignment)
        placed.append(i)
    return offsets


def arena_bytes(buffers: Sequence[Buffer], offsets: Sequence[int]) -> int:
    """The arena's size: up to the end of its last buffer (no padding after it)."""
    return max((o + max(b.size, 1) for b, o in zip(buffers, offsets)), default=0)


def buffers_sharing_bytes(plan: FunctionPlan) -> Iterable[tuple[Buffer, Buffer]]:
    """Pairs of planned buffers whose bytes overlap (each pair once): what the plan reuses."""
    items = list(zip(plan.buffers, plan.offsets))
    for i, (a, offset_a) in enumerate(items):
        for b, offset_b in items[i + 1:]:
            if offset_a < offset_b + b.span and offset_b < offset_a + a.span:
                yield a, b


# ---------------------------------------------------------------------------------------
# Figures


@dataclass(frozen=True)
class FunctionMemory:
    """A function's intermediate memory in bytes, callees included (see the docstring)."""

    name: str
    peak: int
    unplanned: int
    arena: int
    buffers: int

    def attribute(self) -> DictionaryAttr:
        return DictionaryAttr({key: IntegerAttr(getattr(self, key), i64)
                               for key in ("peak", "unplanned", "arena", "buffers")})

    @staticmethod
    def of(op: func.FuncOp) -> FunctionMemory | None:
        attr = op.attributes.get(MEMORY_ATTR)
        if not isinstance(attr, DictionaryAttr):
            return None
        fields = {key: value.value.data for key, value in attr.data.items()
                  if isinstance(value, IntegerAttr)}
        if set(fields) != {"peak", "unplanned", "arena", "buffers"}:
            raise TesseraError.at_op(op, f"memory-plan: malformed {MEMORY_ATTR} = {attr}")
        return FunctionMemory(op.sym_name.data, **fields)


@dataclass(frozen=True)
class FunctionPlan:
    """What the pass does to one function: its buffers, their offsets, its figures."""

    buffers: tuple[Buffer, ...]
    offsets: tuple[int, ...]
    memory: FunctionMemory


def _callee_peaks(op: Operation, figures: dict[str, FunctionMemory]) -> tuple[int, int]:
    """(planned, unplanned) peak of the costliest function called within `op`."""
    planned = unplanned = 0
    for nested in op.walk():
        if isinstance(nested, func.CallOp):
            callee = figures.get(nested.callee.string_value())
            if callee is not None:
                planned = max(planned, callee.peak)
                unplanned = max(unplanned, callee.unplanned)
    return planned, unplanned


def plan_function(op: func.FuncOp, figures: dict[str, FunctionMemory], defined: set[str],
                  reuse: bool = True) -> FunctionPlan:
    """The plan of `op` (not applied); `figures` holds those of the functions it calls."""
    blocks = list(op.body.blocks)
    name = op.sym_name.data
    if len(blocks) != 1:
        # Unstructured control flow: nothing planned; every static alloc counts throughout.
        total = sum(static_bytes(a.memref.type) or 0 for a in op.walk()
                    if isinstance(a, memref.AllocOp) and a.parent_op() is op)
        planned, unplanned = _callee_peaks(op, figures)
        return FunctionPlan((), (), FunctionMemory(name, total + planned, total + unplanned,
                                                   0, 0))
    block = blocks[0]
    ops = list(block.ops)
    position = {o: i for i, o in enumerate(ops)}
    buffers = _buffers(block, position, defined)
    offsets = place(buffers, reuse)
    arena = arena_bytes(buffers, offsets)
    planned_allocs = {b.alloc for b in buffers}
    # Every top-level static buffer as if it had its own allocation: [alloc, dealloc).
    intervals = []  # (start, end, bytes, planned)
    for alloc in ops:
        size = static_bytes(alloc.memref.type) if isinstance(alloc, memref.AllocOp) else None
        if size is None:
            continue
        frees = [u.operation for u in alloc.memref.uses
                 if isinstance(u.operation, memref.DeallocOp)
                 and u.operation.parent_block() is block]
        end = min((position[d] for d in frees), default=len(ops))
        intervals.append((position[alloc], end, size, alloc in planned_allocs))
    peak = unplanned = 0
    for i, top in enumerate(ops):
        live = [(size, planned) for start, end, size, planned in intervals if start <= i < end]
        callee_planned, callee_unplanned = _callee_peaks(top, figures)
        unplanned = max(unplanned, sum(size for size, _ in live) + callee_unplanned)
        peak = max(peak, sum(size for size, planned in live if not planned) + callee_planned)
    memory = FunctionMemory(name, arena + peak, unplanned, arena, len(buffers))
    return FunctionPlan(tuple(buffers), tuple(offsets), memory)


def functions_callees_first(module: ModuleOp) -> list[func.FuncOp]:
    """The module's defined functions, each after every function it calls."""
    functions = {op.sym_name.data: op for op in module.ops
                 if isinstance(op, func.FuncOp) and not op.is_declaration}
    order: list[func.FuncOp] = []
    state: dict[str, str] = {}

    def visit(fn: func.FuncOp) -> None:
        state[fn.sym_name.data] = "open"
        for call in fn.walk():
            if not isinstance(call, func.CallOp):
                continue
            callee = call.callee.string_value()
            if state.get(callee) == "open":
                raise TesseraError.at_op(call, f"memory-plan: @{callee} is called recursively: "
                                         "its peak memory has no bound")
            if callee in functions and callee not in state:
                visit(functions[callee])
        state[fn.sym_name.data] = "done"
        order.append(fn)

    for fn in functions.values():
        if fn.sym_name.data not in state:
            visit(fn)
    return order


@dataclass(frozen=True)
class MemoryReport:
    """Peak intermediate memory in bytes: with the plan, and with every buffer its own."""

    planned: int
    unplanned: int
    functions: dict[str, FunctionMemory]

    def format(self) -> str:
        return (f"peak intermediate memory: {format_bytes(self.planned)} (planned), "
                f"{format_bytes(self.unplanned)} without reuse")


def format_bytes(count: int) -> str:
    """`count` bytes for people: `812 B`, `12.3 KiB`, `4.0 MiB`."""
    if count < 1024:
        return f"{count} B"
    for unit in ("KiB", "MiB", "GiB"):
        count /= 1024
        if count < 1024 or unit == "GiB":
            return f"{count:.1f} {unit}"
    raise AssertionError("unreachable")


def module_figures(module: ModuleOp, reuse: bool = True) -> dict[str, FunctionMemory]:
    """Each function's figures: from its `tessera.memory` where the pass ran, else what the
    pass would record."""
    figures: dict[str, FunctionMemory] = {}
    functions = functions_callees_first(module)
    defined = {fn.sym_name.data for fn in functions}
    for fn in functions:
        figures[fn.sym_name.data] = (FunctionMemory.of(fn)
                                     or plan_function(fn, figures, defined, reuse).memory)
    return figures


def peak_intermediate_bytes(module: ModuleOp, entry: str | None = None) -> MemoryReport:
    """The peak intermediate memory of `entry` (callees included) or, without one, the
    largest of the module's functions: planned (`memory-plan`'s arena and what it leaves
    alone) and unplanned (every buffer its own allocation, alloc to dealloc). A module the
    pass has not run on is planned here, without being changed."""
    figures = module_figures(module)
    if entry is not None:
        if entry not in figures:
            raise TesseraError(f"memory report: no function @{entry} in the module")
        chosen = [figures[entry]]
    else:
        chosen = list(figures.values())
    return MemoryReport(max((f.peak for f in chosen), default=0),
                        max((f.unplanned for f in chosen), default=0), figures)


# ---------------------------------------------------------------------------------------
# Rewriting


def _index(value: int) -> arith.ConstantOp:
    return arith.ConstantOp(IntegerAttr(value, IndexType()))


def _fill_poison(arena: SSAValue, start: int, end: int, constants: tuple[SSAValue, SSAValue],
                 where: InsertPoint) -> None:
    """Stores 0xFF into bytes [start, end) of the arena at `where`; `constants` are the
    step (1) and the byte (-1)."""
    one, poison = constants
    lower, upper = _index(start), _index(end)
    body = Block(arg_types=[IndexType()])
    body.add_ops([memref.StoreOp.get(poison, arena, [body.args[0]]), scf.YieldOp()])
    Rewriter.insert_op([lower, upper, scf.ForOp(lower, upper, one, [], body)], where)


def apply_plan(op: func.FuncOp, plan: FunctionPlan, poison: bool = False) -> None:
    """Rewrite `op` after `plan`: one arena, a view per planned buffer, its figures."""
    if poison and plan.buffers:
        launch = next((o for o in op.walk() if isinstance(o, gpu.LaunchFuncOp)), None)
        if launch is not None:
            raise TesseraError.at_op(launch, "memory-plan: poison=true fills buffers with "
                                     "host stores, which device buffers cannot take")
    op.attributes[MEMORY_ATTR] = plan.memory.attribute()
    if not plan.buffers:
        return
    block = op.body.block
    ops = list(block.ops)
    alignment = max(b.alignment for b in plan.buffers)
    arena_op = memref.AllocOp.get(i8, alignment, [plan.memory.arena])
    arena_op.memref.name_hint = "arena"
    Rewriter.insert_op(arena_op, InsertPoint.at_start(block))
    arena = arena_op.memref
    if poison:
        one, byte = _index(1), arith.ConstantOp(IntegerAttr(-1, i8))
        Rewriter.insert_op([one, byte], InsertPoint.after(arena_op))
        constants = (one.result, byte.result)
        for buffer, offset in zip(plan.buffers, plan.offsets):
            if buffer.touched:
                end = offset + buffer.size
                _fill_poison(arena, offset, end, constants, InsertPoint.before(ops[buffer.first]))
                _fill_poison(arena, offset, end, constants, InsertPoint.after(ops[buffer.last]))
    for buffer, offset in zip(plan.buffers, plan.offsets):
        alloc = buffer.alloc
        shift = _index(offset)
        view = memref.ViewOp(arena, shift, [], alloc.memref.type)
        shift.location = view.location = alloc.location
        Rewriter.insert_op([shift, view], InsertPoint.before(alloc))
        view.result.name_hint = alloc.memref.name_hint
        alloc.memref.replace_all_uses_with(view.result)
        Rewriter.erase_op(alloc)
        if buffer.dealloc is not None:
            Rewriter.erase_op(buffer.dealloc)
    free = memref.DeallocOp.get(arena)
    terminator = block.last_op
    assert terminator is not None and terminator.has_trait(IsTerminator)
    free.location = terminator.location
    Rewriter.insert_op(free, InsertPoint.before(terminator))


@dataclass(frozen=True)
class MemoryPlanPass(ModulePass):
    """Pack each function's intermediate buffers into one arena by liveness (see above).

    `reuse=false`: every buffer keeps bytes of its own (the figures are still recorded).
    `poison=true`: fill each buffer with 0xFF before its first use and after its last (a
    test aid for host-memory targets). A function that already carries `tessera.memory` has
    been planned and is left as it is.
    """

    name = "memory-plan"

    reuse: bool = True
    poison: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        figures: dict[str, FunctionMemory] = {}
        functions = functions_callees_first(op)
        defined = {fn.sym_name.data for fn in functions}
        for fn in functions:
            known = FunctionMemory.of(fn)
            if known is None:
                plan = plan_function(fn, figures, defined, self.reuse)
                apply_plan(fn, plan, self.poison)
                known = plan.memory
            figures[fn.sym_name.data] = known

