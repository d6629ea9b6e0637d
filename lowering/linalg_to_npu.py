"""`linalg-to-npu`: linalg ops on memrefs → npu instructions for the systolic array and
its vector unit.

    tessera-opt prog.tsr -p 'lower-to-buffers,linalg-to-npu{config="gemmini,dataflow=ws"}'

- `linalg.matmul` becomes the instruction stream `targets/npu/kernels.gemm` generates for
  the configured array and dataflow: operand tiles moved into the scratchpad, the
  stationary tile preloaded (weight- and input-stationary), one `compute` per fold with the
  temporal dimension as long as the memories allow, results moved out of the accumulators.
- `linalg.conv_2d_nchw_fchw` is the same GEMM per image, out[f, p] = w[f, k] · x[k, p] over
  the output pixels p = (oh, ow), in one of two forms (the schedule's `conv`): `im2col`
  (k = (c, kh, kw), the weights as they lie in DRAM) or `direct` (k = (kh, kw, c), tap by
  tap). Either way each tile is gathered straight from the image by strided moves
  (`targets/npu/moves.py`), so no im2col buffer exists; strides and dilations are the
  moves' strides.
- Every other op the vector unit can run (elementwise generics, padding copies, pooling
  and other window reductions, flatten, transpose, broadcast, reduce) goes through
  `npu_vector.py`; fills become broadcasts of a one-element constant buffer.
- The zero `linalg.fill` that initializes a matmul's or convolution's output is absorbed:
  the first compute of each output tile overwrites its accumulators.

`double_buffer=true` alternates two halves of each memory so the moves of the next tile
overlap the current compute; `conv=direct` picks the direct form. A matmul or convolution
with a `tessera.schedule` attribute,
or tuned in the tuning database (`tuning_db="PATH"`, else the default database when it
exists), takes its `dataflow` and `double_buffer` from there. The module records the configuration (`npu.config`), which
the op verifiers and the simulator read. An op none of this handles is left in place for
the NPU backend to report.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from xdsl.context import Context
import numpy as np
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import FloatAttr, ModuleOp, StringAttr, TensorType, f64
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.schedule import Schedule
from tessera.dialects.npu import CONFIG_ATTR, NPU_OPS, Instruction
from tessera.lowering.schedule import schedulable, to_generic
from tessera.lowering.npu_vector import CONST_ATTR, Unsupported, VectorLowering, constant_value
from tessera.targets.npu.moves import gather


@dataclass(frozen=True)
class LinalgToNpuPass(ModulePass):
    name = "linalg-to-npu"

    config: str = "gemmini"
    double_buffer: bool = False
    conv: str = "im2col"
    tuning_db: str = ""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from tessera.compiler.tuning.api import lookup_database
        from tessera.targets.npu.config import NpuConfig

        config = NpuConfig.parse(self.config)
        op.attributes[CONFIG_ATTR] = StringAttr(_config_text(config))
        if self.conv not in ("im2col", "direct"):
            raise TesseraError(f"linalg-to-npu: conv must be im2col or direct, got "
                               f"'{self.conv}'")
        database = lookup_database(self.tuning_db or None)
        default = Schedule(double_buffer=self.double_buffer, conv=self.conv)
        for function in [f for f in op.ops if isinstance(f, func.FuncOp)]:
            _Lowering(config, default, function, database).run()


def _config_text(config) -> str:
    return ",".join(f"{k}={v}" for k, v in config.to_json().items())


class _Lowering:
    """One function's linalg ops, in order, replaced by npu instructions."""

    def __init__(self, config, default: Schedule, function: func.FuncOp, tuning_db=None):
        self.config, self.default, self.function = config, default, function
        self.tuning_db = tuning_db
        self.values: dict[str, SSAValue] = {}  # DRAM names of the instructions -> buffers
        self.constants: dict[tuple, SSAValue] = {}
        self.vector = VectorLowering(config, self.constant, self.name)

    def name(self, value: SSAValue) -> str:
        for key, known in self.values.items():
            if known is value:
                return key
        key = f"v{len(self.values)}"
        self.values[key] = value
        return key

    def constant(self, value: float, element_type) -> SSAValue:
        """A one-element buffer holding `value`, allocated at the function's entry."""
        key = (value, str(element_type))
        if key not in self.constants:
            alloc = memref.AllocOp.get(element_type, shape=[1])
            alloc.attributes[CONST_ATTR] = FloatAttr(value, f64)
            block = self.function.body.block
            block.insert_op_before(alloc, block.first_op)
            self.constants[key] = alloc.memref
        return self.constants[key]

    def run(self) -> None:
        ops = [o for o in self.function.body.walk() if isinstance(o, LinalgStructuredOperation)]
        # Checked before anything is rewritten: the rewrites below assume buffers (a fill
        # on tensors, for one, has uses of its result that erasing it would leave behind).
        for op in ops:
            if any(isinstance(v.type, TensorType) for v in op.operands):
                raise TesseraError.at_op(op, f"linalg-to-npu: '{op.name}' works on tensors; "
                                             f"run bufferize first")
        absorbed: set[Operation] = set()
        for op in ops:
            if op in absorbed:
                continue
            if isinstance(op, (linalg.MatmulOp, linalg.Conv2DNchwFchwOp)):
                fill = _zero_fill(op, op.outputs[0])
                if fill is None and self._fresh_result(op):
                    fill = op  # runners hand results over zeroed: nothing to absorb
                if fill is None:
                    raise TesseraError.at_op(op, "linalg-to-npu: the op accumulates into a "
                                                 "buffer not zeroed just before; only C = A·B "
                                                 "maps onto the array yet")
                config, schedule = self.mapping(op)
                instructions = (
                    self.matmul(op, absorbed, config, schedule.double_buffer)
                    if isinstance(op, linalg.MatmulOp)
                    else self.conv(op, absorbed, config, schedule.double_buffer,
                                   schedule.conv or "im2col"))
                self.replace(op, instructions)
                # Nothing runs between the fill and the op, and the op's stream writes every
                # element before anything reads it: the zeros are never seen.
                if fill is not op:
                    fill.detach()
                    fill.erase()
                    absorbed.add(fill)
            elif isinstance(op, linalg.FillOp):
                if self._feeds_array(op):
                    continue  # absorbed when its matmul or convolution is lowered
                try:
                    self.replace(op, self.vector.fill(op))
                except Unsupported:
                    continue  # left for the backend to report
            else:  # on the vector unit, as a generic (transpose, reduce, broadcast, pool)
                generic = op if isinstance(op, linalg.GenericOp) else (
                    to_generic(op) if schedulable(op) else None)
                if generic is None:
                    continue
                requantized = _requantized(generic.inputs[0], None) if len(
                    generic.inputs) == 1 else None
                try:
                    if requantized is not None and requantized[0] is generic:
                        self.replace(generic, self.vector.requantize(generic, requantized[2]))
                    else:
                        self.replace(generic, self.vector.generic(generic))
                except Unsupported:
                    continue  # left for the backend to report

    def _fresh_result(self, op: Operation) -> bool:
        """Whether the op's output is a `{tessera.out}` argument nothing wrote before it
        (a kernel measured by the tuner): the caller zeroes results."""
        value = op.outputs[0]
        args = list(self.function.args)
        if value not in args or self.function.arg_attrs is None:
            return False
        if "tessera.out" not in self.function.arg_attrs.data[args.index(value)].data:
            return False
        earlier = op.prev_op
        while earlier is not None:
            if value in earlier.operands:
                return False
            earlier = earlier.prev_op
        return True

    def _feeds_array(self, fill: linalg.FillOp) -> bool:
        following = fill.next_op
        while isinstance(following, (memref.AllocOp, arith.ConstantOp)):
            following = following.next_op
        return (isinstance(following, (linalg.MatmulOp, linalg.Conv2DNchwFchwOp))
                and following.outputs[0] == fill.outputs[0])

    def replace(self, op: Operation, instructions: list[Instruction]) -> None:
        new = []
        for instruction in instructions:
            dram = getattr(instruction, "dram", None)
            npu_op = NPU_OPS[type(instruction)].of(
                instruction, self.values[dram] if dram is not None else None)
            npu_op.location = op.location
            new.append(npu_op)
        block = op.parent_block()
        assert block is not None
        block.insert_ops_before(new, op)
        op.detach()
        op.erase()

    # -- the systolic array -------------------------------------------------------------------

    def _operands(self, op: Operation, absorbed: set) -> tuple[list[SSAValue], SSAValue, float]:
        """The op's inputs, its output and the scale on the way out, as the array sees them.

        An f32 op runs as it is on an f32 array. On an i8 array the op is the quantized
        pattern `requantize(widen(a) op widen(b))`: the widened inputs are read as the i8
        buffers they were widened from, and the result goes straight to the requantized
        buffer with the scale (no requantize: the i32 accumulators themselves)."""
        inputs, (output,) = list(op.inputs), list(op.outputs)
        kind = op.name.split(".")[-1]
        elements = {str(v.type.get_element_type()) for v in op.operands}
        if self.config.dtype == "f32":
            if elements != {"f32"}:
                raise TesseraError.at_op(
                    op, f"linalg-to-npu: a {'/'.join(sorted(elements))} {kind} on an array "
                        f"that multiplies f32 (configure dtype=i8 for quantized ops)")
            return inputs, output, 1.0
        widened = [_widened(v) for v in inputs]
        if any(w is None for w in widened) or str(output.type.get_element_type()) != "i32":
            spelled = ("requantize(widen(a) @ widen(b), scale)" if kind == "matmul"
                       else "requantize(conv2d(widen(x), widen(w)), scale)")
            raise TesseraError.at_op(
                op, f"linalg-to-npu: an i8 array multiplies i8 inputs into i32 accumulators "
                    f"(write the {kind} as {spelled})")
        sources = []
        for value, (generic, source) in zip(inputs, widened):
            sources.append(source)
            if all(use.operation in (generic, op) or isinstance(use.operation, memref.DeallocOp)
                   for use in value.uses):
                absorbed.add(generic)
                generic.detach()
                generic.erase()
        requantized = _requantized(output, op)
        if requantized is None:
            return sources, output, 1.0
        generic, target, scale = requantized
        absorbed.add(generic)
        generic.detach()
        generic.erase()
        _define_before(target, op)  # the op's stream now writes the requantized buffer
        return sources, target, scale

    def mapping(self, op: Operation):
        """The configuration (its dataflow) and the schedule (double buffering, the form of
        a convolution) this op runs with: its `tessera.schedule` attribute's, else the
        tuning database's best, else the pass's options."""
        from tessera.lowering.schedule import SCHEDULE_ATTR, schedule_from_attr

        schedule = None
        if SCHEDULE_ATTR in op.attributes:
            schedule = schedule_from_attr(op, op.attributes[SCHEDULE_ATTR])
        elif self.tuning_db is not None:
            from tessera.lowering.workloads import tunable, workload_key
            from tessera.targets.npu.tuning import tuned_schedule

            if tunable(op):
                schedule = tuned_schedule(workload_key(op), self.tuning_db, self.config)
        if schedule is None:
            return self.config, self.default
        dataflow = schedule.dataflow or self.config.dataflow
        return replace(self.config, dataflow=dataflow), schedule

    def matmul(self, op: linalg.MatmulOp, absorbed: set, config,
               double_buffer: bool) -> list[Instruction]:
        from tessera.targets.npu.kernels import gemm

        (a, b), c, scale = self._operands(op, absorbed)
        (m, k), (_, n) = a.type.get_shape(), b.type.get_shape()
        return gemm(config, m, k, n, self.name(a), self.name(b), self.name(c),
                    double_buffer=double_buffer, scale=scale)

    def conv(self, op: linalg.Conv2DNchwFchwOp, absorbed: set, config,
             double_buffer: bool, form: str) -> list[Instruction]:
        """Per image, a GEMM out[f, p] = Σ_k w[f, k] · x[k, p] over the output pixels
        p = (oh, ow), its tiles gathered straight from the image and the weights:

        - `im2col` reduces over k = (c, kh, kw), the weights' own layout, so the weights are
          the A matrix as they lie in DRAM and each B row is one filter tap of one channel;
        - `direct` reduces over k = (kh, kw, c), tap by tap as the seven-loop convolution
          does: each tap is a GEMM of the weights' slice for that tap (a strided gather)
          with the image shifted by the tap (whole channel planes, one move per tile)."""
        from tessera.targets.npu.kernels import gemm

        (x, w), out, scale = self._operands(op, absorbed)
        batch, channels, height, width = x.type.get_shape()
        filters, _, kh, kw = w.type.get_shape()
        _, _, oh, ow = out.type.get_shape()
        sh, sw = _pair(op, "strides")
        dh, dw = _pair(op, "dilations")
        k_total, pixels = channels * kh * kw, oh * ow
        x_name, w_name = self.name(x), self.name(w)

        def taps(k, kt):
            """(channel, row, column) of reduction indices k..k+kt."""
            if form == "direct":
                r, s, c = np.unravel_index(np.arange(k, k + kt), (kh, kw, channels))
            else:
                c, r, s = np.unravel_index(np.arange(k, k + kt), (channels, kh, kw))
            return c, r, s

        def load_a(region, i, m, k, kt):
            c, r, s = taps(k, kt)
            rows = np.arange(i, i + m) * k_total
            cols = c * kh * kw + r * kw + s
            return gather(w_name, (rows[:, None] + cols[None, :]).ravel(), region)

        instructions: list[Instruction] = []
        for image in range(batch):
            base = image * channels * height * width

            def load_b(region, k, kt, j, n, base=base):
                c, r, s = taps(k, kt)
                y, xx = np.unravel_index(np.arange(j, j + n), (oh, ow))
                rows = base + c * height * width + r * dh * width + s * dw
                cols = y * sh * width + xx * sw
                return gather(x_name, (rows[:, None] + cols[None, :]).ravel(), region)

            instructions += gemm(config, filters, k_total, pixels, w_name, x_name,
                                 self.name(out), c_offset=image * filters * pixels,
                                 double_buffer=double_buffer, scale=scale, load_b=load_b,
                                 load_a=load_a if form == "direct" else None)
        return instructions


