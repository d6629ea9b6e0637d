"""`transform-interpreter`: replay a transform-dialect script, schedule steps included.

xDSL's interpreter, extended with Tessera's `transform.tessera.*` steps (each updates the
`tessera.schedule` attribute of the ops its handle names, checked as it goes so an illegal
step is reported at the payload op with the step's name), with `filter_operand_types` in
`transform.structured.match` (to tell apart two matmuls of different shapes), and with
Tessera's passes available to `transform.apply_registered_pass`.

The script is the `@__transform_main` named sequence of the payload module, or of the file
given as `script=FILE` (MLIR's `transform-preload-library`), which keeps a tuned schedule
apart from the program it tunes.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import builtin, transform
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.interpreter import Interpreter, PythonValues, impl, register_impls
from xdsl.interpreters.transform import OperationHandle, TransformFunctions
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import InterpretationError

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.schedule import Schedule, ScheduleError
from tessera.dialects import schedule_transform as steps
from tessera.lowering.schedule import (
    SCHEDULE_ATTR,
    loop_nest,
    schedule_from_attr,
    schedule_to_attr,
)


def _apply_step(op: steps.ScheduleStepOp, payload: Operation) -> None:
    if not isinstance(payload, LinalgStructuredOperation):
        raise TesseraError.at_op(op, f"{op.name}: the handle names '{payload.name}', not a "
                                     f"linalg op")
    current = payload.attributes.get(SCHEDULE_ATTR)
    schedule = schedule_from_attr(payload, current) if current is not None else Schedule()
    schedule = op.record(schedule)
    try:
        schedule.validate(loop_nest(payload))
    except ScheduleError as e:
        raise ScheduleError.at_op(payload, f"{e.message} (at {op.name})") from None
    payload.attributes[SCHEDULE_ATTR] = schedule_to_attr(schedule)


class ScheduleTransformFunctions(TransformFunctions):
    @impl(transform.MatchOp)
    def run_match_op(self, interpreter: Interpreter, op: transform.MatchOp,
                     args: PythonValues) -> PythonValues:
        wanted = op.filter_operand_types
        if wanted is None:
            return super().run_match_op(interpreter, op, args).values  # the impl's result
        op.filter_operand_types = None
        try:
            (matches,) = super().run_match_op(interpreter, op, args).values
        finally:
            op.filter_operand_types = wanted
        types = tuple(wanted.data)
        return (OperationHandle(*(m for m in matches.ops if tuple(m.operand_types) == types)),)

    def run_step(self, interpreter: Interpreter, op: steps.ScheduleStepOp,
                 args: PythonValues) -> PythonValues:
        (targets,) = args
        for payload in targets.ops:
            _apply_step(op, payload)
        return ()


# Every schedule step runs the same way; xDSL dispatches on the exact op class, so register
# `run_step` once per step op before the implementations are collected.
for _step in steps.STEP_OPS:
    setattr(ScheduleTransformFunctions, f"run_{_step.name.rsplit('.', 1)[1]}",
            impl(_step)(ScheduleTransformFunctions.run_step))
register_impls(ScheduleTransformFunctions)


@dataclass(frozen=True)
class TransformInterpreterPass(ModulePass):
    """Run the `@__transform_main` transform script on the module (see module docstring)."""

    name = "transform-interpreter"

    entry_point: str = "__transform_main"
    script: str = ""

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        from tessera.compiler.registry import all_passes

        container = op if not self.script else self.read_script(ctx)
        sequence = next((s for s in container.walk()
                         if isinstance(s, transform.NamedSequenceOp)
                         and s.sym_name.data == self.entry_point), None)
        if sequence is None:
            where = self.script or "the module"
            raise TesseraError(f"transform-interpreter: no transform.named_sequence "
                               f"@{self.entry_point} in {where}")
        interpreter = Interpreter(container)
        interpreter.register_implementations(ScheduleTransformFunctions(ctx, all_passes()))
        if container is op:
            # The payload's passes must not see the script, and the output is the payload
            # alone (a script module left empty goes too).
            holder = sequence.parent_op()
            sequence.detach()
            if holder is not op and isinstance(holder, builtin.ModuleOp) \
                    and not holder.body.block.ops:
                holder.detach()
                holder.erase()
        try:
            interpreter.call_op(sequence, (OperationHandle(op),))
        except InterpretationError as e:
            raise TesseraError.at_op(sequence, f"transform-interpreter: {e}") from None

    def read_script(self, ctx: Context) -> builtin.ModuleOp:
        from tessera.compiler.frontend.mlir_reader import parse_mlir

        try:
            with open(self.script) as f:
                text = f.read()
        except OSError as e:
            raise TesseraError(f"transform-interpreter: cannot read {self.script}: "
                               f"{e.strerror}") from None
        return parse_mlir(ctx, text, self.script)
