"""The `npu` instruction set: each instruction declared once, with its fields, its assembly
template and its reference semantics side by side (in the manner of Exo's instructions).

The machine (configured by `targets/npu/config.py`) has DRAM (named buffers: the program's
arguments, results and temporaries), a scratchpad `sp` of input elements and an accumulator
memory `acc` of accumulator elements (i32 for i8 inputs, else f32), a systolic array of
rows × cols processing elements, and a vector unit. Local memories are addressed by element;
a `Region` is rows × cols contiguous elements at an address, written `sp[addr:ROWSxCOLS]`.

Three in-order queues run the instructions (`queue`): *load* (`mvin`), *execute*
(`preload`, `compute`, `vector`) and *store* (`mvout`); `config` and `fence` are handled at
issue. The timing of each queue lives with the simulator (`targets/npu/simulator.py`);
what an instruction *does* is its `run` method here, on a `Machine` holding the memories.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar, Protocol

import numpy as np

MEMORIES = ("sp", "acc")
ACTIVATIONS = ("none", "relu")
VECTOR_OPS = ("add", "sub", "mul", "div", "max", "min", "relu", "exp", "copy", "scale")
UNARY_VECTOR_OPS = ("relu", "exp", "copy", "scale")


class Machine(Protocol):
    """What an instruction's semantics read and write."""

    sp: np.ndarray  # flat, of the input element type
    acc: np.ndarray  # flat, of the accumulator type
    dram: dict[str, np.ndarray]  # flat buffers by name
    dataflow: str
    stationary: Region | None  # the last preloaded tile


@dataclass(frozen=True)
class Region:
    memory: str
    addr: int
    rows: int
    cols: int

    @property
    def size(self) -> int:
        return self.rows * self.cols

    @property
    def end(self) -> int:
        return self.addr + self.size

    def __str__(self) -> str:
        return f"{self.memory}[{self.addr}:{self.rows}x{self.cols}]"

    def view(self, machine: Machine) -> np.ndarray:
        memory = getattr(machine, self.memory)
        return memory[self.addr:self.end].reshape(self.rows, self.cols)

    def overlaps(self, other: Region) -> bool:
        return (self.memory == other.memory and self.addr < other.end
                and other.addr < self.end)


_REGION = re.compile(r"(sp|acc)\[(\d+):(\d+)x(\d+)\]")


def parse_region(text: str) -> Region:
    match = _REGION.fullmatch(text.strip())
    if not match:
        raise ValueError(f"expected a region such as sp[0:16x16], got '{text}'")
    memory, addr, rows, cols = match.groups()
    return Region(memory, int(addr), int(rows), int(cols))


class Instruction:
    """Base of the instructions: an assembly template over the dataclass fields."""

    mnemonic: ClassVar[str]
    queue: ClassVar[str]  # load | execute | store | issue
    template: ClassVar[str]  # the operands after the mnemonic, `{field}` per field

    def asm(self) -> str:
        values = {f.name: _text(getattr(self, f.name)) for f in fields(self)}  # type: ignore
        operands = self.template.format(**values)
        return f"{self.mnemonic} {operands}".rstrip()

    def reads(self) -> tuple[Region, ...]:
        return ()

    def writes(self) -> tuple[Region, ...]:
        return ()

    def run(self, machine: Machine) -> None:
        raise NotImplementedError(f"{self.mnemonic} declares no semantics")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "accumulate" if value else "overwrite"
    if isinstance(value, float):
        return repr(value)
    return str(value)


# -- the instructions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(Instruction):
    """Set the dataflow later `preload`/`compute` run with."""

    dataflow: str
    mnemonic: ClassVar[str] = "config"
    queue: ClassVar[str] = "issue"
    template: ClassVar[str] = "dataflow={dataflow}"

    def run(self, machine: Machine) -> None:
        machine.dataflow = self.dataflow