def _define_before(value: SSAValue, op: Operation) -> None:
    """Move the `memref.alloc` of `value` above `op` if it comes after it."""
    alloc = value.owner
    if not isinstance(alloc, memref.AllocOp) or alloc.parent_block() is not op.parent_block():
        return
    later = op.next_op
    while later is not None and later is not alloc:
        later = later.next_op
    if later is alloc:
        alloc.detach()
        op.parent_block().insert_op_before(alloc, op)


def _body(generic: linalg.GenericOp) -> list[Operation]:
    return list(generic.body.block.ops)


def _widened(value: SSAValue) -> tuple[linalg.GenericOp, SSAValue] | None:
    """(the generic, its i8 source) when `value` is written by an elementwise sign
    extension of an i8 buffer of the same shape (a lowered `graph.widen`)."""
    for use in value.uses:
        generic = use.operation
        if (isinstance(generic, linalg.GenericOp) and value in generic.outputs
                and len(generic.inputs) == 1
                and [o.name for o in _body(generic)] == ["arith.extsi", "linalg.yield"]
                and str(generic.inputs[0].type.get_element_type()) == "i8"
                and generic.inputs[0].type.get_shape() == value.type.get_shape()
                and len({str(m) for m in generic.indexing_maps}) == 1):
            return generic, generic.inputs[0]
    return None


