"""The loop nest of one `linalg.generic` on memrefs, generated as a schedule says.

The generator walks the schedule's loop order outside in, like Halide's lowering: each loop
either becomes an `scf.for` or, when it has one iteration or is unrolled completely, no loop
at all. Every extent is a compile-time constant (shapes are static), so a tile size that does
not divide its extent splits the code into the full tiles and one smaller remainder tile, and
everything inside both is again constant: unrolling and vectorization never need a dynamic
trip count, and a remainder never needs a guard.

What each dimension's index is at a point of the nest is tracked as `base + Σ c·step`: `base`
an SSA index that loops add to, and one constant per level, which unrolled (and vectorized)
loops turn into several variants. The innermost body is emitted once per combination of
variants, which is unroll-and-jam.

Outputs are accumulated in SSA values, not memory, within an *accumulator scope*: the
innermost body, or — when every parallel loop inside a reduction loop is unrolled completely
(a register tile) — that reduction loop, whose iterations then carry the accumulators as
`iter_args`. A scope loads each output element once and stores it once, at its end; the
stores are final when every reduction loop outside the scope is in its last iteration, and
that is where fused elementwise consumers (the epilogue) are applied.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

from xdsl.builder import Builder, InsertPoint
from xdsl.dialects import arith, memref, scf, vector
from xdsl.dialects.builtin import (
    IndexType,
    IntegerAttr,
    MemRefType,
    UnitAttr,
    VectorType,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Block, SSAValue
from xdsl.ir.affine import AffineMap
from tessera.compiler.schedule import Schedule, ScheduleError, loop_name
from tessera.lowering.affine_forms import linear_map
from tessera.lowering.schedule_packing import (
    BROADCAST,
    CONTIGUOUS,
    GATHER,
    SCALAR,
    AllocScope,
    Packing,
)

PARALLEL_ATTR = "tessera.parallel"
# Accumulators beyond this many stay in memory: a register tile has a few dozen.
MAX_ACCUMULATORS = 64


# -- what the generator knows about each dimension ----------------------------------------


@dataclass(frozen=True)
class LevelIndex:
    """One level's contribution to a dimension's index: (iv · mult + c) · step, c in consts."""

    level: int
    iv: SSAValue | None
    mult: int
    consts: tuple[int, ...]
    step: int


@dataclass(frozen=True)
class DimState:
    extent: int  # of the tile the next level of this dimension splits
    base: SSAValue | None = None
    levels: tuple[LevelIndex, ...] = ()
    lanes: int = 1  # vector lanes, for the vectorized dimension

    def variants(self) -> list[tuple[int, ...]]:
        """Each combination of per-level constants (the unrolled copies)."""
        return list(itertools.product(*(level.consts for level in self.levels)))

    def offset(self, variant: tuple[int, ...]) -> int:
        return sum(c * level.step for c, level in zip(variant, self.levels))


@dataclass
class Epilogue:
    """A fused elementwise consumer, its maps rewritten over the producer's dimensions."""

    op: linalg.GenericOp
    source: int  # which input reads the producer's (or previous consumer's) output
    maps: list[AffineMap]
    store: bool  # False when the consumer's output is read by nothing else


@dataclass
class AccScope:
    """Output elements held in SSA values; stored when the scope ends."""

    final: list[SSAValue | bool]  # last-iteration conditions of the reduction loops outside
    values: dict[tuple, SSAValue] = field(default_factory=dict)
    where: dict[tuple, tuple[int, tuple[SSAValue, ...], int]] = field(default_factory=dict)


# -- the generator ------------------------------------------------------------------------


