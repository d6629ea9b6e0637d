"""Targets: emitters plus what it takes to build, load and run their output.

A backend turns a verified `graph` module into callables on NumPy arrays; `tessera run`, the
Python API, the tests and the benchmarks all go through `backend(name)`. Each backend is
loaded on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
from xdsl.dialects.builtin import ModuleOp

Compiled = Callable[..., list[np.ndarray]]


class Backend(Protocol):
    name: str

    def load(self, module: ModuleOp) -> dict[str, Compiled]:
        """Compile a `graph` module (consumed) into one callable per function."""
        ...


BACKENDS: dict[str, str] = {
    "interp": "tessera.targets.interp:ReferenceBackend",
    "loops": "tessera.targets.interp:LoopsBackend",
    "c": "tessera.targets.c.backend:CBackend",
    "npu": "tessera.targets.npu.backend:NpuBackend",
    "cuda": "tessera.targets.cuda.backend:GpuCudaBackend",
    "cuda-emu": "tessera.targets.cuda.backend:EmulatedCudaBackend",
}


def backend(name: str, **options) -> Backend:
    from tessera.compiler.diagnostics import TesseraError
    from tessera.compiler.registry import load

    if name not in BACKENDS:
        raise TesseraError(f"unknown target '{name}' (targets: {', '.join(BACKENDS)})")
    return load(BACKENDS[name])(**options)