@dataclass(frozen=True)
class Mvin(Instruction):
    """dst[r, c] = dram[offset + r·stride + c·cstride]: a 2-D strided move into sp or acc.
    A column stride of 0 broadcasts a value along the row (a bias), of 2 takes every other
    element (a pooling window), and rows of an im2col matrix are rows of the image."""

    dst: Region
    dram: str
    offset: int
    stride: int
    cstride: int = 1
    mnemonic: ClassVar[str] = "mvin"
    queue: ClassVar[str] = "load"
    template: ClassVar[str] = "{dst}, {dram}[{offset}], stride={stride}, cstride={cstride}"

    def writes(self) -> tuple[Region, ...]:
        return (self.dst,)

    def run(self, machine: Machine) -> None:
        source = _strided(machine.dram[self.dram], self.offset, self.stride, self.dst.rows,
                          self.dst.cols, self.cstride)
        target = self.dst.view(machine)
        target[...] = source.astype(target.dtype)


@dataclass(frozen=True)
class Mvout(Instruction):
    """dram[offset + r·stride + c] = requantize(act(src[r, c]) · scale): out of acc or sp.
    Into an i8 buffer the value is rounded to nearest even and saturated."""

    src: Region
    dram: str
    offset: int
    stride: int
    act: str = "none"
    scale: float = 1.0
    mnemonic: ClassVar[str] = "mvout"
    queue: ClassVar[str] = "store"
    template: ClassVar[str] = "{dram}[{offset}], stride={stride}, {src}, act={act}, scale={scale}"

    def reads(self) -> tuple[Region, ...]:
        return (self.src,)

    def run(self, machine: Machine) -> None:
        values = self.src.view(machine)
        out = machine.dram[self.dram]
        if self.act == "relu":
            values = np.maximum(values, 0)
        if out.dtype.kind == "i":
            info = np.iinfo(out.dtype)
            scaled = np.rint(values.astype(np.float64) * self.scale)
            values = np.clip(scaled, info.min, info.max)
        elif self.scale != 1.0:
            values = values * np.asarray(self.scale, dtype=values.dtype)
        target = _strided(out, self.offset, self.stride, self.src.rows, self.src.cols)
        target[...] = values.astype(out.dtype)


@dataclass(frozen=True)
class Preload(Instruction):
    """Load the stationary tile into the array: the weights (k×n) under `ws`, the inputs
    (m×k) under `is`; `compute` then streams the other operand past it."""

    src: Region
    mnemonic: ClassVar[str] = "preload"
    queue: ClassVar[str] = "execute"
    template: ClassVar[str] = "{src}"

    def reads(self) -> tuple[Region, ...]:
        return (self.src,)

    def run(self, machine: Machine) -> None:
        machine.stationary = self.src


@dataclass(frozen=True)
class Compute(Instruction):
    """c = (c if accumulate else 0) + a·b, with a (m×k) and b (k×n) in sp, c (m×n) in acc,
    products and sums in the accumulator type."""

    c: Region
    a: Region
    b: Region
    accumulate: bool = True
    mnemonic: ClassVar[str] = "compute"
    queue: ClassVar[str] = "execute"
    template: ClassVar[str] = "{c}, {a}, {b}, {accumulate}"

    @property
    def mkn(self) -> tuple[int, int, int]:
        return self.a.rows, self.a.cols, self.b.cols

    def reads(self) -> tuple[Region, ...]:
        return (self.a, self.b, self.c) if self.accumulate else (self.a, self.b)

    def writes(self) -> tuple[Region, ...]:
        return (self.c,)

    def run(self, machine: Machine) -> None:
        c = self.c.view(machine)
        product = self.a.view(machine).astype(c.dtype) @ self.b.view(machine).astype(c.dtype)
        c[...] = c + product if self.accumulate else product


@dataclass(frozen=True)
class Vector(Instruction):
    """dst = op(a, b): elementwise on the vector unit (`lanes` elements a cycle); b is
    None for the unary ops, `imm` the scalar of `scale`."""

    op: str
    dst: Region
    a: Region
    b: Region | None = None
    imm: float = 1.0
    mnemonic: ClassVar[str] = "vector"
    queue: ClassVar[str] = "execute"
    template: ClassVar[str] = "{op} {dst}, {a}, {b}, imm={imm}"

    def reads(self) -> tuple[Region, ...]:
        return (self.a,) if self.b is None else (self.a, self.b)

    def writes(self) -> tuple[Region, ...]:
        return (self.dst,)

    def run(self, machine: Machine) -> None:
        a = self.a.view(machine)
        b = self.b.view(machine) if self.b is not None else None
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            result = {
                "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
                "div": lambda: a / b, "max": lambda: np.maximum(a, b),
                "min": lambda: np.minimum(a, b), "relu": lambda: np.maximum(a, 0),
                "exp": lambda: np.exp(a), "copy": lambda: a,
                "scale": lambda: a * np.asarray(self.imm, dtype=a.dtype),
            }[self.op]()
        target = self.dst.view(machine)
        target[...] = result.astype(target.dtype)


