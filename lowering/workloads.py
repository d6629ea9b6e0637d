"""The tunable workloads of a module: each distinct linalg op, alone in a kernel function.

A *workload* is what the tuner tunes and the tuning database is keyed by: an op's name,
operand types and a digest of the op itself (indexing maps, body, attributes), so two
generics of the same types but different bodies, or convolutions with different strides,
stay apart. Tuning measures each workload as a kernel of its own (`kernel`: a module whose
function `@kernel` runs the op on its operands, outputs marked `{tessera.out}`), the way
TVM and Ansor extract tasks. Elementwise consumers the default schedule fuses into a
producer's epilogue are not workloads of their own; the schedule found for the producer
gets the program's fusion count when it is applied.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from math import prod

from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, MemRefType, ModuleOp, UnitAttr
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Region
from xdsl.printer import Printer

from tessera.compiler.schedule import LoopNest
from tessera.lowering.schedule import (
    SCHEDULE_ATTR,
    element_bytes,
    epilogue_chain,
    loop_nest,
    schedulable,
)

KERNEL = "kernel"
FUSE_LIMIT = 8  # as many consumers as the schedule pass looks for


@dataclass(frozen=True)
class Workload:
    key: str
    nest: LoopNest
    kernel: str  # MLIR text at the buffers level
    element_bytes: int
    fusable: int  # elementwise consumers fused into it in the program (first occurrence)
    count: int = 1  # occurrences in the program

    @property
    def iterations(self) -> int:
        return prod(self.nest.extents)


def workload_key(op: LinalgStructuredOperation, kernel: str | None = None) -> str:
    """Name, operand types and a digest of the op's kernel (where values have no names, so
    the same op keys alike in every program, whatever its arguments are called)."""
    digest = hashlib.sha256((kernel or kernel_text(op)).encode()).hexdigest()[:12]
    types = ", ".join(str(t) for t in op.operand_types)
    return f"{op.name}({types}) #{digest}"


def tunable(op: LinalgStructuredOperation) -> bool:
    """Static memref operands only (a scalar fill is not worth a search), affine indexing,
    and at least one loop."""
    return (all(isinstance(t, MemRefType) for t in op.operand_types)
            and schedulable(op) and bool(op.get_static_loop_ranges()))


def workloads(module: ModuleOp) -> list[Workload]:
    """The distinct tunable workloads of a buffers-level module, in program order."""
    found: dict[str, Workload] = {}
    fused: set = set()
    for op in list(module.walk()):
        if not isinstance(op, LinalgStructuredOperation) or op in fused:
            continue
        chain = epilogue_chain(op, FUSE_LIMIT, fused)
        fused.update(chain)
        if not tunable(op):
            continue
        kernel = kernel_text(op)
        key = workload_key(op, kernel)
        if key in found:
            previous = found[key]
            found[key] = Workload(key, previous.nest, previous.kernel, previous.element_bytes,
                                  previous.fusable, previous.count + 1)
            continue
        found[key] = Workload(key, loop_nest(op), kernel, element_bytes(op),
                              len(chain))
    return list(found.values())


def kernel_text(op: LinalgStructuredOperation) -> str:
    """A module with one function `@kernel` that runs a copy of `op` on its operands."""
    operands = list(dict.fromkeys(op.operands))
    outputs = set(op.outputs)
    block = Block(arg_types=[v.type for v in operands])
    copy = op.clone(value_mapper=dict(zip(operands, block.args)))
    copy.attributes.pop(SCHEDULE_ATTR, None)  # the kernel is measured under candidates
    for mark in ("tessera.conv_strategy", "tessera.conv_layout"):  # conv-strategy's decision
        copy.attributes.pop(mark, None)
    block.add_ops([copy, func.ReturnOp()])
    function = func.FuncOp(KERNEL, ([v.type for v in operands], []), Region(block))
    function.arg_attrs = _arg_attrs([v in outputs for v in operands])
    text = io.StringIO()
    Printer(stream=text).print_op(ModuleOp([function]))
    return text.getvalue() + "\n"


def _arg_attrs(is_out: list[bool]) -> ArrayAttr:
    return ArrayAttr([DictionaryAttr({"tessera.out": UnitAttr()} if out else {})
                      for out in is_out])

