"""The vector unit's share of `linalg-to-npu`: elementwise and window-reduction generics,
and fills, as `mvin` gathers, `vector` ops and `mvout`s.

A `linalg.generic` is evaluated, not pattern-matched: the offset of every operand element
at every point of the iteration space is computed from its indexing map (floordiv and mod
included), and `targets/npu/moves.gather` turns each chunk's offsets into strided moves. So
a broadcast bias, a stride-2 pooling window and a flatten all lower the same way. The
output is visited in its own row-major order, in chunks that fit the scratchpad; for each
chunk and each point of the reduction dimensions (a pooling window), the inputs are
gathered and the body runs as vector ops, the running value (the output's block argument)
starting from the output's current contents. The body may use `addf`, `subf`, `mulf`,
`divf`, `maximumf`, `minimumf`, `negf`, `math.exp`, their integer forms (`addi`, `subi`,
`muli`, `maxsi`, `minsi`: in the accumulators on an i8 NPU) and constants (from inside or outside the
body); a constant operand is a one-element `const` DRAM buffer (`npu.const` on its
`memref.alloc`), broadcast by a zero-stride move.
"""

from __future__ import annotations

from dataclasses import replace
from math import prod

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, MemRefType
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
)

from tessera.dialects.npu import Instruction, Region, Vector
from tessera.targets.npu.moves import gather, scatter

CONST_ATTR = "npu.const"
BINARY = {"arith.addf": "add", "arith.subf": "sub", "arith.mulf": "mul", "arith.divf": "div",
          "arith.maximumf": "max", "arith.minimumf": "min",
          "arith.addi": "add", "arith.subi": "sub", "arith.muli": "mul",
          "arith.maxsi": "max", "arith.minsi": "min"}
UNARY = {"math.exp": "exp"}


class Unsupported(Exception):
    """The generic is not one the vector unit runs."""


def evaluate(expr: AffineExpr, dims: list[np.ndarray]) -> np.ndarray:
    if isinstance(expr, AffineDimExpr):
        return dims[expr.position]
    if isinstance(expr, AffineConstantExpr):
        return np.asarray(expr.value)
    if isinstance(expr, AffineBinaryOpExpr):
        lhs, rhs = evaluate(expr.lhs, dims), evaluate(expr.rhs, dims)
        kind = expr.kind
        if kind == AffineBinaryOpKind.Add:
            return lhs + rhs
        if kind == AffineBinaryOpKind.Mul:
            return lhs * rhs
        if kind == AffineBinaryOpKind.Mod:
            return np.mod(lhs, rhs)
        if kind == AffineBinaryOpKind.FloorDiv:
            return np.floor_divide(lhs, rhs)
        return -np.floor_divide(-lhs, rhs)
    raise Unsupported(f"affine expression {expr}")


def offsets(amap, shape: tuple[int, ...], dims: list[np.ndarray]) -> np.ndarray:
    """The flat row-major offset of the element `amap` indexes at every grid point."""
    strides = [prod(shape[i + 1:]) for i in range(len(shape))]
    total = np.zeros(dims[0].shape if dims else (), dtype=np.int64)
    for expr, stride in zip(amap.results, strides):
        total = total + evaluate(expr, dims).astype(np.int64) * stride
    return np.broadcast_to(total, dims[0].shape if dims else ()).copy()


