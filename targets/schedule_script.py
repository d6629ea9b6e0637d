"""The `transform` target: the schedule each linalg op gets, printed as a transform script.

`tessera-opt prog.tsr -p lower-to-buffers -t transform` prints, for every schedulable op on
memrefs, the schedule the `schedule` pass would apply (its `tessera.schedule` attribute, else
the default heuristic) as `transform.tessera.*` steps: a starting point to edit and replay
with `-p 'lower-to-buffers,transform-interpreter{script=FILE},lower-to-c'`. Ops with the
same name and operand types share one workload, so one entry covers them all.
"""

from __future__ import annotations

from typing import IO

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.utils.target import Target

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.schedule import Workload, transform_script


class ScheduleScriptTarget(Target):
    name = "transform"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        from tessera.lowering.schedule import SchedulePass, epilogue_chain, schedulable

        chooser = SchedulePass()
        entries: dict[Workload, object] = {}
        fused: set = set()
        for op in module.walk():
            if not isinstance(op, LinalgStructuredOperation) or op in fused:
                continue
            if any(isinstance(t, TensorType) for t in op.operand_types):
                raise TesseraError.at_op(op, "transform target: run lower-to-buffers first "
                                             "(schedules apply to linalg on memrefs)")
            if not schedulable(op):
                continue
            record = chooser.record_for(op, fused)
            if record is None or record.is_empty():
                continue  # replaying gives such ops the same plain loops anyway
            if record.fuse:
                fused.update(epilogue_chain(op, record.fuse, fused))
            workload = Workload(op.name, tuple(str(t) for t in op.operand_types))
            entries.setdefault(workload, record)
        output.write(transform_script(list(entries.items())))
