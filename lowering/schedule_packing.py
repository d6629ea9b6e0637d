"""Packing for the schedule generator: operand tiles copied into contiguous buffers.

A packed input's tile is copied, at the depth the schedule names, into a buffer whose
dimensions are the loops inside that depth over the operand's dimensions, in the order they
run (BLIS's micro-panels fall out of this: B's tile inside (j0, k0) is laid out [j1][k][j]).
The buffer has the shape of the largest tile that reaches the pack; remainder tiles use a
corner of it, and their copies are guarded. Buffers live before the nest, or at the top of a
parallel loop's body so that each thread has its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass, field

from xdsl.builder import Builder, InsertPoint
from xdsl.dialects import arith, memref, scf, vector
from xdsl.dialects.builtin import IndexType, VectorType
from xdsl.ir import Block, Operation, SSAValue

from tessera.lowering.affine_forms import plain_dims

# How an access moves its lanes: one scalar; a contiguous vector; one scalar broadcast to
# every lane; lane by lane (a gather or a scatter).
SCALAR, CONTIGUOUS, BROADCAST, GATHER = range(4)

if TYPE_CHECKING:
    from tessera.lowering.schedule_codegen import DimState


@dataclass
class AllocScope:
    """Where packing buffers live: before the nest, or at the top of a parallel loop's body
    (one buffer per thread's iteration)."""

    anchor: Operation | Block
    buffers: dict[int, SSAValue] = field(default_factory=dict)

    def insertion_point(self) -> InsertPoint:
        if isinstance(self.anchor, Block):
            return InsertPoint.at_start(self.anchor)
        return InsertPoint.before(self.anchor)


class Packing:
    """The packing half of `NestGenerator` (see schedule_codegen.py for the state it uses)."""

    def pack_layout(self, operand: int, depth: int) -> list[tuple[int, int, int, int]]:
        """(level, dim, slots, step) of each loop inside `depth` over the operand's dims,
        in loop order, for the largest tile that reaches the pack point."""
        dims = plain_dims(self.maps[operand])
        assert dims is not None
        extent = {d: self.extents[d] for d in dims}
        for level, dim in self.order[:depth]:
            if dim in extent and level < self.levels:
                extent[dim] = min(extent[dim], self.sizes[level][dim])
        # The slots of each inner level follow from its parent tile in level order.
        slots: dict[tuple[int, int], tuple[int, int]] = {}
        for d in set(dims):
            parent = extent[d]
            for level in range(self.levels + 1):
                if self.position[(level, d)] < depth:
                    continue
                step = 1 if level == self.levels else min(self.sizes[level][d], parent)
                slots[(level, d)] = (-(-parent // step), step)
                parent = step
        layout = []
        for level, dim in self.order[depth:]:
            if (level, dim) in slots and slots[(level, dim)][0] > 1:
                count, step = slots[(level, dim)]
                layout.append((level, dim, count, step))
        return layout

    def pack(self, operand: int, depth: int, dims: tuple[DimState, ...]) -> None:
        layout = self.pack_layout(operand, depth)
        source = self.inputs[operand]
        element = source.type.get_element_type()
        scope = self.allocs[-1]
        if operand not in scope.buffers:
            shape = [count for _, _, count, _ in layout]
            alloc = memref.AllocOp.get(element, 64, shape)
            alloc.memref.name_hint = f"pack{operand}"
            Builder(scope.insertion_point()).insert(alloc)
            scope.buffers[operand] = alloc.memref
        buffer = scope.buffers[operand]
        plain = plain_dims(self.maps[operand]) or ()
        width = self.copy_width(layout, plain, dims)
        # The copy: one loop per buffer dimension (the last one `width` lanes at a time),
        # guarded where a tile is partial.
        outer = self.builder
        self.memo.append({})
        ivs: list[SSAValue] = []  # each buffer dimension's index
        loops: list[tuple[Block, scf.ForOp]] = []
        for position, (level, dim, count, step) in enumerate(layout):
            block = Block(arg_types=[IndexType()])
            block.args[0].name_hint = "p" + self.loop_name(level, dim).replace(".", "t")
            last = position == len(layout) - 1
            trips = count // width if last else count
            for_op = scf.ForOp(self.const(0), self.const(trips), self.const(1), [], block)
            self.builder.insert(for_op)
            self.builder = Builder(InsertPoint.at_end(block))
            ivs.append(self.linear({block.args[0]: width}, 0) if last else block.args[0])
            loops.append((block, for_op))
        # Where each dimension is in the tile, and which partial tiles need a guard.
        conds: list[SSAValue] = []
        rel: dict[int, dict[SSAValue, int]] = {}
        for d in set(plain):
            entries = [(iv, step, count) for iv, (level, dim, count, step) in zip(ivs, layout) if dim == d]
            rel[d] = {iv: step for iv, step, _ in entries}
            bound = dims[d].extent
            for j, (iv, step, count) in enumerate(entries):
                if count * step > bound:
                    inner = {iv2: s2 for iv2, s2, _ in entries[j:]}
                    conds.append(self.builder.insert(arith.CmpiOp(
                        self.linear(inner, 0), self.const(bound), "ult")).result)
                bound = step
        indices = []
        for d in plain:
            terms = dict(rel[d])
            if dims[d].base is not None:
                terms[dims[d].base] = terms.get(dims[d].base, 0) + 1
            (variant,) = dims[d].variants()  # check() forbids unrolled loops outside a pack
            indices.append(self.linear(terms, dims[d].offset(variant)))
        target = Builder(self.builder.insertion_point)
        if conds:
            cond = conds[0]
            for c in conds[1:]:
                cond = self.builder.insert(arith.AndIOp(cond, c)).result
            then = Block()
            self.builder.insert(scf.IfOp(cond, [], [then], [Block([scf.YieldOp()])]))
            target = Builder(InsertPoint.at_end(then))
        if width > 1:
            lanes = VectorType(element, [width])
            value = target.insert(vector.LoadOp(source, indices, lanes)).result
            target.insert(vector.StoreOp(value, buffer, ivs))
        else:
            value = target.insert(memref.LoadOp.get(source, indices)).res
            target.insert(memref.StoreOp.get(value, buffer, ivs))
        if conds:
            target.insert(scf.YieldOp())
        for block, _ in reversed(loops):
            Builder(InsertPoint.at_end(block)).insert(scf.YieldOp())
        self.memo.pop()
        self.builder = outer
        self.packed[operand] = (buffer, [(level, dim) for level, dim, _, _ in layout])

    def copy_width(self, layout, plain: tuple[int, ...], dims) -> int:
        """The schedule's vector width when the copy's innermost loop can move whole
        vectors: it runs along the vector dimension's point loop, which is the source's
        contiguous index, and no tile edge cuts a vector; else 1."""
        width, v = self.schedule.vector, self.vector_dim
        if width == 1 or not layout or layout[-1][:2] != (self.levels, v) \
                or not plain or plain[-1] != v or plain.count(v) != 1:
            return 1
        # Guards (partial tiles) then fall on whole vectors: every tile edge along v inside
        # the pack, and the extent that reaches it, are multiples of the width.
        edges = [dims[v].extent, layout[-1][2]] + [s for _, d, _, s in layout[:-1] if d == v]
        return width if all(edge % width == 0 for edge in edges) else 1

    def packed_access(self, layout: list[tuple[int, int]], dims, offsets, lanes):
        """Indices into a packed buffer: each loop's slot, from the variant being emitted."""
        indices = []
        for level, dim in layout:
            entry = next((e for e in dims[dim].levels if e.level == level), None)
            if entry is None:
                indices.append(self.const(0))
                continue
            # the variant constant of this level is recovered from the dimension's offset
            indices.append(self.slot(dim, level, dims, offsets))
        v = self.vector_dim
        width = lanes.get(v, 1) if v is not None else 1
        if width == 1:
            return tuple(indices), 1, SCALAR
        # Lanes vary only the point-level index of the vector dimension (a vector never
        # crosses a tile), so the access is contiguous when that index is the last one.
        if not any(dim == v for _, dim in layout):
            return tuple(indices), width, BROADCAST
        if layout[-1] == (self.levels, v):
            return tuple(indices), width, CONTIGUOUS
        return tuple(indices), width, GATHER

    def slot(self, dim: int, level: int, dims, offsets) -> SSAValue:
        state = dims[dim]
        # Decompose the dimension's constant offset back into per-level constants: the
        # levels are nested tiles, so each level's constant is offset // step within its parent.
        remaining = offsets[dim]
        consts = {}
        for entry in state.levels:
            consts[entry.level] = remaining // entry.step
            remaining -= consts[entry.level] * entry.step
        entry = next(e for e in state.levels if e.level == level)
        terms = {entry.iv: entry.mult} if entry.iv is not None else {}
        return self.linear(terms, consts[level])
