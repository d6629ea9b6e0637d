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
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Protocol

import numpy as np

MEMORIES = ("sp", "acc")
ACTIVATIONS = ("none", "relu")
VECTOR_OPS = ("add", "mul", "max", "relu", "copy", "scale")


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
    """dst[r, c] = dram[offset + r·stride + c]: a 2-D strided move into sp or acc."""

    dst: Region
    dram: str
    offset: int
    stride: int
    mnemonic: ClassVar[str] = "mvin"
    queue: ClassVar[str] = "load"
    template: ClassVar[str] = "{dst}, {dram}[{offset}], stride={stride}"

    def writes(self) -> tuple[Region, ...]:
        return (self.dst,)

    def run(self, machine: Machine) -> None:
        source = _strided(machine.dram[self.dram], self.offset, self.stride, self.dst.rows,
                          self.dst.cols)
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
        result = {
            "add": lambda: a + b, "mul": lambda: a * b, "max": lambda: np.maximum(a, b),
            "relu": lambda: np.maximum(a, 0), "copy": lambda: a,
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


def _strided(buffer: np.ndarray, offset: int, stride: int, rows: int,
             cols: int) -> np.ndarray:
    """The rows × cols view of a flat buffer at `offset` with row stride `stride`."""
    last = offset + (rows - 1) * stride + cols if rows else offset
    if offset < 0 or last > buffer.size or (rows > 1 and stride < 0):
        raise IndexError(f"a {rows}x{cols} move at offset {offset}, stride {stride} leaves "
                         f"a buffer of {buffer.size} elements")
    return np.lib.stride_tricks.as_strided(
        buffer[offset:], shape=(rows, cols),
        strides=(stride * buffer.itemsize, buffer.itemsize))
