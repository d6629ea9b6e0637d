"""The `cuda` and `cuda-emu` backends: lower a `graph` module to kernels, emit CUDA, run it.

Both lower with `lower-to-cuda` (the GPU schedule options, when given, go to `linalg-to-gpu`)
and print one `.cu` with `emit_cuda`. `cuda` builds it with nvcc and calls the launchers on
the GPU through CuPy (`runner.call_gpu`); `cuda-emu` builds the same source with g++ and the
emulation header and runs it on the CPU (`runner.call_emulated`; `sanitize=True` runs it
under AddressSanitizer and UBSan in a child process). The calling convention is the C
target's (`targets/c/signatures.py`): inputs in order, `{tessera.out}` results allocated by
the backend and returned.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from tessera.compiler.diagnostics import TesseraError
from tessera.targets import Compiled
from tessera.targets.c.signatures import CSignature


def cuda_pipeline(gpu_options: str = "", tuning_db=None, optimize: bool = True) -> str:
    """`lower-to-cuda`, with `linalg-to-gpu{gpu_options}` when options are given; `tuning_db`
    (a path or "none") is the database `linalg-to-gpu` looks tuned schedules up in (None:
    the default one, when it exists and there is a GPU); `optimize=False`: without the
    optimizations (`compiler.pipelines.unoptimized`)."""
    from tessera.compiler.pipelines import PIPELINES, unoptimized

    if not optimize:
        return unoptimized(cuda_pipeline(gpu_options, tuning_db))

    if tuning_db is not None:
        path = str(tuning_db)
        if '"' in path:
            raise TesseraError(f"a tuning database path cannot contain a quote: {path!r}")
        gpu_options = f'{gpu_options} tuning_db="{path}"'.strip()
    if not gpu_options:
        return PIPELINES["lower-to-cuda"]
    return PIPELINES["lower-to-cuda"].replace("linalg-to-gpu", f"linalg-to-gpu{{{gpu_options}}}")


def lower_and_emit(module: ModuleOp, gpu_options: str = "", tuning_db=None,
                   optimize: bool = True) -> tuple[str, dict[str, CSignature]]:
    """`module` (a graph module, consumed) lowered and printed: the `.cu` source and the host
    functions' signatures."""
    from tessera.compiler.pipelines import run_pipeline
    from tessera.compiler.registry import make_context
    from tessera.targets.cuda.emitter import cuda_signatures, emit_cuda

    run_pipeline(cuda_pipeline(gpu_options, tuning_db, optimize), make_context(), module)
    return emit_cuda(module), cuda_signatures(module)


def bind(signature: CSignature, inputs: tuple[Any, ...]) -> tuple[list[Any], list[np.ndarray]]:
    """The launcher's arguments for `inputs` (checked against the signature as the C runner
    checks them) and the freshly allocated outputs among them."""
    from tessera.targets.c.runner import NUMPY_DTYPES, _buffer, _scalar

    params = [p for p in signature.params if not p.is_out]
    if len(inputs) != len(params):
        names = ", ".join(p.name for p in params) or "none"
        raise TesseraError(f"@{signature.symbol} takes {len(params)} argument(s) ({names}), "
                           f"got {len(inputs)}")
    given = iter(inputs)
    arguments: list[Any] = []
    outputs: list[np.ndarray] = []
    for param in signature.params:
        if param.is_out:
            array = np.zeros(param.shape, dtype=NUMPY_DTYPES[param.element_type])
            outputs.append(array)
            arguments.append(array)
        elif param.shape is None:
            arguments.append(_scalar(signature.symbol, param, next(given)).value)
        else:
            arguments.append(_buffer(signature.symbol, param, next(given)))
    return arguments, outputs


# Where set (the test suite sets "sm_80,sm_90"), every source a backend builds is also
# compiled to a cubin for each of these architectures, and a kernel that spills registers
# is an error: emulated runs alone would not show that a kernel is unfit for the GPU.
CHECK_ARCHS_ENV = "TESSERA_CUDA_CHECK_ARCHS"


