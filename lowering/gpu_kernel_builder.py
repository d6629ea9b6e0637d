"""Building GPU kernel bodies: what `linalg-to-gpu`'s kernels are written with.

`KernelBuilder` appends index arithmetic, loops (`tessera.unroll` marks the ones the CUDA
emitter unrolls), ifs, loads and stores, private and shared (`memref<..., 3>`) arrays to a
`gpu.launch` body; `new_launch` creates the launch; `apply_epilogues` runs fused elementwise
consumers on one output element; `only_feeds`/`erase_buffer` drop a temporary that fusion
left unread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import arith, gpu, memref, scf
from xdsl.dialects.builtin import (
    AnyFloat,
    FloatAttr,
    IndexType,
    IntegerAttr,
    MemRefType,
    UnitAttr,
    i64,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

from tessera.lowering.affine_forms import linear_map
from tessera.lowering.schedule_codegen import Epilogue

UNROLL_ATTR = "tessera.unroll"
WORKGROUP = IntegerAttr(3, i64)  # NVVM's shared-memory address space, as upstream MLIR spells it

_index = IndexType()

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