@dataclass(frozen=True)
class Fence(Instruction):
    """Wait until every queue is empty."""

    mnemonic: ClassVar[str] = "fence"
    queue: ClassVar[str] = "issue"
    template: ClassVar[str] = ""

    def run(self, machine: Machine) -> None:
        pass


INSTRUCTIONS: dict[str, type[Instruction]] = {
    cls.mnemonic: cls for cls in (Config, Mvin, Mvout, Preload, Compute, Vector, Fence)}


def move_end(offset: int, stride: int, rows: int, cols: int, cstride: int = 1) -> int:
    """One past the last DRAM element a rows × cols move touches (strides not negative)."""
    if not rows or not cols:
        return offset
    return offset + (rows - 1) * stride + (cols - 1) * cstride + 1


def _strided(buffer: np.ndarray, offset: int, stride: int, rows: int,
             cols: int, cstride: int = 1) -> np.ndarray:
    """The rows × cols view of a flat buffer at `offset` with row stride `stride` and
    column stride `cstride`."""
    last = move_end(offset, stride, rows, cols, cstride)
    if offset < 0 or last > buffer.size or stride < 0 or cstride < 0:
        raise IndexError(f"a {rows}x{cols} move at offset {offset}, stride {stride}, "
                         f"cstride {cstride} leaves a buffer of {buffer.size} elements")
    return np.lib.stride_tricks.as_strided(
        buffer[offset:], shape=(rows, cols),
        strides=(stride * buffer.itemsize, cstride * buffer.itemsize))


# -- the `npu` dialect: the instructions as IR ----------------------------------------------
#
# One op per instruction, with the instruction's fields as properties (regions as
# `#npu.region<sp[0], 16, 48>`) and its DRAM buffer as a memref operand, so a lowering can
# build them, FileCheck can pin them and `-t npu-asm` prints them as assembly.

from xdsl.dialects.builtin import (  # noqa: E402 - the IR half of the module
    FloatAttr,
    IntAttr,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    StringAttr,
    f64,
    i64,
)
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, SSAValue  # noqa: E402
from xdsl.irdl import (  # noqa: E402
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
)
from xdsl.utils.exceptions import VerifyException  # noqa: E402

CONFIG_ATTR = "npu.config"  # on the module: the NpuConfig the program targets (CLI form)


@irdl_attr_definition
class RegionAttr(ParametrizedAttribute):
    name = "npu.region"

    memory: StringAttr
    addr: IntAttr
    rows: IntAttr
    cols: IntAttr

    @staticmethod
    def of(region: Region) -> RegionAttr:
        return RegionAttr(StringAttr(region.memory), IntAttr(region.addr), IntAttr(region.rows),
                          IntAttr(region.cols))

    @property
    def region(self) -> Region:
        return Region(self.memory.data, self.addr.data, self.rows.data, self.cols.data)

    def print_parameters(self, printer) -> None:
        printer.print_string(f"<{self.memory.data}[{self.addr.data}], {self.rows.data}, "
                             f"{self.cols.data}>")

    @classmethod
    def parse_parameters(cls, parser) -> list[Attribute]:
        with parser.in_angle_brackets():
            memory = parser.parse_identifier()
            if memory not in MEMORIES:
                parser.raise_error(f"expected a memory ({', '.join(MEMORIES)}), got {memory}")
            with parser.in_square_brackets():
                addr = parser.parse_integer(allow_negative=False)
            parser.parse_punctuation(",")
            rows = parser.parse_integer(allow_negative=False)
            parser.parse_punctuation(",")
            cols = parser.parse_integer(allow_negative=False)
        return [StringAttr(memory), IntAttr(addr), IntAttr(rows), IntAttr(cols)]