def _requantized(value: SSAValue, producer: Operation):
    """(the generic, its i8 output, the scale) when the only reader of `value` after
    `producer` is an elementwise requantization (a lowered `graph.requantize`)."""
    readers = [use.operation for use in value.uses
               if use.operation is not producer
               and isinstance(use.operation, LinalgStructuredOperation)
               and value in use.operation.inputs]
    if len(readers) != 1 or not isinstance(readers[0], linalg.GenericOp):
        return None
    generic = readers[0]
    names = [o.name for o in _body(generic)]
    if (list(generic.inputs) != [value] or "math.roundeven" not in names
            or "arith.fptosi" not in names or len({str(m) for m in generic.indexing_maps}) != 1):
        return None
    scale = next((constant_value(o.results[0]) for o in _body(generic)
                  if isinstance(o, arith.ConstantOp)), None)
    if scale is None:
        return None
    return generic, generic.outputs[0], scale


def _pair(op: Operation, name: str) -> tuple[int, int]:
    attr = op.attributes.get(name) or op.properties.get(name)
    if attr is None:
        return 1, 1
    values = [int(v) for v in attr.get_values()]
    return (values[0], values[1]) if len(values) == 2 else (values[0], values[0])


def _zero_fill(op: Operation, c: SSAValue) -> linalg.FillOp | None:
    """The `linalg.fill` of zero into `c` that the op follows, if there is one."""
    previous = op.prev_op
    while previous is not None and isinstance(previous, (memref.AllocOp, arith.ConstantOp)):
        previous = previous.prev_op
    if not isinstance(previous, linalg.FillOp) or previous.outputs[0] != c:
        return None
    value = constant_value(previous.inputs[0])
    return previous if value == 0.0 else None
