"""Transform-dialect ops for Tessera's schedule primitives (`transform.tessera.*`).

Like MLIR's dialect extensions of `transform`, these ops live in the `transform` namespace:
`registry.make_context` registers a `transform` dialect that holds xDSL's transform ops and
these. Each op records one primitive in the `tessera.schedule` attribute of the payload ops
its handle names; `transform.apply_registered_pass "schedule"` then generates the loops, so a
script is a readable, replayable trace of a schedule (`compiler/schedule.py` prints one):

    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : ...
    transform.tessera.tile %mm {sizes = array<i64: 64, 256, 128>} : !transform.any_op
    transform.tessera.vectorize %mm {width = 8 : i64} : !transform.any_op
"""

from __future__ import annotations

from dataclasses import replace
from xdsl.dialects import transform
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, i64
from xdsl.ir import Dialect
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    prop_def,
)

from tessera.compiler.schedule import Schedule


class ScheduleStepOp(IRDLOperation):
    """A schedule primitive applied to every op its handle names."""

    target = operand_def(transform.TransformHandleType)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$target attr-dict `:` type($target)"
    # Each step defines `record(schedule) -> schedule`, the record with this step applied.


def _int(attr: IntegerAttr) -> int:
    return attr.value.data


@irdl_op_definition
class TileOp(ScheduleStepOp):
    """Adds one tiling level (outer levels first): one size per loop dimension."""

    name = "transform.tessera.tile"
    sizes = prop_def(DenseArrayBase.constr(i64))

    def record(self, schedule: Schedule) -> Schedule:
        return replace(schedule, tiles=(*schedule.tiles, tuple(self.sizes.get_values())))


@irdl_op_definition
class InterchangeOp(ScheduleStepOp):
    """Sets the loop order: a permutation of the loop numbers, outermost first."""

    name = "transform.tessera.interchange"
    order = prop_def(DenseArrayBase.constr(i64))

    def record(self, schedule: Schedule) -> Schedule:
        return replace(schedule, order=tuple(self.order.get_values()))


@irdl_op_definition
class PackOp(ScheduleStepOp):
    """Packs input `operand` into a contiguous buffer inside the first `depth` loops."""

    name = "transform.tessera.pack"
    operand = prop_def(IntegerAttr)
    depth = prop_def(IntegerAttr)

    def record(self, schedule: Schedule) -> Schedule:
        return replace(schedule, pack=(*schedule.pack, (_int(self.operand), _int(self.depth))))


@irdl_op_definition
class VectorizeOp(ScheduleStepOp):
    """Runs the innermost loop `width` lanes at a time."""

    name = "transform.tessera.vectorize"
    width = prop_def(IntegerAttr)

    def record(self, schedule: Schedule) -> Schedule:
        return replace(schedule, vector=_int(self.width))


@irdl_op_definition
class UnrollOp(ScheduleStepOp):
    """Unrolls loop `loop` by `factor` (unroll-and-jam when it has loops inside)."""

    name = "transform.tessera.unroll"
    loop = prop_def(IntegerAttr)
    factor = prop_def(IntegerAttr)

    def record(self, schedule: Schedule) -> Schedule:
        return replace(schedule, unroll=(*schedule.unroll, (_int(self.loop), _int(self.factor))))


@irdl_op_definition
class ParallelizeOp(ScheduleStepOp):
    """Runs loop `loop` on OpenMP threads."""

    name = "transform.tessera.parallelize"
    loop = prop_def(IntegerAttr)

    def record(self, schedule: Schedule) -> Schedule:
        return replace(schedule, parallel=_int(self.loop))


@irdl_op_definition
class FuseEpilogueOp(ScheduleStepOp):
    """Fuses the `count` elementwise consumers that follow the op into its epilogue."""

    name = "transform.tessera.fuse_epilogue"
    count = prop_def(IntegerAttr)

    def record(self, schedule: Schedule) -> Schedule:
        return replace(schedule, fuse=_int(self.count))


STEP_OPS = (TileOp, InterchangeOp, PackOp, VectorizeOp, UnrollOp, ParallelizeOp, FuseEpilogueOp)


def transform_with_schedule_steps() -> Dialect:
    """xDSL's `transform` dialect extended with the schedule steps."""
    return Dialect("transform", [*transform.Transform.operations, *STEP_OPS],
                   list(transform.Transform.attributes))
