"""Search spaces: the schedules a tuner may try for one op, as flat declarations.

A space is a list of *knobs* (a name and its choices) and *constraints* (a name and a
predicate over a point), plus a *template* that turns a point (one choice per knob) into a
`Schedule`. Spaces are derived from the op's loop nest and the target's `Resources`
(vector widths, registers, cache sizes, cores), so they hold only schedules worth measuring:

    register-tiled (an op with reductions and a vectorizable output dimension; matmul,
    convolution, batched matmul):
        tile.dK      cache tile of every dimension K (powers of two, 3·2^k, the extent;
                     non-divisors allowed)
        rows         register-tile rows, over the row dimension
        vectors      register-tile width in vectors, over the vector dimension
        lanes        vector width in elements
        order        order of the cache-tile loops
        micro        which register-tile loop is outer: "rows" or "vectors"
        pack.N       pack input N into micro-panel order (inputs indexed by plain dims)
        unroll       unroll of the innermost reduction loop
        parallel     the cache-tile loop run on all cores (None: sequential)
      constraints: the tile's accumulators fit the registers; a reduction slice of the
      vector-loaded operand's micro-panel fits L1; the tile of each operand the register
      tile broadcasts fits L2; a cache tile is at least a register tile.

    elementwise (no reductions): tile.dK, lanes, order, parallel.
    scalar (reductions, nothing to vectorize): tile.dK, order, unroll, parallel.

Nothing here knows a target: the target describes itself in `Resources`
(`targets/c/tuning.py` for the C target).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.schedule import LoopNest, Schedule

Point = tuple  # one value per knob, in the space's knob order


@dataclass(frozen=True)
class Resources:
    """What a target offers a schedule: the budgets the space is constrained by."""

    lanes: tuple[int, ...] = (4,)  # vector widths in elements, narrowest first
    registers: int = 16  # vector registers
    l1_bytes: int = 32 << 10
    l2_bytes: int = 256 << 10
    cores: int = 1  # threads a parallel loop runs on (1: no parallel knob)
    element_bytes: int = 4


@dataclass(frozen=True)
class Knob:
    name: str
    choices: tuple
    why: str = ""


@dataclass(frozen=True)
class Constraint:
    name: str
    holds: Callable[[Mapping[str, Any]], bool]
    why: str = ""


@dataclass
class SearchSpace:
    """Knobs, constraints and the template that makes a schedule of a point."""

    nest: LoopNest
    template: str
    knobs: list[Knob] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    build: Callable[[Mapping[str, Any]], Schedule] | None = None
    fuse: int = 0
    # Derived quantities the cost model sees beside the knobs (register-tile size, cache
    # footprints over cache sizes): what a knob means for the machine, not just its value.
    features: list[tuple[str, Callable[[Mapping[str, Any]], float]]] = \
        field(default_factory=list)

    # -- declaring ----------------------------------------------------------------------

    def knob(self, name: str, choices: Sequence, why: str = "") -> None:
        choices = tuple(dict.fromkeys(choices))  # unique, in order
        if not choices:
            raise ValueError(f"knob {name} has no choices")  # a bug in a space definition
        self.knobs.append(Knob(name, choices, why))

    def feature(self, name: str, value: Callable[[Mapping[str, Any]], float]) -> None:
        self.features.append((name, value))

    def constrain(self, name: str, holds: Callable[[Mapping[str, Any]], bool],
                  why: str = "") -> None:
        self.constraints.append(Constraint(name, holds, why))

    def restricted(self, **choices: Sequence) -> SearchSpace:
        """The same space with some knobs limited to the given values (`tile.d0` is written
        `tile_d0` here); a value a knob does not offer is an error."""
        knobs = []
        names = {k.name.replace(".", "_"): k for k in self.knobs}
        unknown = set(choices) - set(names)
        if unknown:
            raise TesseraError(f"no knob(s) {', '.join(sorted(unknown))} "
                             f"(knobs: {', '.join(k.name for k in self.knobs)})")
        for key, knob in names.items():
            if key in choices:
                wanted = tuple(choices[key])
                missing = [v for v in wanted if v not in knob.choices]
                if missing:
                    raise TesseraError(f"knob {knob.name} does not offer {missing} "
                                     f"(choices: {list(knob.choices)})")
                knob = Knob(knob.name, wanted, knob.why)
            knobs.append(knob)
        return SearchSpace(self.nest, self.template, knobs, list(self.constraints),
                           self.build, self.fuse, list(self.features))

    # -- using --------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        return [k.name for k in self.knobs]

    def values(self, point: Point) -> dict[str, Any]:
        return dict(zip(self.names, point))

    def valid(self, point: Point) -> bool:
        values = self.values(point)
        return all(c.holds(values) for c in self.constraints)

    def violated(self, point: Point) -> list[str]:
        values = self.values(point)
        return [c.name for c in self.constraints if not c.holds(values)]

    def schedule(self, point: Point) -> Schedule:
        assert self.build is not None
        return self.build(self.values(point))

    @property
    def size(self) -> int:
        """Points before the constraints (an upper bound on the valid ones)."""
        return math.prod(len(k.choices) for k in self.knobs)

    def points(self) -> Iterator[Point]:
        """Every valid point, in a fixed order (for grid search: only for small spaces)."""
        for point in itertools.product(*(k.choices for k in self.knobs)):
            if self.valid(point):
                yield point

    def sample(self, rng: random.Random, tries: int = 10_000) -> Point:
        """A uniformly drawn valid point (rejection sampling)."""
        for _ in range(tries):
            point = tuple(rng.choice(k.choices) for k in self.knobs)
            if self.valid(point):
                return point
        raise TesseraError(f"no valid point found in {tries} draws from the "
                         f"{self.template} space of '{self.nest.op_name}'")

    def describe(self) -> str:
        lines = [f"{self.template} space of '{self.nest.op_name}' "
                 f"{list(self.nest.extents)}: {self.size} points before constraints"]
        for k in self.knobs:
            lines.append(f"  {k.name:<10} {list(k.choices)}" + (f"  # {k.why}" if k.why else ""))
        for c in self.constraints:
            lines.append(f"  where {c.name}" + (f": {c.why}" if c.why else ""))
        return "\n".join(lines)


# -- deriving a space from a loop nest ------------------------------------------------------


def tile_sizes(extent: int, smallest: int = 8) -> tuple[int, ...]:
    """Powers of two and 3·2^k from `smallest` up to the extent, and the extent itself
    (untiled). Divisors or not: a remainder tile handles the rest."""
    sizes = {extent}
    size = smallest
    while size < extent:
        sizes.add(size)
        if size * 3 // 2 < extent and size >= 16:
            sizes.add(size * 3 // 2)
        size *= 2
    return tuple(sorted(sizes))


def loop_orders(nest: LoopNest) -> tuple[tuple[int, ...], ...]:
    """Orders of the cache-tile loops: all of them up to four dimensions; beyond, the
    parallel dimensions in their order with the reductions as one block at each place."""
    n = nest.ndims
    if n <= 4:
        return tuple(itertools.permutations(range(n)))
    parallel = [d for d in range(n) if d not in nest.reductions]
    reductions = sorted(nest.reductions)
    return tuple(tuple(parallel[:i] + reductions + parallel[i:])
                 for i in range(len(parallel) + 1))


def space_for(nest: LoopNest, resources: Resources, fuse: int = 0) -> SearchSpace:
    """The search space of an op, picked by what its loop nest allows."""
    v = nest.vector_dim()
    r = nest.row_dim(v) if v is not None else None
    if nest.ndims == 0:
        space = SearchSpace(nest, "empty", fuse=fuse)
        space.build = lambda values: Schedule(fuse=fuse)
        return space
    if not nest.reductions:
        return _elementwise(nest, resources, v, fuse)
    if v is None or r is None or not _wide_enough(nest.extents[v], resources):
        return _scalar(nest, resources, fuse)
    return _register_tiled(nest, resources, r, v, fuse)


def _wide_enough(extent: int, resources: Resources) -> bool:
    return any(lanes <= extent for lanes in resources.lanes if lanes > 1)


def _common(space: SearchSpace, resources: Resources) -> None:
    nest = space.nest
    for d, extent in enumerate(nest.extents):
        space.knob(f"tile.d{d}", tile_sizes(extent), "cache tile")
    space.knob("order", loop_orders(nest), "cache-tile loops, outer first")


def _parallel_choices(nest: LoopNest, resources: Resources) -> tuple:
    if resources.cores < 2:
        return (None,)
    return (None, *[d for d in range(nest.ndims)
                    if d not in nest.reductions and nest.extents[d] >= 2 * resources.cores])


def _register_tiled(nest: LoopNest, resources: Resources, r: int, v: int,
                    fuse: int) -> SearchSpace:
    n, extents, bytes_ = nest.ndims, nest.extents, resources.element_bytes
    space = SearchSpace(nest, "register-tiled", fuse=fuse)
    _common(space, resources)
    space.knob("rows", [m for m in (1, 2, 3, 4, 6, 8, 12) if m <= extents[r]],
               f"register-tile rows over d{r}")
    space.knob("vectors", [w for w in (1, 2, 3, 4) if w <= max(1, extents[v] // 4)],
               f"register-tile width in vectors over d{v}")
    space.knob("lanes", [w for w in resources.lanes if 1 < w <= extents[v]], "vector width")
    space.knob("micro", ("rows", "vectors"), "the outer register-tile loop")
    packable = [i for i, dims in enumerate(nest.input_dims) if dims]
    for i in packable:
        space.knob(f"pack.{i}", (False, True), f"copy input {i} into micro-panel order")
    space.knob("unroll", (1, 2, 4), "unroll of the innermost reduction loop")
    space.knob("parallel", _parallel_choices(nest, resources), "loop run on all cores")

    reductions = sorted(nest.reductions)
    others = [d for d in range(n) if d not in (r, v) and d not in nest.reductions]
    broadcast = [i for i, uses in enumerate(nest.input_uses) if v not in uses]
    streamed = [i for i, uses in enumerate(nest.input_uses) if v in uses]

    def tile(values, d):
        return min(values[f"tile.d{d}"], extents[d])

    def reduction_slice(values):
        return math.prod(tile(values, k) for k in reductions)

    def l1_share(x):
        return reduction_slice(x) * x["vectors"] * x["lanes"] * bytes_ / resources.l1_bytes

    def l2_share(x):
        return max((math.prod(tile(x, d) for d in nest.input_uses[i]) * bytes_
                    / resources.l2_bytes for i in broadcast), default=0.0)

    space.feature("register-tile", lambda x: math.log2(x["rows"] * x["vectors"] * x["lanes"]))
    space.feature("l1-share", l1_share)
    space.feature("l2-share", l2_share)
    space.constrain(
        "registers",
        lambda x: x["rows"] * x["vectors"] + x["vectors"] + 1 <= resources.registers,
        "rows × vectors accumulators, a row of the streamed operand and a broadcast")
    space.constrain("l1", lambda x: not streamed or l1_share(x) <= 1,
                    "a reduction slice of the streamed micro-panel stays in L1")
    space.constrain("l2", lambda x: l2_share(x) <= 1,
                    "the broadcast operand's cache tile stays in L2")
    space.constrain(
        "tile-covers-registers",
        lambda x: tile(x, r) >= min(x["rows"], extents[r])
        and tile(x, v) >= min(x["vectors"] * x["lanes"], extents[v]),
        "a cache tile holds at least one register tile")

    def build(x) -> Schedule:
        rows, width = x["rows"], x["vectors"] * x["lanes"]
        level0 = tuple(x[f"tile.d{d}"] for d in range(n))
        level1 = [1] * n
        level1[r], level1[v] = rows, width
        for k in reductions:
            level1[k] = level0[k]
        micro = [n + r, n + v] if x["micro"] == "rows" else [n + v, n + r]
        order = (list(x["order"]) + [n + d for d in others] + micro
                 + [n + k for k in reductions] + [2 * n + k for k in reductions]
                 + [2 * n + d for d in others] + [2 * n + r, 2 * n + v])
        unroll = [(2 * n + r, rows), (2 * n + v, x["vectors"])]
        if x["unroll"] > 1:
            unroll.append((2 * n + reductions[-1], x["unroll"]))
        pack = tuple((i, _pack_depth(nest, i, x["order"])) for i in packable
                     if x[f"pack.{i}"])
        return Schedule(tiles=(level0, tuple(level1)), order=tuple(order), pack=pack,
                        vector=x["lanes"], unroll=tuple(unroll), parallel=x["parallel"],
                        fuse=fuse)

    space.build = build
    return space


def _pack_depth(nest: LoopNest, operand: int, order: Sequence[int]) -> int:
    """Just inside the last cache-tile loop that moves the operand's tile: the copy is
    made once per tile, and reused by the loops outside it that do not move it."""
    uses = nest.input_uses[operand]
    return 1 + max((i for i, d in enumerate(order) if d in uses), default=-1)


def _elementwise(nest: LoopNest, resources: Resources, v: int | None,
                 fuse: int) -> SearchSpace:
    n = nest.ndims
    space = SearchSpace(nest, "elementwise", fuse=fuse)
    _common(space, resources)
    lanes = [1]
    if v is not None:
        lanes += [w for w in resources.lanes if 1 < w <= nest.extents[v]]
    space.knob("lanes", lanes, "vector width over the innermost output dimension")
    space.knob("parallel", _parallel_choices(nest, resources), "loop run on all cores")

    def build(x) -> Schedule:
        inner = [d for d in range(n) if d != v] + ([v] if v is not None else [])
        return Schedule(tiles=(tuple(x[f"tile.d{d}"] for d in range(n)),),
                        order=(*x["order"], *(n + d for d in inner)),
                        vector=x["lanes"] if v is not None else 1, parallel=x["parallel"],
                        fuse=fuse)

    space.build = build
    return space


def _scalar(nest: LoopNest, resources: Resources, fuse: int) -> SearchSpace:
    n = nest.ndims
    space = SearchSpace(nest, "scalar", fuse=fuse)
    _common(space, resources)
    space.knob("unroll", (1, 2, 4), "unroll of the innermost loop")
    space.knob("parallel", _parallel_choices(nest, resources), "loop run on all cores")

    def build(x) -> Schedule:
        order = (*x["order"], *(n + d for d in x["order"]))
        unroll = ((order[-1], x["unroll"]),) if x["unroll"] > 1 else ()
        return Schedule(tiles=(tuple(x[f"tile.d{d}"] for d in range(n)),), order=order,
                        unroll=unroll, parallel=x["parallel"], fuse=fuse)

    space.build = build
    return space