class NestGenerator(Packing):
    def __init__(self, op: linalg.GenericOp, schedule: Schedule, epilogues: list[Epilogue],
                 op_name: str):
        self.op = op
        self.schedule = schedule
        self.epilogues = epilogues
        self.op_name = op_name
        self.maps = [m.data for m in op.indexing_maps]
        self.n = self.maps[0].num_dims
        self.extents = op.get_static_loop_ranges()
        self.reductions = {
            d for d, it in enumerate(op.iterator_types) if it.data.value == "reduction"
        }
        self.levels = schedule.levels
        self.sizes = [list(level) for level in schedule.tiles] + [[1] * self.n]
        self.order = [divmod(loop, self.n) for loop in schedule.loop_order(self.n)]
        self.position = {loop: i for i, loop in enumerate(self.order)}
        self.unroll = {divmod(loop, self.n): factor for loop, factor in schedule.unroll}
        self.parallel = divmod(schedule.parallel, self.n) if schedule.parallel is not None else None
        self.vector_dim = self.order[-1][1] if schedule.vector > 1 else None
        self.packs: dict[int, list[int]] = {}
        for operand, depth in schedule.pack:
            self.packs.setdefault(depth, []).append(operand)
        self.pack_depth = {operand: depth for operand, depth in schedule.pack}
        self.inputs = list(op.inputs)
        self.outputs = list(op.outputs)
        self.forms = [linear_map(m) for m in self.maps]
        self.body = op.body.block
        self.memo: list[dict] = []
        self.acc: AccScope | None = None
        self.allocs: list[AllocScope] = []
        self.final: list[SSAValue | bool] = []
        self.packed: dict[int, tuple[SSAValue, list[tuple[int, int]]]] = {}
        # Loads shared by the unrolled copies of one body (an A element feeds every vector of
        # a register-tile row); reset per body, since stores and packs happen in between.
        self.loads: dict[tuple, SSAValue] = {}
        self.builder: Builder
        self.check()

    def fail(self, step: str, message: str) -> None:
        raise ScheduleError(f"schedule of '{self.op_name}': {step}: {message}")

    def loop_name(self, level: int, dim: int) -> str:
        return loop_name(level * self.n + dim, self.n, self.levels)

    def check(self) -> None:
        """What only the op's body can tell (the schedule itself was validated)."""
        if self.vector_dim is not None:
            uses_index = any(isinstance(o, linalg.IndexOp) and o.dim.value.data == self.vector_dim
                             for o in self.body.ops)
            if uses_index:
                self.fail("vectorize", f"the body reads the index of d{self.vector_dim}")

    # -- entry --------------------------------------------------------------------------

    def generate(self) -> None:
        self.builder = Builder(InsertPoint.before(self.op))
        # The nest goes in front of the op; constants and the nest's buffers in front of
        # the first constant, so that they dominate every region of the nest.
        self.front = self.builder.insert(arith.ConstantOp(IntegerAttr(0, IndexType())))
        self.memo.append({("const", 0): self.front.result})
        self.allocs.append(AllocScope(self.front))
        dims = tuple(DimState(extent) for extent in self.extents)
        self.emit(0, dims)
        self.free(self.allocs.pop())
        self.memo.pop()

    def free(self, scope: AllocScope) -> None:
        for buffer in scope.buffers.values():
            self.builder.insert(memref.DeallocOp.get(buffer))

    # -- SSA helpers, memoized per region -------------------------------------------------

    def cached(self, key: tuple, make) -> SSAValue:
        for frame in reversed(self.memo):
            if key in frame:
                return frame[key]
        value = make()
        self.memo[-1][key] = value
        return value

    def const(self, value: int) -> SSAValue:
        """Index constants live in front of the nest, so every region can use them."""
        key = ("const", value)
        if key not in self.memo[0]:
            op = arith.ConstantOp(IntegerAttr(value, IndexType()))
            Builder(InsertPoint.before(self.front)).insert(op)
            self.memo[0][key] = op.result
        return self.memo[0][key]

    def linear(self, terms: dict[SSAValue, int], constant: int) -> SSAValue:
        """Σ coeff·value + constant as index arithmetic."""
        terms = {v: c for v, c in terms.items() if c}
        key = ("linear", frozenset(terms.items()), constant)

        def make() -> SSAValue:
            total: SSAValue | None = None
            for value, coeff in terms.items():  # insertion order: deterministic output
                term = value if coeff == 1 else self.builder.insert(
                    arith.MuliOp(value, self.const(coeff))).result
                total = term if total is None else self.builder.insert(
                    arith.AddiOp(total, term)).result
            if total is None:
                return self.const(constant)
            if constant:
                total = self.builder.insert(arith.AddiOp(total, self.const(constant))).result
            return total

        return self.cached(key, make)

    # -- the loop nest ------------------------------------------------------------------

    def emit(self, pos: int, dims: tuple[DimState, ...]) -> None:
        for operand in self.packs.get(pos, ()):
            self.pack(operand, pos, dims)
        if pos == len(self.order):
            self.innermost(dims)
            return
        level, dim = self.order[pos]
        state = dims[dim]
        width = self.schedule.vector
        step, vectorized = self.step(pos, level, dim, state.extent)
        count, rem = divmod(state.extent, step)
        unroll = max(1, min(self.unroll.get((level, dim), 1), count)) if count else 1
        groups, leftover = divmod(count, unroll)
        # A vector loop's slots are counted in elements (packed layouts are element-wise at
        # the point level), so its constants and multiplier are multiples of the width.
        unit, entry_step = (width, 1) if vectorized else (1, step)
        child_extent = 1 if vectorized else step
        lanes = width if vectorized else 1
        reduction = dim in self.reductions
        opened_scope = False
        if reduction and self.acc is None and (groups > 1 or leftover or rem) \
                and self.flat_below(pos, dims):
            opened_scope = True
            self.open_scope(pos, dims)

        def child(iv, mult, consts, extent, lanes_) -> tuple[DimState, ...]:
            entry = LevelIndex(level, iv, mult, consts, entry_step)
            base = state.base if iv is None else self.add_scaled(state.base, iv, mult * entry_step)
            new = replace(state, extent=extent, base=base, levels=(*state.levels, entry),
                          lanes=lanes_)
            return (*dims[:dim], new, *dims[dim + 1:])

        pieces: list[tuple[str, int, int]] = []  # (kind, first slot, slots), in order
        if groups > 1:
            pieces.append(("loop", 0, unroll))
        elif groups == 1:
            pieces.append(("flat", 0, unroll))
        if leftover:
            pieces.append(("flat", groups * unroll, leftover))
        if rem:
            pieces.append(("rem", count, 1))
        for index, (kind, first, slots) in enumerate(pieces):
            last_piece = index == len(pieces) - 1
            if kind == "loop":
                consts = tuple(j * unit for j in range(slots))
                self.loop(level, dim, groups, reduction, last_piece,
                          lambda iv: self.emit(pos + 1, child(
                              iv, slots * unit, consts, child_extent, lanes)))
                continue
            if kind == "rem" and vectorized:  # the scalar tail of a vector loop
                inner = child(None, 1, tuple(count * width + j for j in range(rem)), 1, 1)
            elif kind == "rem":
                inner = child(None, 1, (count,), rem, 1)
            else:
                inner = child(None, 1, tuple((first + j) * unit for j in range(slots)),
                              child_extent, lanes)
            if reduction:
                self.final.append(last_piece)
            self.emit(pos + 1, inner)
            if reduction:
                self.final.pop()
        if opened_scope:
            self.close_scope()

    def add_scaled(self, base: SSAValue | None, iv: SSAValue, factor: int) -> SSAValue:
        terms = {base: 1} if base is not None else {}
        terms[iv] = terms.get(iv, 0) + factor
        return self.linear(terms, 0)

    def loop(self, level: int, dim: int, trips: int, reduction: bool,
             last_piece: bool, body) -> None:
        carried = list(self.acc.values.items()) if self.acc is not None else []
        block = Block(arg_types=[IndexType(), *(v.type for _, v in carried)])
        iv = block.args[0]
        iv.name_hint = self.loop_name(level, dim).replace(".", "t")
        outer_builder = self.builder
        self.builder = Builder(InsertPoint.at_end(block))
        self.memo.append({})
        if carried:
            for (key, _), arg in zip(carried, block.args[1:]):
                self.acc.values[key] = arg
        is_parallel = self.parallel == (level, dim)
        if is_parallel:
            self.allocs.append(AllocScope(block))
        if reduction:
            last = last_piece and bool(self.epilogues)
            self.final.append(self.builder.insert(arith.CmpiOp(
                iv, self.const(trips - 1), "eq")).result if last else last_piece)
        body(iv)
        if reduction:
            self.final.pop()
        if is_parallel:
            self.free(self.allocs.pop())
        self.builder.insert(scf.YieldOp(*(self.acc.values[k] for k, _ in carried)))
        self.memo.pop()
        self.builder = outer_builder
        for_op = scf.ForOp(self.const(0), self.const(trips), self.const(1),
                           [v for _, v in carried], block)
        if is_parallel:
            for_op.attributes[PARALLEL_ATTR] = UnitAttr()
        self.builder.insert(for_op)
        for (key, _), result in zip(carried, for_op.results):
            self.acc.values[key] = result

    # -- register tiles -------------------------------------------------------------------

    def step(self, pos: int, level: int, dim: int, extent: int) -> tuple[int, bool]:
        """(elements per iteration, vectorized) of the loop at `pos` over a tile of `extent`."""
        if pos == len(self.order) - 1 and self.vector_dim is not None:
            return self.schedule.vector, True
        return min(self.sizes[level][dim], extent), False

    def parallel_loops_below(self, pos: int, dims: tuple[DimState, ...]):
        """(level, dim, extent, step, vectorized) of each parallel-dimension loop inside `pos`,
        the extent being that of the largest tile that reaches it."""
        extents = [d.extent for d in dims]
        for p in range(pos + 1, len(self.order)):
            level, dim = self.order[p]
            if dim in self.reductions:
                continue
            step, vectorized = self.step(p, level, dim, extents[dim])
            yield level, dim, extents[dim], step, vectorized
            extents[dim] = 1 if vectorized else step

    def flat_below(self, pos: int, dims: tuple[DimState, ...]) -> bool:
        """Whether every parallel loop inside position `pos` is unrolled away (no scf.for,
        no remainder), so the output elements touched inside are fixed."""
        for level, dim, extent, step, _ in self.parallel_loops_below(pos, dims):
            count, rem = divmod(extent, step)
            if rem or count > self.unroll.get((level, dim), 1):
                return False
        if any(self.packs.get(p) for p in range(pos + 1, len(self.order) + 1)):
            return False  # a pack inside would run inside the accumulator loop
        return self.accumulator_count(pos, dims) <= MAX_ACCUMULATORS

    def inner_variants(self, pos: int, dims: tuple[DimState, ...]) -> list[list[tuple[int, int]]]:
        """Per dimension: the (offset, lanes) of each index the flat loops inside `pos` add."""
        result = [[(d.offset(v), d.lanes) for v in d.variants()] for d in dims]
        for _, dim, extent, step, vectorized in self.parallel_loops_below(pos, dims):
            result[dim] = [(o + j * step, step if vectorized else lanes)
                           for o, lanes in result[dim] for j in range(extent // step)]
        return result

    def output_dims(self, out: int) -> list[int]:
        """The dimensions output `out` is indexed by."""
        form = self.forms[len(self.inputs) + out]
        return sorted({d for f in form for d, c in enumerate(f[0]) if c})

    def accumulator_count(self, pos: int, dims: tuple[DimState, ...]) -> int:
        variants = self.inner_variants(pos, dims)
        total = 0
        for out in range(len(self.outputs)):
            count = 1
            for d in self.output_dims(out):
                count *= len(variants[d])
            total += count * (1 + len(self.epilogues))
        return total

    def open_scope(self, pos: int, dims: tuple[DimState, ...]) -> None:
        self.acc = AccScope(final=list(self.final))
        variants = self.inner_variants(pos, dims)
        for out in range(len(self.outputs)):
            operand = len(self.inputs) + out
            if not self.body.args[operand].uses:
                continue
            used = self.output_dims(out)
            for combo in itertools.product(*(variants[d] for d in used)):
                offsets = {d: variants[d][0][0] for d in range(self.n)}
                lanes = {d: variants[d][0][1] for d in range(self.n)}
                offsets.update({d: o for d, (o, _) in zip(used, combo)})
                lanes.update({d: l for d, (_, l) in zip(used, combo)})
                self.read_output(out, dims, offsets, lanes)

    def close_scope(self) -> None:
        scope, self.acc = self.acc, None
        self.store_outputs(scope)

    # -- the innermost body ---------------------------------------------------------------

    def innermost(self, dims: tuple[DimState, ...]) -> None:
        own = self.acc is None
        if own:
            self.acc = AccScope(final=list(self.final))
        self.loads = {}
        per_dim = [d.variants() for d in dims]
        for combo in itertools.product(*per_dim):
            offsets = {d: dims[d].offset(v) for d, v in enumerate(combo)}
            lanes = {d: dims[d].lanes for d in range(self.n)}
            self.body_instance(dims, offsets, lanes)
        if own:
            scope, self.acc = self.acc, None
            self.store_outputs(scope)

    def index_terms(self, form: tuple[list[int], int], dims, offsets) -> tuple[dict, int]:
        coeffs, constant = form
        terms: dict[SSAValue, int] = {}
        for d, c in enumerate(coeffs):
            if not c:
                continue
            constant += c * offsets[d]
            base = dims[d].base
            if base is not None:
                terms[base] = terms.get(base, 0) + c
        return terms, constant

    def vector_role(self, forms, lanes: dict[int, int]) -> tuple[int, int]:
        """(lanes, how the lanes are accessed: SCALAR, CONTIGUOUS, BROADCAST or GATHER)."""
        v = self.vector_dim
        if v is None or lanes.get(v, 1) == 1:
            return 1, SCALAR
        width = lanes[v]
        uses = [form[0][v] for form in forms]
        if not any(uses):
            return width, BROADCAST
        if uses[-1] == 1 and not any(uses[:-1]):
            return width, CONTIGUOUS
        return width, GATHER

    def access(self, buffer: SSAValue, forms, dims, offsets, lanes,
               packed: list[tuple[int, int]] | None = None) -> tuple[tuple[SSAValue, ...], int, int]:
        """Indices of an element access, its lanes and vector kind."""
        if packed is not None:
            return self.packed_access(packed, dims, offsets, lanes)
        indices = tuple(self.linear(*self.index_terms(form, dims, offsets)) for form in forms)
        width, how = self.vector_role(forms, lanes)
        return indices, width, how

    def load(self, buffer: SSAValue, forms, dims, offsets, lanes,
             packed=None, cache: bool = True) -> SSAValue:
        indices, width, how = self.access(buffer, forms, dims, offsets, lanes, packed)
        element = buffer.type.get_element_type()
        key = (buffer, indices, width, how)
        if key in self.loads:
            return self.loads[key]

        if how == CONTIGUOUS:
            value = self.builder.insert(
                vector.LoadOp(buffer, indices, VectorType(element, [width]))).result
        elif how == GATHER:
            value = self.gather(buffer, forms, dims, offsets, lanes, packed, width)
        else:
            value = self.builder.insert(memref.LoadOp.get(buffer, indices)).res
            if how == BROADCAST:
                value = self.builder.insert(
                    vector.BroadcastOp(value, VectorType(element, [width]))).vector
        if cache:
            self.loads[key] = value
        return value

    def lane_offsets(self, offsets: dict[int, int], lane: int) -> dict[int, int]:
        shifted = dict(offsets)
        shifted[self.vector_dim] = offsets[self.vector_dim] + lane
        return shifted

    def gather(self, buffer, forms, dims, offsets, lanes, packed, width) -> SSAValue:
        element = buffer.type.get_element_type()
        scalar_lanes = {d: 1 for d in lanes}
        result: SSAValue | None = None
        for lane in range(width):
            indices, _, _ = self.access(buffer, forms, dims, self.lane_offsets(offsets, lane),
                                        scalar_lanes, packed)
            scalar = self.builder.insert(memref.LoadOp.get(buffer, indices)).res
            if result is None:
                result = self.builder.insert(
                    vector.BroadcastOp(scalar, VectorType(element, [width]))).vector
            else:
                result = self.builder.insert(vector.InsertOp(scalar, result, [lane])).result
        assert result is not None
        return result

    def store(self, value: SSAValue, buffer: SSAValue, indices, how: int,
              forms, dims, offsets) -> None:
        if how == SCALAR:
            self.builder.insert(memref.StoreOp.get(value, buffer, indices))
        elif how == CONTIGUOUS:
            self.builder.insert(vector.StoreOp(value, buffer, indices))
        else:  # a scatter (or a broadcast dimension: the last lane wins), lane by lane
            width = value.type.get_shape()[0]
            scalar_lanes = {d: 1 for d in range(self.n)}
            for lane in range(width):
                lane_indices, _, _ = self.access(buffer, forms, dims,
                                                 self.lane_offsets(offsets, lane), scalar_lanes)
                scalar = self.builder.insert(
                    vector.ExtractOp(value, [lane], buffer.type.get_element_type())).result
                self.builder.insert(memref.StoreOp.get(scalar, buffer, lane_indices))

    def output_key(self, out: int, dims, offsets, lanes) -> tuple:
        operand = len(self.inputs) + out
        indices, width, how = self.access(self.outputs[out], self.forms[operand], dims, offsets, lanes)
        return ("out", out, indices, width)

    def read_output(self, out: int, dims, offsets, lanes) -> SSAValue:
        operand = len(self.inputs) + out
        buffer = self.outputs[out]
        key = self.output_key(out, dims, offsets, lanes)
        assert self.acc is not None
        if key not in self.acc.values:
            self.acc.values[key] = self.load(buffer, self.forms[operand], dims, offsets, lanes,
                                             cache=False)
            self.acc.where[key] = (out, dims, offsets, lanes)  # type: ignore[assignment]
        return self.acc.values[key]

    def body_instance(self, dims, offsets, lanes) -> None:
        values: dict[SSAValue, SSAValue] = {}
        for i, buffer in enumerate(self.inputs):
            arg = self.body.args[i]
            if not arg.uses:
                continue
            if not isinstance(buffer.type, MemRefType):  # a scalar operand (linalg.fill)
                values[arg] = buffer
                continue
            packed = self.packed.get(i)
            if packed is not None:
                values[arg] = self.load(packed[0], None, dims, offsets, lanes, packed[1])
            else:
                values[arg] = self.load(buffer, self.forms[i], dims, offsets, lanes)
        for out in range(len(self.outputs)):
            arg = self.body.args[len(self.inputs) + out]
            if arg.uses:
                values[arg] = self.read_output(out, dims, offsets, lanes)
        results = self.clone_body(self.body, values, dims, offsets)
        for out, value in enumerate(results):
            key = self.output_key(out, dims, offsets, lanes)
            width = key[3]
            if width > 1 and not isinstance(value.type, VectorType):
                value = self.broadcast(value, width)
            self.acc.values[key] = value
            self.acc.where[key] = (out, dims, offsets, lanes)  # type: ignore[assignment]

    def clone_body(self, block: Block, values: dict[SSAValue, SSAValue], dims, offsets) -> list[SSAValue]:
        """The scalar body, on vectors where an operand is a vector; returns the yields."""
        for op in block.ops:
            if isinstance(op, linalg.YieldOp):
                return [values.get(v, v) for v in op.operands]
            if isinstance(op, linalg.IndexOp):
                d = op.dim.value.data
                values[op.result] = self.linear(*self.index_terms(
                    ([1 if i == d else 0 for i in range(self.n)], 0), dims, offsets))
                continue
            operands = [values.get(v, v) for v in op.operands]
            width = next((o.type.get_shape()[0] for o in operands
                          if isinstance(o.type, VectorType)), None)
            if width is None:
                new = op.clone(value_mapper=dict(values))
                self.builder.insert(new)
            else:
                operands = [o if isinstance(o.type, VectorType) else self.broadcast(o, width)
                            for o in operands]
                new = type(op).create(
                    operands=operands,
                    result_types=[VectorType(t, [width]) for t in op.result_types],
                    properties=dict(op.properties),
                    attributes=dict(op.attributes),
                )
                self.builder.insert(new)
            for old, result in zip(op.results, new.results):
                values[old] = result
        raise AssertionError("linalg body without yield")

    def broadcast(self, value: SSAValue, width: int) -> SSAValue:
        return self.cached(("bcast", value, width), lambda: self.builder.insert(
            vector.BroadcastOp(value, VectorType(value.type, [width]))).vector)

    # -- stores and the epilogue ----------------------------------------------------------

    def store_outputs(self, scope: AccScope) -> None:
        finals = [f for f in scope.final if f is not True]
        epilogue_now = bool(self.epilogues) and not any(f is False for f in finals)
        entries = list(scope.where.items())
        for key, (out, dims, offsets, lanes) in entries:
            operand = len(self.inputs) + out
            indices, width, how = self.access(self.outputs[out], self.forms[operand], dims, offsets, lanes)
            self.store(scope.values[key], self.outputs[out], indices, how,
                       self.forms[operand], dims, offsets)
        if not epilogue_now:
            return
        conds = [f for f in finals if not isinstance(f, bool)]
        if conds:
            cond = conds[0]
            for c in conds[1:]:
                cond = self.builder.insert(arith.AndIOp(cond, c)).result
            then = Block()
            outer = self.builder
            self.builder = Builder(InsertPoint.at_end(then))
            self.memo.append({})
            self.apply_epilogue(scope, entries)
            self.builder.insert(scf.YieldOp())
            self.memo.pop()
            self.builder = outer
            self.builder.insert(scf.IfOp(cond, [], [then], [Block([scf.YieldOp()])]))
        else:
            self.apply_epilogue(scope, entries)

    def apply_epilogue(self, scope: AccScope, entries) -> None:
        self.loads = {}
        for key, (out, dims, offsets, lanes) in entries:
            if out != 0:
                continue
            value = scope.values[key]
            for epilogue in self.epilogues:
                forms = [linear_map(m) for m in epilogue.maps]
                values: dict[SSAValue, SSAValue] = {}
                block = epilogue.op.body.block
                for i, buffer in enumerate(epilogue.op.inputs):
                    arg = block.args[i]
                    if i == epilogue.source:
                        values[arg] = value
                    elif not isinstance(buffer.type, MemRefType):
                        values[arg] = buffer
                    elif arg.uses:
                        values[arg] = self.load(buffer, forms[i], dims, offsets, lanes)
                out_arg = block.args[len(epilogue.op.inputs)]
                out_buffer = epilogue.op.outputs[0]
                out_forms = forms[len(epilogue.op.inputs)]
                if out_arg.uses:
                    values[out_arg] = self.load(out_buffer, out_forms, dims, offsets, lanes,
                                                cache=False)
                (value,) = self.clone_body(block, values, dims, offsets)
                indices, width, how = self.access(out_buffer, out_forms, dims, offsets, lanes)
                if width > 1 and not isinstance(value.type, VectorType):
                    value = self.broadcast(value, width)
                if epilogue.store:
                    self.store(value, out_buffer, indices, how, out_forms, dims, offsets)


def generate(op: linalg.GenericOp, schedule: Schedule, epilogues: list[Epilogue],
             op_name: str) -> None:
    """Replace `op` by its scheduled loop nest (and erase the fused consumers)."""
    NestGenerator(op, schedule, epilogues, op_name).generate()