class VectorLowering:
    """Emits the instructions of vector-unit ops; `const(value, type)` gives the SSA buffer of a
    one-element constant, `name(value)` a DRAM name for an SSA buffer."""

    def __init__(self, config, const, name):
        self.config, self.const, self.name = config, const, name

    def memory(self, *values: SSAValue) -> tuple[str, int]:
        """Where elements of these buffers' type live, and how many fit: the scratchpad
        holds the array's input type, the accumulators its accumulator type (the same f32
        on an f32 array; i8 and i32 on an i8 one)."""
        types = {str(v.type.get_element_type()) for v in values}
        if types == {self.config.dtype}:
            return "sp", self.config.sp_elements
        if types == {self.config.acc_dtype}:
            return "acc", self.config.acc_elements
        raise Unsupported(f"{'/'.join(sorted(types))} data on a {self.config.dtype} NPU")

    # -- fills ------------------------------------------------------------------------------

    def fill(self, op: linalg.FillOp) -> list[Instruction]:
        value = constant_value(op.inputs[0])
        if value is None:
            raise Unsupported("a fill with a value computed at run time")
        target = op.outputs[0]
        memory, capacity = self.memory(target)
        size = target.type.element_count()
        chunk = min(size, capacity)
        source = self.name(self.const(value, target.type.get_element_type()))
        out: list[Instruction] = []
        for start in range(0, size, chunk):
            n = min(chunk, size - start)
            region = Region(memory, 0, 1, n)
            out += gather(source, np.zeros(n, dtype=np.int64), region)
            out += scatter(self.name(target), np.arange(start, start + n), region)
        return out

    def requantize(self, op: linalg.GenericOp, scale: float) -> list[Instruction]:
        """An i32 buffer moved through the accumulators and out, scaled, into an i8 one:
        `mvout` requantizes on the way (round half to even, saturate)."""
        (source,), (target,) = op.inputs, op.outputs
        memory, capacity = self.memory(source)
        size = target.type.element_count()
        out: list[Instruction] = []
        for start in range(0, size, capacity):
            n = min(capacity, size - start)
            region = Region(memory, 0, 1, n)
            out += gather(self.name(source), np.arange(start, start + n), region)
            out += scatter(self.name(target), np.arange(start, start + n), region,
                           scale=scale)
        return out

    # -- generics ---------------------------------------------------------------------------

    def generic(self, op: linalg.GenericOp) -> list[Instruction]:
        maps = [m.data for m in op.indexing_maps]
        extents = list(op.get_static_loop_ranges())
        iterators = [it.data.value for it in op.iterator_types]
        out_dims = [_dim_of(e) for e in maps[-1].results]
        parallel = [d for d, it in enumerate(iterators) if it == "parallel"]
        reduction = [d for d, it in enumerate(iterators) if it == "reduction"]
        if len(op.outputs) != 1 or None in out_dims or sorted(out_dims) != parallel:
            raise Unsupported("an output not indexed by its parallel dimensions (each "
                              "plus a constant at most)")
        if not all(isinstance(v.type, MemRefType) for v in op.operands):
            raise Unsupported("operands that are not buffers")
        # grid: output dimensions (row-major order of the output), then reduction dimensions
        order = out_dims + reduction
        shape = [extents[d] for d in order]
        grids = np.meshgrid(*[np.arange(e) for e in shape], indexing="ij") if shape else []
        dims: list[np.ndarray] = [None] * len(extents)  # type: ignore[list-item]
        for axis, d in enumerate(order):
            dims[d] = grids[axis]
        points = prod(extents[d] for d in out_dims)
        windows = prod(extents[d] for d in reduction)
        table = {}
        for value, amap in zip(op.operands, maps):
            table[value] = offsets(amap, tuple(value.type.get_shape()), dims).reshape(
                points, windows)
        memory, capacity = self.memory(*op.operands)
        body = _Body(op, self, memory)
        regions = body.temporaries + len(op.inputs) + 1
        chunk = max(1, min(points, capacity // max(regions, 1)))
        out: list[Instruction] = []
        target = op.outputs[0]
        for start in range(0, points, chunk):
            n = min(chunk, points - start)
            out += body.run(table, start, n, windows, target)
        return out


def _dim_of(expr: AffineExpr) -> int | None:
    """The dimension of `d` or `d + c`, else None."""
    if isinstance(expr, AffineDimExpr):
        return expr.position
    if (isinstance(expr, AffineBinaryOpExpr) and expr.kind == AffineBinaryOpKind.Add
            and isinstance(expr.rhs, AffineConstantExpr)):
        return _dim_of(expr.lhs)
    return None


def constant_value(value: SSAValue) -> float | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, (FloatAttr,
                                                                       IntegerAttr)):
        return float(owner.value.value.data)
    return None


class _Body:
    """The generic's body as vector ops over regions of `n` elements."""

    def __init__(self, op: linalg.GenericOp, lowering: VectorLowering, memory: str):
        self.op, self.lowering, self.memory = op, lowering, memory
        block = op.body.block
        self.args = list(block.args)
        self.ops = list(block.ops)
        yielded = self.ops[-1]
        if not isinstance(yielded, linalg.YieldOp) or len(yielded.operands) != 1:
            raise Unsupported("a body that does not yield one value")
        for inner in self.ops[:-1]:
            if inner.name not in (*BINARY, *UNARY, "arith.negf", "arith.constant"):
                raise Unsupported(f"'{inner.name}' in the body")
        self.temporaries = 2 * len(self.ops) + 2  # results, negations, broadcasts

    def run(self, table, start: int, n: int, windows: int, target) -> list[Instruction]:
        lowering = self.lowering
        out: list[Instruction] = []
        slots = iter(range(1, 1 << 30))

        def region() -> Region:
            return Region(self.memory, next(slots) * n, 1, n)

        running = Region(self.memory, 0, 1, n)  # the output's block argument, across the windows
        output_arg = self.args[-1]
        if output_arg.uses:  # a reduction, or an update: start from the output's contents
            out += gather(lowering.name(target), table[target][start:start + n, 0], running)
        for w in range(windows):
            slots = iter(range(1, 1 << 30))
            values: dict[SSAValue, Region] = {output_arg: running}
            for arg, operand in zip(self.args, self.op.inputs):
                if not arg.uses:
                    continue  # a pooling window's shape operand, say
                r = region()
                out += gather(lowering.name(operand), table[operand][start:start + n, w], r)
                values[arg] = r
            for inner in self.ops[:-1]:
                if isinstance(inner, arith.ConstantOp):
                    continue
                values[inner.results[0]] = self._op(inner, values, region, out, n)
            result = values[self.ops[-1].operands[0]]
            if out and isinstance(out[-1], Vector) and out[-1].dst == result:
                out[-1] = replace(out[-1], dst=running)  # the last op writes the output
            elif result != running:
                out.append(Vector("copy", running, result))
        out += scatter(lowering.name(target), table[target][start:start + n, 0], running)
        return out

    def _operand(self, value: SSAValue, values, region, out, n) -> Region | float:
        if value in values:
            return values[value]
        constant = constant_value(value)
        if constant is None:
            raise Unsupported("a value from outside the body that is not a constant")
        return constant

    def _op(self, inner: Operation, values, region, out, n) -> Region:
        operands = [self._operand(v, values, region, out, n) for v in inner.operands]
        dst = region()
        name = inner.name
        if name == "arith.negf":
            out.append(Vector("scale", dst, self._region(operands[0], region, out, n),
                              imm=-1.0))
            return dst
        if name in UNARY:
            out.append(Vector(UNARY[name], dst, self._region(operands[0], region, out, n)))
            return dst
        if name in ("arith.subf", "arith.subi", "arith.divf") or not any(
                isinstance(o, float) for o in operands):  # not commutative: keep the order
            a, b = (self._region(o, region, out, n) for o in operands)
            out.append(Vector(BINARY[name], dst, a, b))
            return dst
        a, b = operands
        if isinstance(a, float) and not isinstance(b, float):
            a, b = b, a
        if name in ("arith.maximumf", "arith.maxsi") and b == 0.0:
            out.append(Vector("relu", dst, self._region(a, region, out, n)))
        elif name in ("arith.mulf", "arith.muli") and isinstance(b, float):
            out.append(Vector("scale", dst, self._region(a, region, out, n), imm=b))
        else:
            out.append(Vector(BINARY[name], dst, self._region(a, region, out, n),
                              self._region(b, region, out, n)))
        return dst

    def _region(self, value, region, out, n) -> Region:
        return self._broadcast(value, region, out, n) if isinstance(value, float) else value

    def _broadcast(self, value: float, region, out, n) -> Region:
        r = region()
        element = self.op.outputs[0].type.get_element_type()
        source = self.lowering.name(self.lowering.const(value, element))
        out += gather(source, np.zeros(n, dtype=np.int64), r)
        return r

