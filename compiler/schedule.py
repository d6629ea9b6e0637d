"""Schedules: the decisions that shape one linalg op's loop nest, as plain data.

A `Schedule` is what a user writes by hand, what the default heuristic computes and what the
auto-tuner searches. It is JSON-serialisable (`to_json`/`from_json`), it travels on the op as
the `tessera.schedule` attribute, it is the option set of the `schedule` pass, and it prints as
a transform-dialect script (`transform_script`) that `transform-interpreter` replays.

The loops of an op with `n` iteration dimensions d0..d(n-1) and `L` tile levels are numbered
`level * n + dim`: level 0 is the outermost (cache) tile, level L is the point loop. So a
matmul (d0 = i, d1 = j, d2 = k) tiled twice has loops 0..8:

    0 d0.0   1 d1.0   2 d2.0     (level 0: cache tiles)
    3 d0.1   4 d1.1   5 d2.1     (level 1: register tiles)
    6 d0     7 d1     8 d2       (point loops)

Fields (every one optional):
- `tiles`: one tuple of sizes per level, one size per dimension, outermost level first. A size
  need not divide its extent (the remainder runs as a smaller tile); a size at least as large
  as the enclosing tile leaves that dimension untiled at that level.
- `order`: a permutation of all loop numbers, outermost first; each dimension's levels must
  appear outer to inner. Default: level by level, dimensions in order.
- `pack`: (operand, depth) pairs: copy the tile of input `operand` that the loops below `depth`
  read into a contiguous buffer laid out in the order those loops visit it (BLIS packing),
  placed inside the first `depth` loops of `order`.
- `vector`: the innermost loop, a point loop over a parallel dimension, runs `vector` lanes at a
  time (1: scalar).
- `unroll`: (loop, factor) pairs; unrolling a loop that has loops inside it is unroll-and-jam.
  A factor covering all iterations unrolls completely (register blocking).
- `parallel`: a loop over a parallel dimension to run with OpenMP threads, or None.
- `fuse`: how many elementwise consumers that follow the op are fused into its epilogue.
- `gpu` (the CUDA target, read by `linalg-to-gpu`): a `GpuSchedule`, the block and thread
  tiles, k-tile and shared-memory staging of a contraction's kernel (compiler/gpu_schedule.py).
  The other targets ignore it.
- `dataflow`, `double_buffer`, `conv` (the NPU, read by `linalg-to-npu`): how a matmul or
  convolution maps onto the systolic array (`os`, `ws`, `is`; None: the configuration's),
  whether its tile moves overlap the computes, and how a convolution becomes a GEMM
  (`im2col`, the default, or `direct`). The C target ignores them.

`validate` rejects an illegal schedule with a `ScheduleError` naming the op and the step.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.gpu_schedule import GpuSchedule

STEPS = ("tile", "interchange", "pack", "vectorize", "unroll", "parallelize", "fuse", "map")
DATAFLOWS = (None, "os", "ws", "is")
CONV_FORMS = (None, "im2col", "direct")
VECTOR_WIDTHS = (1, 2, 4, 8, 16, 32, 64)


class ScheduleError(TesseraError):
    """An illegal schedule; the message names the op and the schedule step."""


@dataclass(frozen=True)
class LoopNest:
    """What validation needs to know about an op's iteration space."""

    op_name: str
    extents: tuple[int, ...]
    reductions: frozenset[int]
    # For each input operand, the dimensions it is indexed by if each index is one plain
    # dimension (a projected permutation), else None: only such operands can be packed.
    input_dims: tuple[tuple[int, ...] | None, ...]
    # The output's dimensions when it is indexed by plain dimensions (else None), and the
    # dimensions along which every operand is contiguous or constant (vectorizable without
    # gathers).
    output_dims: tuple[int, ...] | None = None
    contiguous: frozenset[int] = frozenset()
    # The dimensions each input's indices involve at all.
    input_uses: tuple[frozenset[int], ...] = ()

    @property
    def ndims(self) -> int:
        return len(self.extents)

    def vector_dim(self) -> int | None:
        """The output's innermost dimension when it is a parallel one along which every
        operand is contiguous or constant: the loop to vectorize without gathers."""
        if not self.output_dims:
            return None
        v = self.output_dims[-1]
        return v if v not in self.reductions and v in self.contiguous else None

    def row_dim(self, v: int) -> int | None:
        """The other output dimension a register tile spans (its rows): preferably one the
        operands loaded along `v` do not depend on, so each vector load feeds every row (the
        matmul's i, the convolution's f); among those the largest."""
        rows = [d for d in self.output_dims or () if d != v and d not in self.reductions
                and self.extents[d] > 1]
        if not rows:
            return None
        vector_inputs = [uses for uses in self.input_uses if v in uses]
        return max(rows, key=lambda d: (all(d not in uses for uses in vector_inputs),
                                        self.extents[d]))


