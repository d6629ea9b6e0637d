"""An NPU program: the configuration it was compiled for, its DRAM buffers, its instructions.

Buffers are the function's inputs (`in`), results (`out`), temporaries (`temp`) and
constants (`const`: every element `value` when the program starts, a fill value for `mvin`
to broadcast), each a row-major array of `dtype` (`f32`, `i8`, `i32`) that instructions
address by name and element offset. The instructions are those of `dialects/npu.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

import numpy as np

from tessera.dialects.npu import Instruction
from tessera.targets.npu.config import NpuConfig

NUMPY = {"f32": np.dtype(np.float32), "i8": np.dtype(np.int8), "i32": np.dtype(np.int32)}
ROLES = ("in", "out", "temp", "const")


@dataclass(frozen=True)
class Buffer:
    name: str
    dtype: str
    shape: tuple[int, ...]
    role: str = "temp"
    value: float = 0.0  # of a const buffer

    @property
    def size(self) -> int:
        return prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * NUMPY[self.dtype].itemsize


@dataclass
class Program:
    name: str
    config: NpuConfig
    buffers: list[Buffer] = field(default_factory=list)
    instructions: list[Instruction] = field(default_factory=list)

    def buffer(self, name: str) -> Buffer:
        for b in self.buffers:
            if b.name == name:
                return b
        raise KeyError(name)

    @property
    def inputs(self) -> list[Buffer]:
        return [b for b in self.buffers if b.role == "in"]

    @property
    def outputs(self) -> list[Buffer]:
        return [b for b in self.buffers if b.role == "out"]
