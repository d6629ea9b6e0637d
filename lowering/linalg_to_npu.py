"""`linalg-to-npu`: linalg matmuls on memrefs → npu instructions for the systolic array.

    tessera-opt prog.tsr -p 'lower-to-buffers,linalg-to-npu{config="gemmini,dataflow=ws"}'

Each `linalg.matmul` becomes the instruction stream `targets/npu/kernels.gemm` generates
for the configured array and dataflow: operand tiles moved into the scratchpad, the
stationary tile preloaded (weight- and input-stationary), one `compute` per fold with the
temporal dimension as long as the memories allow, results moved out of the accumulators.
`double_buffer=true` alternates two halves of each memory so the moves of the next tile
overlap the current compute. The module records the configuration (`npu.config`), which
the op verifiers and the simulator read.

The zero `linalg.fill` that initializes a matmul's output is absorbed: the first compute of
each output tile overwrites its accumulators. A matmul accumulating into anything else, and
every other op, is left for a later lowering (the NPU backend reports what remains).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, memref
from xdsl.dialects.builtin import (
    FloatAttr,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from tessera.compiler.diagnostics import TesseraError
from tessera.dialects.npu import CONFIG_ATTR, NPU_OPS


@dataclass(frozen=True)
class LinalgToNpuPass(ModulePass):
    name = "linalg-to-npu"

    config: str = "gemmini"
    double_buffer: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from tessera.targets.npu.config import NpuConfig

        config = NpuConfig.parse(self.config)
        op.attributes[CONFIG_ATTR] = StringAttr(_config_text(config))
        for matmul in [o for o in op.walk() if isinstance(o, linalg.MatmulOp)]:
            lower_matmul(matmul, config, self.double_buffer)


def _config_text(config) -> str:
    return ",".join(f"{k}={v}" for k, v in config.to_json().items())


def lower_matmul(matmul: linalg.MatmulOp, config, double_buffer: bool) -> None:
    from tessera.targets.npu.kernels import gemm

    a, b = matmul.inputs
    (c,) = matmul.outputs
    types = [v.type for v in (a, b, c)]
    if not all(isinstance(t, MemRefType) for t in types):
        raise TesseraError.at_op(matmul, "linalg-to-npu: the matmul works on tensors; run "
                                         "bufferize first")
    elements = {t.get_element_type().__str__() for t in types}
    expected = {"f32"} if config.dtype == "f32" else None
    if expected is None or elements != expected:
        raise TesseraError.at_op(
            matmul, f"linalg-to-npu: a {'/'.join(sorted(elements))} matmul on an array that "
                    f"multiplies {config.dtype} (f32 matmuls run on an f32 array)")
    fill = _zero_fill(matmul, c)
    if fill is None:
        raise TesseraError.at_op(matmul, "linalg-to-npu: the matmul accumulates into a "
                                         "buffer not zeroed just before; only C = A·B maps "
                                         "onto the array yet")
    (m, k), (_, n) = types[0].get_shape(), types[1].get_shape()
    buffers = {"a": a, "b": b, "c": c}
    ops: list[Operation] = []
    for instruction in gemm(config, m, k, n, double_buffer=double_buffer):
        dram = getattr(instruction, "dram", None)
        op = NPU_OPS[type(instruction)].of(instruction, buffers[dram] if dram else None)
        op.location = matmul.location
        ops.append(op)
    block = matmul.parent_block()
    assert block is not None
    block.insert_ops_before(ops, matmul)
    matmul.detach()
    matmul.erase()
    # Nothing runs between the fill and the matmul, and the matmul's stream writes every
    # element of C before anything reads it: the zeros are never seen.
    fill.detach()
    fill.erase()


def _zero_fill(matmul: linalg.MatmulOp, c: SSAValue) -> linalg.FillOp | None:
    """The `linalg.fill` of zero into `c` that the matmul follows, if there is one."""
    op = matmul.prev_op
    while op is not None and isinstance(op, (memref.AllocOp, arith.ConstantOp)):
        op = op.prev_op
    if not isinstance(op, linalg.FillOp) or op.outputs[0] != c:
        return None
    value = op.inputs[0]
    constant = value.owner if isinstance(value.owner, arith.ConstantOp) else None
    if constant is None:
        return None
    attr = constant.value
    if isinstance(attr, (FloatAttr, IntegerAttr)) and float(attr.value.data) == 0.0:
        return op
    return None