def check_cubins(source: str) -> None:
    """Compile `source` for the architectures `$TESSERA_CUDA_CHECK_ARCHS` names (when nvcc
    is installed); a compile error or a spilling kernel is a TesseraError."""
    import os

    from tessera.targets.cuda.build import build_cubin, nvcc_available

    archs = [a for a in os.environ.get(CHECK_ARCHS_ENV, "").split(",") if a.strip()]
    if not archs or not nvcc_available():
        return
    for arch in archs:
        report = build_cubin(source, arch.strip())
        spilling = [f"{name} ({k.spill_stores} bytes stored, {k.spill_loads} loaded)"
                    for name, k in report.kernels.items() if k.spills]
        if spilling:
            raise TesseraError(f"cuda target: kernels spill registers on {arch}: "
                               + ", ".join(spilling))


class _CudaBackendBase(ABC):
    """What both CUDA backends share; each says how it builds the source and calls a
    launcher."""

    name = "cuda"

    def __init__(self, gpu_options: str = "", tuning_db=None, optimize: bool = True):
        self.gpu_options = gpu_options
        self.optimize = optimize
        self.tuning_db = tuning_db
        self.source = ""

    @abstractmethod
    def build(self, source: str):
        """The built library of `source`."""

    @abstractmethod
    def call(self, library, symbol: str, arguments: list[Any]) -> None:
        """Call the launcher `symbol` of `library` on `arguments`."""

    def pipeline(self) -> str:
        """What a graph module goes through before it is printed as CUDA."""
        return cuda_pipeline(self.gpu_options, self.tuning_db, self.optimize)

    def load(self, module: ModuleOp) -> dict[str, Compiled]:
        names = [op.sym_name.data for op in module.ops if isinstance(op, func.FuncOp)]
        self.source, signatures = lower_and_emit(module, self.gpu_options, self.tuning_db,
                                                     self.optimize)
        library = self.build(self.source)

        def entry(name: str) -> Compiled:
            signature = signatures[name]

            def call(*inputs) -> list[np.ndarray]:
                arguments, outputs = bind(signature, inputs)
                self.call(library, signature.c_name, arguments)
                return outputs

            return call

        return {name: entry(name) for name in names}


class EmulatedCudaBackend(_CudaBackendBase):
    """`--target cuda-emu`: the CUDA source run on the CPU under the emulation."""

    name = "cuda-emu"

    def __init__(self, gpu_options: str = "", sanitize: bool = False, tuning_db=None,
                 optimize: bool = True):
        super().__init__(gpu_options, tuning_db, optimize)
        self.sanitize = sanitize

    def build(self, source: str):
        from tessera.targets.cuda.build import build_emulated

        check_cubins(source)
        return build_emulated(source, sanitize=self.sanitize)

    def call(self, library, symbol: str, arguments: list[Any]) -> None:
        from tessera.targets.cuda.runner import call_emulated, call_emulated_sanitized

        run: Callable = call_emulated_sanitized if self.sanitize else call_emulated
        run(library, symbol, arguments)


class GpuCudaBackend(_CudaBackendBase):
    """`--target cuda`: the CUDA source built with nvcc and run on the GPU."""

    name = "cuda"

    def build(self, source: str):
        from tessera.targets.cuda.build import build_gpu_library
        from tessera.targets.cuda.runner import gpu_arch, gpu_available

        if not gpu_available():
            raise TesseraError("cuda: no GPU available (use --target cuda-emu to run the same "
                               "CUDA source on the CPU)")
        check_cubins(source)
        return build_gpu_library(source, gpu_arch())

    def call(self, library, symbol: str, arguments: list[Any]) -> None:
        from tessera.targets.cuda.runner import call_gpu

        call_gpu(library, symbol, arguments)
