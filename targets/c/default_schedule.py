"""The default schedule: what an op gets when nobody has tuned it.

An analytical heuristic in the spirit of BLIS (Van Zee & van de Geijn, 2015, and the
analytical model of Low et al., 2016), driven by the host's vector width, register count
and cache sizes (`targets/c/machine.py`):

- The *vector dimension* is the output's innermost dimension, when every operand is
  contiguous or constant along it. The *row dimension* is the largest other output
  dimension. Together they form a register tile of `mr` rows × `nr` lanes: two vectors
  with 16 vector registers, three with 32, and as many rows (at most 8) as leave registers
  for one vector of B per column and a broadcast of A.
- Reductions run just outside the register tile, so the tile's accumulators stay in
  registers for a whole reduction.
- A matmul-shaped op (one reduction, two 2-D inputs) gets the BLIS loop nest around that
  micro-kernel: a `kc` slice of B's micro-panel fits in half the L1 cache, an `mc × kc`
  block of A in half the L2, and both operands are packed into micro-panel order.
- The outermost loop with enough iterations runs on all cores (OpenMP) when the op does
  enough work to pay for a parallel region.
- Elementwise consumers that follow the op are fused into its epilogue.
"""

from __future__ import annotations

from math import prod

from tessera.targets.c.machine import Machine, host
from tessera.compiler.schedule import LoopNest, Schedule

# Below this many multiply-adds a parallel region costs more than it saves.
PARALLEL_WORK = 1 << 20


def default_schedule(nest: LoopNest, fusable: int = 0, element_bytes: int = 4,
                     machine: Machine | None = None) -> Schedule:
    machine = machine or host()
    n, extents = nest.ndims, nest.extents
    out = nest.output_dims
    if not out or n == 0 or prod(extents) == 0:
        return Schedule(fuse=fusable)
    v = nest.vector_dim()
    lanes = _lanes(extents[v], machine.lanes(element_bytes)) if v is not None else 1
    if not nest.reductions:
        return _elementwise(nest, fusable, lanes, machine)
    r = nest.row_dim(v) if v is not None and lanes > 1 else None
    if r is None:
        return Schedule(fuse=fusable)
    vectors = min(3 if machine.vector_registers >= 32 else 2, max(1, extents[v] // lanes))
    nr = vectors * lanes
    mr = max(1, min(extents[r], 8, (machine.vector_registers - vectors - 2) // vectors))
    if _is_matmul(nest, r, v):
        return _blis(nest, r, v, mr, nr, lanes, fusable, element_bytes, machine)
    sizes = list(extents)
    sizes[r], sizes[v] = mr, nr
    others = [d for d in range(n) if d not in (r, v) and d not in nest.reductions]
    reductions = sorted(nest.reductions)
    order = ([*others, r, v, *reductions]
             + [n + d for d in (*others, *reductions)] + [n + r, n + v])
    schedule = Schedule(
        tiles=(tuple(sizes),), order=tuple(order), vector=lanes,
        unroll=((n + r, mr), (n + v, nr // lanes)), fuse=fusable,
    )
    return _parallel(schedule, nest, machine)


def _lanes(extent: int, widest: int) -> int:
    """The widest vector whose scalar tail is at most a quarter of `extent` (1: none)."""
    lanes = widest
    while lanes >= 2:
        if extent >= lanes and extent % lanes <= extent // 4:
            return lanes
        lanes //= 2
    return 1


def _elementwise(nest: LoopNest, fusable: int, vector: int, machine: Machine) -> Schedule:
    n = nest.ndims
    order = list(range(n))
    if vector > 1:
        v = nest.output_dims[-1]  # type: ignore[index]
        order.remove(v)
        order.append(v)
    schedule = Schedule(order=tuple(order) if order != list(range(n)) else (),
                        vector=vector, fuse=fusable)
    return _parallel(schedule, nest, machine)


def _is_matmul(nest: LoopNest, r: int, v: int) -> bool:
    if nest.ndims != 3 or len(nest.reductions) != 1:
        return False
    (k,) = nest.reductions
    return sorted(d for d in nest.input_dims if d is not None) == sorted([(r, k), (k, v)]) \
        and len(nest.input_dims) == 2


def _blis(nest: LoopNest, i: int, j: int, mr: int, nr: int, lanes: int, fusable: int,
          element_bytes: int, machine: Machine) -> Schedule:
    (k,) = nest.reductions
    extents = nest.extents
    kc = _clamp(machine.l1_bytes // (nr * element_bytes), 64, 384, extents[k])
    mc = _clamp(machine.l2_bytes // 4 // (kc * element_bytes), mr, 1 << 14, extents[i])
    mc = max(mr, mc // mr * mr) if mc >= mr else mc
    nc = _clamp(machine.l3_bytes // 4 // (kc * element_bytes), nr, 1 << 16, extents[j])
    nc = max(nr, nc // nr * nr) if nc >= nr else nc
    n = 3
    level0, level1 = [0] * 3, [0] * 3
    level0[i], level0[j], level0[k] = mc, nc, kc
    level1[i], level1[j], level1[k] = mr, nr, kc
    order = (j, k, i, n + j, n + i, n + k, 2 * n + k, 2 * n + i, 2 * n + j)
    a = nest.input_dims.index(tuple(d for d in nest.input_dims if d is not None and i in d)[0])
    b = 1 - a
    schedule = Schedule(
        tiles=(tuple(level0), tuple(level1)), order=order,
        pack=((b, 2), (a, 3)), vector=lanes,
        unroll=((2 * n + i, mr), (2 * n + j, nr // lanes)), fuse=fusable,
    )
    return _parallel(schedule, nest, machine)


def _clamp(value: int, low: int, high: int, extent: int) -> int:
    return max(1, min(max(value, low), high, extent))


def _parallel(schedule: Schedule, nest: LoopNest, machine: Machine) -> Schedule:
    """Run the outermost loop with at least two iterations per core on all cores."""
    if machine.cores < 2 or prod(nest.extents) < PARALLEL_WORK:
        return schedule
    n = nest.ndims
    sizes = [*schedule.tiles, (1,) * n]
    for loop in schedule.loop_order(n):
        level, dim = divmod(loop, n)
        if dim in nest.reductions:
            continue  # a parallel loop inside a reduction loop is fine: it writes disjoint tiles
        parent = nest.extents[dim]
        for outer in range(level):
            parent = min(parent, sizes[outer][dim])
        trips = parent // min(sizes[level][dim], parent)
        if trips >= 2 * machine.cores:
            return Schedule(**{**schedule.__dict__, "parallel": loop})
    return schedule
