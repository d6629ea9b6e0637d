"""The `npu` backend and the `npu-asm` target: from npu ops to programs, run on the simulator.

`programs(module)` reads each function of a module lowered by `linalg-to-npu` into a
`Program`: its memref parameters become `in` buffers (`out` for `{tessera.out}`), its
`memref.alloc`s `temp` buffers (`const` ones with `npu.const`), its npu ops the
instructions; a `func.call` is inlined (the callee's temporaries renamed `callee.name`).
Anything else left in a function (an op the NPU lowering does not handle yet) is a
located error.

`tessera run FILE --target npu [--npu-config gemmini,dataflow=ws]` and
`tessera.compile(..., target="npu")` go through `NpuBackend`, which also keeps the cycle
report of the last call (`call.report`; `call.events` and a Chrome trace file with
`trace=PATH`).
"""

from __future__ import annotations

from dataclasses import replace

from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import MemRefType, ModuleOp, StringAttr
from xdsl.ir import SSAValue
from xdsl.utils.target import Target

from tessera.compiler.diagnostics import TesseraError
from tessera.dialects.npu import CONFIG_ATTR, NpuOp
from tessera.lowering.npu_vector import CONST_ATTR
from tessera.targets import Compiled
from tessera.targets.npu.config import NpuConfig
from tessera.targets.npu.program import Buffer, Program

_DTYPES = {"f32": "f32", "i8": "i8", "i32": "i32"}
_IGNORED = (func.ReturnOp, memref.DeallocOp, arith.ConstantOp)


def programs(module: ModuleOp) -> dict[str, Program]:
    attr = module.attributes.get(CONFIG_ATTR)
    config = NpuConfig.parse(attr.data) if isinstance(attr, StringAttr) else NpuConfig()
    functions = {f.sym_name.data: f for f in module.ops
                 if isinstance(f, func.FuncOp) and not f.is_declaration}
    done: dict[str, Program] = {}

    def program(name: str, calling: tuple[str, ...] = ()) -> Program:
        if name in calling:
            raise TesseraError.at_op(functions[name], f"npu target: @{name} calls itself; "
                                                      f"NPU programs are inlined")
        if name not in done:
            done[name] = _program(functions[name], config,
                                  lambda callee: program(callee, (*calling, name)))
        return done[name]

    return {name: program(name) for name in functions}


def _buffer(name: str, value: SSAValue, role: str, at, constant: float = 0.0) -> Buffer:
    t = value.type
    element = str(t.get_element_type()) if isinstance(t, MemRefType) else ""
    if element not in _DTYPES:
        raise TesseraError.at_op(at, f"npu target: '{name}' is {t}; the NPU holds f32, i8 "
                                     f"and i32 buffers")
    return Buffer(name, _DTYPES[element], tuple(t.get_shape()), role, constant)


def _program(function: func.FuncOp, config: NpuConfig, callee) -> Program:
    names: dict[SSAValue, str] = {}
    buffers: list[Buffer] = []

    def unique(name: str) -> str:
        taken = {b.name for b in buffers}
        while name in taken:
            name += "_"
        return name

    arg_attrs = function.arg_attrs.data if function.arg_attrs else [None] * len(
        function.args)
    for i, (arg, attrs) in enumerate(zip(function.args, arg_attrs)):
        name = unique(arg.name_hint or f"arg{i}")
        role = "out" if attrs is not None and "tessera.out" in attrs.data else "in"
        names[arg] = name
        buffers.append(_buffer(name, arg, role, function))
    instructions = []
    for op in function.body.walk():
        if op is function or isinstance(op, _IGNORED):
            continue
        if isinstance(op, memref.AllocOp):
            constant = op.attributes.get(CONST_ATTR)
            name = unique(op.memref.name_hint or
                          (f"k{len(buffers)}" if constant is not None else f"t{len(buffers)}"))
            names[op.memref] = name
            buffers.append(_buffer(name, op.memref, "const" if constant is not None
                                   else "temp", op,
                                   float(constant.value.data) if constant is not None else 0.0))
        elif isinstance(op, NpuOp):
            instructions.append(op.to_instruction(lambda value: names[value]))
        elif isinstance(op, func.CallOp):
            inlined = callee(op.callee.root_reference.data)
            renamed = {}
            params = [b for b in inlined.buffers if b.role in ("in", "out")]
            for b, value in zip(params, op.arguments):
                renamed[b.name] = names[value]
            for b in inlined.buffers:
                if b.role not in ("in", "out"):
                    renamed[b.name] = unique(f"{inlined.name}.{b.name}")
                    buffers.append(replace(b, name=renamed[b.name]))
            instructions += [replace(i, dram=renamed[i.dram]) if hasattr(i, "dram") else i
                             for i in inlined.instructions]
        else:
            raise TesseraError.at_op(op, f"npu target: '{op.name}' does not run on the NPU "
                                         f"yet")
    return Program(function.sym_name.data, config, buffers, instructions)


class NpuAsmTarget(Target):
    """`tessera-opt -t npu-asm`: each function of an npu-lowered module as assembly."""

    name = "npu-asm"

    def emit(self, ctx, module: ModuleOp, output) -> None:
        from tessera.targets.npu import asm

        output.write("\n".join(asm.format(p) for p in programs(module).values()))


class NpuBackend:
    """Lower a graph module to npu programs; each call simulates one."""

    name = "npu"

    def __init__(self, config: str | NpuConfig = "gemmini", mode: str = "overlapped",
                 double_buffer: bool = False, trace: str | None = None,
                 tuning_db: str | None = None, conv: str = "im2col", optimize: bool = True):
        self.config = config if isinstance(config, NpuConfig) else NpuConfig.parse(config)
        if mode not in ("overlapped", "scalesim"):
            raise TesseraError(f"npu target: mode must be overlapped or scalesim, got {mode!r}")
        self.mode, self.double_buffer, self.trace = mode, double_buffer, trace
        self.tuning_db, self.conv = tuning_db, conv
        self.optimize = optimize  # False: lowered without the graph optimizations

    def pipeline(self) -> str:
        text = ",".join(f"{k}={v}" for k, v in self.config.to_json().items())
        tuned = f' tuning_db="{self.tuning_db}"' if self.tuning_db is not None else ""
        spec = (f'lower-to-buffers,linalg-to-npu{{config="{text}" '
                f'double_buffer={str(self.double_buffer).lower()} conv={self.conv}{tuned}}}')
        if self.optimize:
            return spec
        from tessera.compiler.pipelines import unoptimized

        return unoptimized(spec)

    def load(self, module: ModuleOp) -> dict[str, Compiled]:
        from tessera.compiler.pipelines import run_pipeline
        from tessera.compiler.registry import make_context
        from tessera.targets.npu.simulator import simulate, write_chrome_trace

        run_pipeline(self.pipeline(), make_context(), module)

        def entry(program: Program) -> Compiled:
            def call(*args):
                if len(args) != len(program.inputs):
                    raise TesseraError(f"@{program.name} takes {len(program.inputs)} "
                                       f"argument(s), got {len(args)}")
                inputs = {b.name: a for b, a in zip(program.inputs, args)}
                result = simulate(program, inputs, mode=self.mode,
                                  trace=self.trace is not None)
                if self.trace is not None:
                    write_chrome_trace(result, self.trace)
                call.report, call.events = result.report, result.trace
                return [result.outputs[b.name] for b in program.outputs]

            call.program = program
            call.report = call.events = None
            return call

        return {name: entry(p) for name, p in programs(module).items()}