class NpuOp(IRDLOperation):
    """An instruction as an op: `INSTRUCTION` is its class in the instruction set."""

    INSTRUCTION: ClassVar[type[Instruction]]
    OPTIONAL: ClassVar[tuple[str, ...]] = ()  # properties printed only when not the default
    irdl_options = (ParsePropInAttrDict(),)

    def to_instruction(self, buffer_name) -> Instruction:
        """The instruction; `buffer_name(value)` names the DRAM buffer of an operand."""
        values = {}
        for f in fields(self.INSTRUCTION):  # type: ignore[arg-type]
            if f.name == "dram":
                values["dram"] = buffer_name(self.operands[0])
                continue
            attr = self.properties.get(f.name)
            if attr is None and f.default is not MISSING:
                continue  # an optional property left out: the field's default
            values[f.name] = _from_attr(attr, str(f.type))
        return self.INSTRUCTION(**values)

    @classmethod
    def of(cls, instruction: Instruction, dram: SSAValue | None = None) -> NpuOp:
        properties = {}
        for f in fields(instruction):  # type: ignore[arg-type]
            value = getattr(instruction, f.name)
            if f.name in cls.OPTIONAL and value == f.default:
                continue
            if f.name != "dram" and value is not None:
                properties[f.name] = _to_attr(value)
        return cls.create(operands=[dram] if dram is not None else [], properties=properties)

    def config(self):
        from tessera.targets.npu.config import NpuConfig

        module = self.get_toplevel_object()
        attr = module.attributes.get(CONFIG_ATTR) if isinstance(module, ModuleOp) else None
        return NpuConfig.parse(attr.data) if isinstance(attr, StringAttr) else NpuConfig()

    def verify_(self) -> None:
        instruction = self.to_instruction(lambda value: "dram")
        config = self.config()
        sizes = {"sp": config.sp_elements, "acc": config.acc_elements}
        for region in (*instruction.reads(), *instruction.writes()):
            if region.end > sizes[region.memory]:
                raise VerifyException(
                    f"{region} ends past the {region.memory} "
                    f"({sizes[region.memory]} elements in this configuration)")
        self.verify_instruction(instruction, config)

    def verify_instruction(self, instruction, config) -> None:
        pass


def _to_attr(value) -> Attribute:
    if isinstance(value, Region):
        return RegionAttr.of(value)
    if isinstance(value, bool):
        return IntegerAttr(int(value), IntegerType(1))
    if isinstance(value, int):
        return IntegerAttr(value, i64)
    if isinstance(value, float):
        return FloatAttr(value, f64)
    return StringAttr(value)


def _from_attr(attr, kind: str):
    if attr is None:
        return None
    if isinstance(attr, RegionAttr):
        return attr.region
    if isinstance(attr, IntegerAttr):
        return bool(attr.value.data) if kind == "bool" else attr.value.data
    if isinstance(attr, FloatAttr):
        return float(attr.value.data)
    return attr.data


class _DramMove(NpuOp):
    dram = operand_def(MemRefType)
    offset = prop_def(IntegerAttr)
    stride = prop_def(IntegerAttr)
    assembly_format = "$dram attr-dict `:` type($dram)"

    def verify_instruction(self, instruction, config) -> None:
        local = instruction.dst if isinstance(instruction, Mvin) else instruction.src
        size = self.dram.type.element_count()
        last = move_end(instruction.offset, instruction.stride, local.rows, local.cols,
                        getattr(instruction, "cstride", 1))
        if instruction.offset < 0 or last > size:
            raise VerifyException(f"a {local.rows}x{local.cols} move at offset "
                                  f"{instruction.offset}, stride {instruction.stride} leaves "
                                  f"the {size} elements of {self.dram.type}")


@irdl_op_definition
class ConfigOp(NpuOp):
    name = "npu.config"
    INSTRUCTION: ClassVar[type[Instruction]] = Config
    dataflow = prop_def(StringAttr)
    assembly_format = "attr-dict"

    def verify_instruction(self, instruction, config) -> None:
        from tessera.targets.npu.config import DATAFLOWS

        if instruction.dataflow not in DATAFLOWS:
            raise VerifyException(f"dataflow must be one of "
                                  f"{', '.join(DATAFLOWS)}, got '{instruction.dataflow}'")


@irdl_op_definition
class MvinOp(_DramMove):
    name = "npu.mvin"
    INSTRUCTION: ClassVar[type[Instruction]] = Mvin
    OPTIONAL: ClassVar[tuple[str, ...]] = ("cstride",)
    dst = prop_def(RegionAttr)
    cstride = opt_prop_def(IntegerAttr)


