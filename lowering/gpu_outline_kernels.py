"""`gpu-outline-kernels`: each `gpu.launch` body → a `gpu.func` kernel + `gpu.launch_func`.

What MLIR's `gpu-kernel-outlining` does, which xDSL 0.74 lacks. For a launch in function @f:
- the values its body uses but does not define become the kernel's parameters, in order of
  first use, except constants and `memref.get_global`s, which are cloned into the kernel
  (sunk), so a kernel reads constant weights from device globals, not through arguments;
- the body's block arguments become `gpu.block_id`, `gpu.thread_id`, `gpu.grid_dim` and
  `gpu.block_dim` ops (only those used);
- the kernel, `@f_k<N>` (N counting the launches of @f), goes into the module's single
  `gpu.module @kernels`; it carries `gpu.known_block_size` when the launch's block size is
  constant (the CUDA emitter prints it as `__launch_bounds__`);
- the launch becomes `gpu.launch_func @kernels::@f_k<N>` with the same grid and block sizes,
  and the top-level module gets `gpu.container_module`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, gpu, memref
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, SymbolRefAttr, UnitAttr
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass

KERNELS_MODULE = "kernels"
_SINKABLE = (arith.ConstantOp, memref.GetGlobalOp)
# The launch body's 12 arguments: block ids, thread ids, grid sizes, block sizes.
_ID_OPS = (gpu.BlockIdOp, gpu.ThreadIdOp, gpu.GridDimOp, gpu.BlockDimOp)


def _constant(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def _captured(launch: gpu.LaunchOp) -> list[SSAValue]:
    """Values used in the launch body and defined outside it, in order of first use."""
    inside: set[Operation] = set(launch.body.walk())
    seen: dict[SSAValue, None] = {}
    for op in launch.body.walk():
        for operand in op.operands:
            owner = operand.owner
            defined_inside = (owner in inside if isinstance(owner, Operation)
                              else owner.parent_op() in inside or owner.parent_op() is launch)
            if not defined_inside:
                seen.setdefault(operand, None)
    return list(seen)


def kernels_module(module: ModuleOp) -> gpu.ModuleOp:
    for op in module.ops:
        if isinstance(op, gpu.ModuleOp) and op.sym_name.data == KERNELS_MODULE:
            return op
    kernels = gpu.ModuleOp(StringAttr(KERNELS_MODULE), Region(Block()))
    module.body.block.add_op(kernels)
    return kernels


def outline(launch: gpu.LaunchOp, name: str, kernels: gpu.ModuleOp) -> gpu.LaunchFuncOp:
    captured = _captured(launch)
    params = [v for v in captured if not isinstance(v.owner, _SINKABLE)]
    block_size = [_constant(v) for v in (launch.blockSizeX, launch.blockSizeY,
                                          launch.blockSizeZ)]
    kernel = gpu.FuncOp(name, ([v.type for v in params], []), kernel=True,
                        known_block_size=block_size if None not in block_size else None)
    kernel.location = launch.location
    entry = kernel.body.block
    for value, arg in zip(params, entry.args):
        arg.name_hint = value.name_hint
    mapping: dict[SSAValue, SSAValue] = dict(zip(params, entry.args))
    body = launch.body.block
    for value in captured:
        if isinstance(value.owner, _SINKABLE):
            clone = value.owner.clone()
            entry.add_op(clone)
            mapping[value] = clone.results[0]
    for position, arg in enumerate(body.args):
        if not arg.uses:
            continue
        op_type = _ID_OPS[position // 3]
        id_op = op_type(gpu.DimensionAttr(list(gpu.DimensionEnum)[position % 3]))
        id_op.location = launch.location
        entry.add_op(id_op)
        mapping[arg] = id_op.result
    for op in list(body.ops):
        op.detach()
        if isinstance(op, gpu.TerminatorOp):
            op.erase()
            continue
        entry.add_op(op)
    for old, new in mapping.items():
        for use in list(old.uses):
            if _within(use.operation, kernel):
                use.operation.operands[use.index] = new
    done = gpu.ReturnOp([])
    done.location = launch.location
    entry.add_op(done)
    kernels.body.block.add_op(kernel)
    call = gpu.LaunchFuncOp(
        SymbolRefAttr(KERNELS_MODULE, [StringAttr(name)]),
        [launch.gridSizeX, launch.gridSizeY, launch.gridSizeZ],
        [launch.blockSizeX, launch.blockSizeY, launch.blockSizeZ],
        kernelOperands=params,
    )
    call.location = launch.location
    parent = launch.parent_block()
    assert parent is not None
    parent.insert_op_before(call, launch)
    launch.detach()
    launch.erase()
    return call


def _within(op: Operation, ancestor: Operation) -> bool:
    current: Operation | None = op
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent_op()
    return False


@dataclass(frozen=True)
class GpuOutlineKernelsPass(ModulePass):
    """Outline every `gpu.launch` body into a kernel (see the module docstring)."""

    name = "gpu-outline-kernels"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        launches = [(function, launch) for function in op.ops if isinstance(function, func.FuncOp)
                    for launch in function.walk() if isinstance(launch, gpu.LaunchOp)]
        if not launches:
            return
        kernels = kernels_module(op)
        op.attributes["gpu.container_module"] = UnitAttr()
        taken = {k.sym_name.data for k in kernels.body.block.ops if isinstance(k, gpu.FuncOp)}
        counts: dict[str, int] = {}
        for function, launch in launches:
            base = function.sym_name.data
            while True:
                n = counts.get(base, 0)
                counts[base] = n + 1
                name = f"{base}_k{n}"
                if name not in taken:
                    break
            taken.add(name)
            outline(launch, name, kernels)