def loop_name(loop: int, ndims: int, levels: int) -> str:
    level, dim = divmod(loop, ndims)
    return f"d{dim}" if level == levels else f"d{dim}.{level}"


@dataclass(frozen=True)
class Schedule:
    tiles: tuple[tuple[int, ...], ...] = ()
    order: tuple[int, ...] = ()
    pack: tuple[tuple[int, int], ...] = ()
    vector: int = 1
    unroll: tuple[tuple[int, int], ...] = ()
    parallel: int | None = None
    fuse: int = 0
    dataflow: str | None = None
    double_buffer: bool = False
    conv: str | None = None
    gpu: GpuSchedule | None = None

    # -- derived --------------------------------------------------------------------------

    @property
    def levels(self) -> int:
        return len(self.tiles)

    def loop_count(self, ndims: int) -> int:
        return (self.levels + 1) * ndims

    def loop_order(self, ndims: int) -> tuple[int, ...]:
        return self.order or tuple(range(self.loop_count(ndims)))

    def is_empty(self) -> bool:
        return self == Schedule()

    # -- serialisation --------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Only the fields that differ from the default, as JSON-compatible values."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = value.to_json() if f.name == "gpu" else _plain(value)
        return out

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)

    @staticmethod
    def from_json(data: Mapping[str, Any] | str) -> Schedule:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as e:
                raise ScheduleError(f"schedule: not JSON: {e}") from None
        if not isinstance(data, Mapping):
            raise ScheduleError(f"schedule: expected a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(Schedule)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ScheduleError(
                f"schedule: unknown field(s) {', '.join(unknown)} "
                f"(fields: {', '.join(sorted(known))})")
        try:
            return Schedule(
                tiles=tuple(_ints(level, "tiles") for level in data.get("tiles", ())),
                order=_ints(data.get("order", ()), "order"),
                pack=tuple(_pair(p, "pack") for p in data.get("pack", ())),
                vector=_int(data.get("vector", 1), "vector"),
                unroll=tuple(_pair(p, "unroll") for p in data.get("unroll", ())),
                parallel=None if data.get("parallel") is None
                else _int(data["parallel"], "parallel"),
                fuse=_int(data.get("fuse", 0), "fuse"),
                dataflow=_dataflow(data.get("dataflow")),
                double_buffer=_bool(data.get("double_buffer", False), "double_buffer"),
                conv=_choice(data.get("conv"), CONV_FORMS, "conv"),
                gpu=None if data.get("gpu") is None else GpuSchedule.from_json(data["gpu"]),
            )
        except TypeError as e:
            raise ScheduleError(f"schedule: {e}") from None

    # -- the pass-option form (flat lists, see the `schedule` pass) -----------------------

    @staticmethod
    def from_options(ndims: int, tiles: Sequence[int], order: Sequence[int],
                     pack: Sequence[int], vector: int, unroll: Sequence[int],
                     parallel: int, fuse: int, op_name: str = "the op") -> Schedule:
        if ndims and len(tiles) % ndims:
            raise ScheduleError(
                f"schedule of '{op_name}': tile: {len(tiles)} sizes for {ndims} loop "
                f"dimensions (give {ndims} sizes per level)")
        if len(pack) % 2 or len(unroll) % 2:
            step = "pack" if len(pack) % 2 else "unroll"
            raise ScheduleError(
                f"schedule of '{op_name}': {step}: expected pairs, got an odd number of values")
        return Schedule(
            tiles=tuple(tuple(tiles[i:i + ndims]) for i in range(0, len(tiles), ndims or 1)),
            order=tuple(order),
            pack=tuple(zip(pack[::2], pack[1::2])),
            vector=vector,
            unroll=tuple(zip(unroll[::2], unroll[1::2])),
            parallel=None if parallel < 0 else parallel,
            fuse=fuse,
        )

    def option_text(self) -> str:
        """The `schedule` pass options that apply this record: `tiles=4,4 vector=8 ...`."""
        parts = []
        if self.tiles:
            parts.append("tiles=" + ",".join(str(s) for level in self.tiles for s in level))
        if self.order:
            parts.append("order=" + ",".join(map(str, self.order)))
        if self.pack:
            parts.append("pack=" + ",".join(str(x) for p in self.pack for x in p))
        if self.vector != 1:
            parts.append(f"vector={self.vector}")
        if self.unroll:
            parts.append("unroll=" + ",".join(str(x) for u in self.unroll for x in u))
        if self.parallel is not None:
            parts.append(f"parallel={self.parallel}")
        if self.fuse:
            parts.append(f"fuse={self.fuse}")
        return " ".join(parts)

    def text(self) -> str:
        """The record in one line: its pass options, and the NPU mapping when there is one."""
        parts = [self.option_text()]
        if self.dataflow:
            parts.append(f"dataflow={self.dataflow}")
        if self.double_buffer:
            parts.append("double_buffer")
        if self.conv:
            parts.append(f"conv={self.conv}")
        if self.gpu is not None:
            parts.append(f"gpu={self.gpu.text()}")
        return " ".join(p for p in parts if p)

    # -- validation -----------------------------------------------------------------------

    def validate(self, nest: LoopNest) -> None:
        """Raise ScheduleError for the first illegal step, in the order the steps apply."""
        n, levels = nest.ndims, self.levels

        def fail(step: str, message: str) -> None:
            raise ScheduleError(f"schedule of '{nest.op_name}': {step}: {message}")

        def name(loop: int) -> str:
            return loop_name(loop, n, levels)

        for level, sizes in enumerate(self.tiles):
            if len(sizes) != n:
                fail("tile", f"level {level} has {len(sizes)} sizes for {n} loop dimensions")
            for dim, size in enumerate(sizes):
                if size < 1:
                    fail("tile", f"size {size} for d{dim} at level {level} (sizes must be "
                                 f"at least 1; use the extent {nest.extents[dim]} to leave "
                                 f"d{dim} untiled)")
        count = self.loop_count(n)
        order = self.loop_order(n)
        if sorted(order) != list(range(count)):
            fail("interchange", f"order {list(order)} is not a permutation of the {count} "
                                f"loops 0..{count - 1}")
        position = {loop: i for i, loop in enumerate(order)}
        for dim in range(n):
            for level in range(levels):
                outer, inner = level * n + dim, (level + 1) * n + dim
                if position[outer] > position[inner]:
                    fail("interchange", f"loop {name(inner)} is placed outside {name(outer)}, "
                                        f"the tile loop that contains it")
        for operand, depth in self.pack:
            if not 0 <= operand < len(nest.input_dims):
                fail("pack", f"operand {operand} is not an input (the op has "
                             f"{len(nest.input_dims)})")
            if not 0 <= depth <= count:
                fail("pack", f"depth {depth} is outside 0..{count}")
            if nest.input_dims[operand] is None:
                fail("pack", f"operand {operand} is indexed by an expression of several loop "
                             f"dimensions; only operands indexed by plain dimensions pack")
            if self.vector > 1 and depth == count:
                fail("pack", f"depth {depth} is inside the vectorized loop; pack at most at "
                             f"depth {count - 1}")
            unrolled = [loop for loop, factor in self.unroll if factor > 1
                        and loop % n in (nest.input_dims[operand] or ())
                        and 0 <= loop < count and position[loop] < depth]
            if unrolled:
                fail("pack", f"operand {operand} is packed inside the unrolled loop "
                             f"{name(unrolled[0])}; pack it outside")
        if len({operand for operand, _ in self.pack}) != len(self.pack):
            fail("pack", "an operand is packed twice")
        if self.vector not in VECTOR_WIDTHS:
            fail("vectorize", f"width {self.vector} is not one of {list(VECTOR_WIDTHS)}")
        if self.vector > 1:
            innermost = order[-1]
            level, dim = divmod(innermost, n)
            if level != levels:
                fail("vectorize", f"the innermost loop {name(innermost)} is a tile loop, not "
                                  f"a point loop")
            if dim in nest.reductions:
                fail("vectorize", f"the innermost loop {name(innermost)} is a reduction; "
                                  f"interchange a parallel loop inside it")
        for loop, factor in self.unroll:
            if not 0 <= loop < count:
                fail("unroll", f"loop {loop} does not exist (loops are 0..{count - 1})")
            if factor < 1:
                fail("unroll", f"factor {factor} for {name(loop)} must be at least 1")
        if len({loop for loop, _ in self.unroll}) != len(self.unroll):
            fail("unroll", "a loop is unrolled twice")
        if self.parallel is not None:
            if not 0 <= self.parallel < count:
                fail("parallelize", f"loop {self.parallel} does not exist "
                                    f"(loops are 0..{count - 1})")
            if self.parallel % n in nest.reductions:
                fail("parallelize", f"loop {name(self.parallel)} iterates over a reduction "
                                    f"dimension, and its updates have no combiner; "
                                    f"parallelize a parallel dimension")
        if self.fuse < 0:
            fail("fuse", f"count {self.fuse} is negative")
        if self.dataflow not in DATAFLOWS:
            fail("map", f"dataflow {self.dataflow!r} is not one of os, ws, is")
        if self.conv not in CONV_FORMS:
            fail("map", f"conv {self.conv!r} is not one of im2col, direct")

    # -- the transform-dialect form -------------------------------------------------------

    def transform_steps(self, handle: str) -> list[str]:
        """One `transform.tessera.*` op per primitive, in the order the steps apply."""
        steps = [f"transform.tessera.tile {handle} {{sizes = {_array(sizes)}}} : "
                 f"!transform.any_op" for sizes in self.tiles]
        if self.order:
            steps.append(f"transform.tessera.interchange {handle} "
                         f"{{order = {_array(self.order)}}} : !transform.any_op")
        for operand, depth in self.pack:
            steps.append(f"transform.tessera.pack {handle} {{depth = {depth} : i64, "
                         f"operand = {operand} : i64}} : !transform.any_op")
        if self.vector != 1:
            steps.append(f"transform.tessera.vectorize {handle} "
                         f"{{width = {self.vector} : i64}} : !transform.any_op")
        for loop, factor in self.unroll:
            steps.append(f"transform.tessera.unroll {handle} {{factor = {factor} : i64, "
                         f"loop = {loop} : i64}} : !transform.any_op")
        if self.parallel is not None:
            steps.append(f"transform.tessera.parallelize {handle} "
                         f"{{loop = {self.parallel} : i64}} : !transform.any_op")
        if self.fuse:
            steps.append(f"transform.tessera.fuse_epilogue {handle} "
                         f"{{count = {self.fuse} : i64}} : !transform.any_op")
        return steps