@irdl_op_definition
class MvoutOp(_DramMove):
    name = "npu.mvout"
    INSTRUCTION: ClassVar[type[Instruction]] = Mvout
    src = prop_def(RegionAttr)
    act = prop_def(StringAttr)
    scale = prop_def(FloatAttr)

    def verify_instruction(self, instruction, config) -> None:
        super().verify_instruction(instruction, config)
        if instruction.act not in ACTIVATIONS:
            raise VerifyException(f"act must be one of {', '.join(ACTIVATIONS)}")


@irdl_op_definition
class PreloadOp(NpuOp):
    name = "npu.preload"
    INSTRUCTION: ClassVar[type[Instruction]] = Preload
    src = prop_def(RegionAttr)
    assembly_format = "attr-dict"

    def verify_instruction(self, instruction, config) -> None:
        region = instruction.src
        if region.memory != "sp" or region.rows > config.rows or region.cols > config.cols:
            raise VerifyException(f"{region} must be a tile of the scratchpad "
                                  f"that fits the {config.rows}x{config.cols} array")


@irdl_op_definition
class ComputeOp(NpuOp):
    name = "npu.compute"
    INSTRUCTION: ClassVar[type[Instruction]] = Compute
    c = prop_def(RegionAttr)
    a = prop_def(RegionAttr)
    b = prop_def(RegionAttr)
    accumulate = prop_def(IntegerAttr)
    assembly_format = "attr-dict"

    def verify_instruction(self, instruction, config) -> None:
        a, b, c = instruction.a, instruction.b, instruction.c
        if a.memory != "sp" or b.memory != "sp" or c.memory != "acc":
            raise VerifyException("a and b are scratchpad regions, c an "
                                  "accumulator region")
        if a.cols != b.rows or (c.rows, c.cols) != (a.rows, b.cols):
            raise VerifyException(f"shapes do not chain: c {c.rows}x{c.cols} = "
                                  f"a {a.rows}x{a.cols} · b {b.rows}x{b.cols}")
        m, k, n = instruction.mkn
        dataflow = self.dataflow(config)
        spatial = {"os": (m, n), "ws": (k, n), "is": (k, m)}[dataflow]
        if spatial[0] > config.rows or spatial[1] > config.cols:
            raise VerifyException(
                f"under {dataflow} the {m}x{k}x{n} tile maps "
                f"{spatial[0]}x{spatial[1]} onto the {config.rows}x{config.cols} array")

    def dataflow(self, config) -> str:
        """The dataflow in effect: the last `npu.config` before this op in its block, else
        the module's configuration."""
        op = self.prev_op
        while op is not None:
            if isinstance(op, ConfigOp):
                return op.dataflow.data
            op = op.prev_op
        return config.dataflow


@irdl_op_definition
class VectorOp(NpuOp):
    name = "npu.vector"
    INSTRUCTION: ClassVar[type[Instruction]] = Vector
    op = prop_def(StringAttr)
    dst = prop_def(RegionAttr)
    a = prop_def(RegionAttr)
    b = opt_prop_def(RegionAttr)
    imm = prop_def(FloatAttr)
    assembly_format = "attr-dict"

    def verify_instruction(self, instruction, config) -> None:
        if instruction.op not in VECTOR_OPS:
            raise VerifyException(f"op must be one of {', '.join(VECTOR_OPS)}")
        binary = instruction.op not in UNARY_VECTOR_OPS
        if binary != (instruction.b is not None):
            raise VerifyException(f"'{instruction.op}' takes "
                                  f"{'two operands' if binary else 'one operand'}")
        shapes = {(r.rows, r.cols) for r in (instruction.dst, *instruction.reads())}
        if len(shapes) != 1:
            raise VerifyException("the regions differ in shape")


@irdl_op_definition
class FenceOp(NpuOp):
    name = "npu.fence"
    INSTRUCTION: ClassVar[type[Instruction]] = Fence
    assembly_format = "attr-dict"


NPU_OPS: dict[type[Instruction], type[NpuOp]] = {
    op.INSTRUCTION: op for op in (ConfigOp, MvinOp, MvoutOp, PreloadOp, ComputeOp, VectorOp,
                                  FenceOp)}
Npu = Dialect("npu", list(NPU_OPS.values()), [RegionAttr])