@dataclass(frozen=True)
class Workload:
    """Which ops a schedule applies to: an op name and, optionally, its operand types."""

    op_name: str
    operand_types: tuple[str, ...] = field(default=())


def transform_script(entries: Sequence[tuple[Workload, Schedule]]) -> str:
    """A transform-dialect module that attaches each schedule and lowers the payload.

    Replayed by `-p transform-interpreter` (in the payload module) or
    `-p 'transform-interpreter{script=FILE}'`, it gives the same IR as the `schedule` pass
    applied with the same records.
    """
    lines = [
        "builtin.module attributes {transform.with_named_sequence} {",
        '  transform.named_sequence @__transform_main(%root : !transform.any_op '
        '{transform.readonly}) {',
    ]
    for i, (workload, schedule) in enumerate(entries):
        handle = f"%op{i}"
        filters = ""
        if workload.operand_types:
            filters = f" filter_operand_types = [{', '.join(workload.operand_types)}]"
        lines.append(f'    {handle} = transform.structured.match ops{{["{workload.op_name}"]}}'
                     f'{filters} in %root : (!transform.any_op) -> !transform.any_op')
        lines.extend("    " + step for step in schedule.transform_steps(handle))
    lines.append('    %lowered = transform.apply_registered_pass "schedule" to %root : '
                 '(!transform.any_op) -> !transform.any_op')
    lines.append("    transform.yield")
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- helpers ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _dataflow(value: Any) -> str | None:
    return _choice(value, DATAFLOWS, "dataflow")


def _choice(value: Any, choices: tuple, what: str) -> str | None:
    if value not in choices:
        names = ", ".join(c for c in choices if c)
        raise TypeError(f"{what}: expected one of {names}, got {value!r}")
    return value


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what}: expected true or false, got {value!r}")
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what}: expected an integer, got {value!r}")
    return value


def _ints(values: Any, what: str) -> tuple[int, ...]:
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"{what}: expected a list of integers, got {values!r}")
    return tuple(_int(v, what) for v in values)


def _pair(values: Any, what: str) -> tuple[int, int]:
    pair = _ints(values, what)
    if len(pair) != 2:
        raise TypeError(f"{what}: expected [a, b] pairs, got {values!r}")
    return pair  # type: ignore[return-value]


def _array(values: Sequence[int]) -> str:
    return "array<i64: " + ", ".join(map(str, values)) + ">"


def random_schedule(nest: LoopNest, rng, max_levels: int = 2, fusable: int = 0) -> Schedule:
    """A random legal schedule for `nest` (tile sizes that often do not divide, any legal
    order, packs, vectors, unrolls, a parallel loop): for sweeps and random search.
    `rng` is a `random.Random`, so a seed reproduces the schedule."""
    n = nest.ndims
    levels = rng.randint(0, max_levels) if n else 0
    tiles = []
    for _ in range(levels):
        tiles.append(tuple(rng.choice([1, 2, 3, 4, 5, 8, max(1, e // 2), e, e + 3])
                           if rng.random() < 0.8 else e for e in nest.extents))
    # Any interleaving of the dimensions' level chains is legal.
    pending = {d: list(range(levels + 1)) for d in range(n)}
    order: list[int] = []
    while pending:
        d = rng.choice(sorted(pending))
        order.append(pending[d].pop(0) * n + d)
        if not pending[d]:
            del pending[d]
    innermost_level, innermost_dim = divmod(order[-1], n) if order else (0, 0)
    vector = 1
    if (order and innermost_level == levels and innermost_dim not in nest.reductions
            and rng.random() < 0.6):
        vector = rng.choice([2, 4, 8, 16])
    unrolled = rng.sample(order, min(len(order), rng.randint(0, 2)))
    unroll = tuple((loop, rng.randint(2, 4)) for loop in unrolled)
    unrolled_at: dict[int, int] = {}
    for loop, _ in unroll:
        unrolled_at[loop % n] = min(order.index(loop), unrolled_at.get(loop % n, len(order)))
    pack = []
    for operand, dims in enumerate(nest.input_dims):
        if dims is None or not dims or rng.random() < 0.6:
            continue
        limit = min([len(order) - (vector > 1)]
                    + [unrolled_at[d] for d in dims if d in unrolled_at])
        pack.append((operand, rng.randint(0, limit)))
    parallel_loops = [loop for loop in order if loop % n not in nest.reductions] if n else []
    parallel = rng.choice(parallel_loops) if parallel_loops and rng.random() < 0.3 else None
    return Schedule(tiles=tuple(tiles), order=tuple(order), pack=tuple(pack), vector=vector,
                    unroll=unroll, parallel=parallel,
                    fuse=rng.randint(0, fusable) if fusable else 0)
