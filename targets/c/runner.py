"""Calling compiled C kernels on NumPy arrays, through ctypes.

The calling convention comes from the module itself (`signatures.c_signatures`, read before
emission): memref arguments are pointers to row-major buffers, scalars are passed by value,
and `{tessera.out}` arguments are results, which the runner allocates and returns. Every
argument is checked against the signature first, because a wrong shape or dtype reaching
C is silent memory corruption rather than an error.

Kernels with parallel loops run on OpenMP (libgomp); `set_num_threads` sets how many threads
later calls use.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import numbers
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from tessera.compiler.diagnostics import TesseraError
from tessera.targets.c.build import DEFAULT_FLAGS, build_shared_library, compiler_command
from tessera.targets.c.emitter import emit_c
from tessera.targets.c.signatures import CParam, CSignature, c_signatures

NUMPY_DTYPES: dict[str, np.dtype] = {
    "f32": np.dtype(np.float32),
    "f64": np.dtype(np.float64),
    "i1": np.dtype(np.bool_),
    "i8": np.dtype(np.int8),
    "i16": np.dtype(np.int16),
    "i32": np.dtype(np.int32),
    "i64": np.dtype(np.int64),
    "index": np.dtype(np.int64),
}
_SCALAR_CTYPES: dict[str, type] = {
    "f32": ctypes.c_float,
    "f64": ctypes.c_double,
    "i1": ctypes.c_bool,
    "i8": ctypes.c_int8,
    "i16": ctypes.c_int16,
    "i32": ctypes.c_int32,
    "i64": ctypes.c_int64,
    "index": ctypes.c_int64,
}


def median_seconds(call: Callable[[], object], *, repeat: int = 10, warmup: int = 1) -> float:
    """The median wall time of `repeat` calls of `call`, after `warmup` untimed ones.

    The median, not the mean: one preempted call must not move a tuning decision.
    """
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


class CFunction:
    """One emitted function, called with its non-out arguments; returns its out arguments.

    `f(a, b)` returns the single out array, a tuple when there are several, or None when the
    function only updates its arguments in place.
    """

    def __init__(self, library: ctypes.CDLL, signature: CSignature):
        self.signature = signature
        self.inputs: tuple[CParam, ...] = tuple(p for p in signature.params if not p.is_out)
        self.outputs: tuple[CParam, ...] = tuple(p for p in signature.params if p.is_out)
        self._function = getattr(library, signature.c_name)
        self._function.argtypes = [
            ctypes.c_void_p if p.shape is not None else _SCALAR_CTYPES[p.element_type]
            for p in signature.params
        ]
        self._function.restype = None

    def __repr__(self) -> str:
        return f"<CFunction @{self.signature.symbol} ({self.signature.c_name})>"

    def __call__(self, *inputs: Any) -> np.ndarray | tuple[np.ndarray, ...] | None:
        call, outputs = self._bind(inputs)
        call()
        if not outputs:
            return None
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def prepare(self, *inputs: Any) -> Callable[[], None]:
        """A call with its arguments checked and converted once: what timing should measure."""
        return self._bind(inputs)[0]

    def time(self, *inputs: Any, repeat: int = 10, warmup: int = 1) -> float:
        """Median seconds per call (see `median_seconds`), outputs allocated once."""
        return median_seconds(self.prepare(*inputs), repeat=repeat, warmup=warmup)

    def _bind(self, inputs: Sequence[Any]) -> tuple[Callable[[], None], list[np.ndarray]]:
        symbol = self.signature.symbol
        if len(inputs) != len(self.inputs):
            names = ", ".join(p.name for p in self.inputs) or "none"
            raise TesseraError(
                f"@{symbol} takes {len(self.inputs)} argument(s) ({names}), got {len(inputs)}")
        given = iter(inputs)
        arrays: list[np.ndarray] = []
        outputs: list[np.ndarray] = []
        arguments: list[Any] = []
        for param in self.signature.params:
            if param.is_out:
                array = np.zeros(param.shape, dtype=NUMPY_DTYPES[param.element_type])
                outputs.append(array)
            elif param.shape is None:
                arguments.append(_scalar(symbol, param, next(given)))
                continue
            else:
                array = _buffer(symbol, param, next(given))
            arrays.append(array)
            arguments.append(array.ctypes.data)
        return _BoundCall(self._function, arguments, arrays), outputs


@dataclass(frozen=True)
class _BoundCall:
    """A C call with converted arguments; it holds the arrays its pointers point into."""

    function: Any
    arguments: list[Any]
    arrays: list[np.ndarray]

    def __call__(self) -> None:
        self.function(*self.arguments)


def _buffer(symbol: str, param: CParam, value: Any) -> np.ndarray:
    """`value` as a C-contiguous array of exactly the parameter's dtype and shape."""
    dtype = NUMPY_DTYPES[param.element_type]
    where = f"@{symbol}: argument '{param.name}'"
    if not isinstance(value, np.ndarray):
        try:
            value = np.asarray(value, dtype=dtype)
        except (TypeError, ValueError) as e:
            raise TesseraError(f"{where} is not convertible to a {dtype} array: {e}") from None
    if value.dtype != dtype:
        raise TesseraError(f"{where} has dtype {value.dtype}, expected {dtype}")
    if value.shape != param.shape:
        raise TesseraError(f"{where} has shape {value.shape}, expected {param.shape}")
    if param.is_written:
        # The kernel updates it in place: a silent copy would drop the update.
        if not (value.flags.c_contiguous and value.flags.writeable):
            raise TesseraError(
                f"{where} is updated in place, so it must be a C-contiguous, writeable array")
        return value
    return np.require(value, requirements="C")


def _scalar(symbol: str, param: CParam, value: Any) -> Any:
    key = param.element_type
    where = f"@{symbol}: argument '{param.name}'"
    if key in ("f32", "f64"):
        if not isinstance(value, numbers.Real):
            raise TesseraError(f"{where} must be a real number, got {type(value).__name__}")
        return _SCALAR_CTYPES[key](float(value))
    if not isinstance(value, (numbers.Integral, np.bool_)):
        raise TesseraError(f"{where} must be an integer, got {type(value).__name__}")
    info = (0, 1) if key == "i1" else (np.iinfo(NUMPY_DTYPES[key]).min,
                                       np.iinfo(NUMPY_DTYPES[key]).max)
    if not info[0] <= int(value) <= info[1]:
        raise TesseraError(f"{where} = {int(value)} does not fit {key}")
    return _SCALAR_CTYPES[key](int(value))


class CModule:
    """A compiled module: its shared library loaded, one CFunction per defined function."""

    def __init__(self, library_path: Path, signatures: dict[str, CSignature], source: str):
        self.path = library_path
        self.source = source
        try:
            self._library = ctypes.CDLL(str(library_path))
        except OSError as e:
            raise TesseraError(f"c target: cannot load {library_path}: {e}") from None
        self.functions: dict[str, CFunction] = {
            symbol: CFunction(self._library, signature)
            for symbol, signature in signatures.items()
            if not signature.is_declaration
        }

    def __getitem__(self, symbol: str) -> CFunction:
        if symbol not in self.functions:
            raise TesseraError(
                f"no function @{symbol} in the compiled module "
                f"(it has: {', '.join(self.functions) or 'none'})")
        return self.functions[symbol]

    def __repr__(self) -> str:
        return f"<CModule {', '.join('@' + s for s in self.functions)} from {self.path}>"


def build_module(
    module: ModuleOp,
    *,
    flags: Sequence[str] = DEFAULT_FLAGS,
    extra_flags: Sequence[str] = (),
    cache_dir: str | Path | None = None,
) -> tuple[Path, dict[str, CSignature], str]:
    """Emit C for a loop-level `module` and build it (cached), without loading it: the
    library's path, the signatures to call it by, and the source."""
    signatures = c_signatures(module)
    source = emit_c(module)
    library = build_shared_library(source, flags=flags, extra_flags=extra_flags,
                                   cache_dir=cache_dir)
    return library, signatures, source


def compile_module(
    module: ModuleOp,
    *,
    flags: Sequence[str] = DEFAULT_FLAGS,
    extra_flags: Sequence[str] = (),
    cache_dir: str | Path | None = None,
) -> CModule:
    """Emit C for a loop-level `module`, build it (cached) and load it. `flags` replaces
    build.DEFAULT_FLAGS, `extra_flags` is appended to them."""
    library, signatures, source = build_module(
        module, flags=flags, extra_flags=extra_flags, cache_dir=cache_dir)
    return CModule(library, signatures, source)


# ---------------------------------------------------------------------------------------
# OpenMP

_openmp_runtime: ctypes.CDLL | None = None


def openmp_runtime() -> ctypes.CDLL:
    """libgomp, the OpenMP runtime gcc's `-fopenmp` code runs on, loaded on first use.

    The soname is the one the kernels link to, so this is the very library they use (the
    dynamic loader keeps one copy of it per process).
    """
    global _openmp_runtime
    if _openmp_runtime is not None:
        return _openmp_runtime
    candidates = [ctypes.util.find_library("gomp") or "libgomp.so.1"]
    try:  # the compiler knows where its own runtime is
        printed = subprocess.run([*compiler_command(), "-print-file-name=libgomp.so"],
                                 capture_output=True, text=True, check=False).stdout.strip()
        if os.path.isabs(printed) and printed not in candidates:
            candidates.append(printed)
    except (OSError, TesseraError):
        pass
    errors = []
    for candidate in candidates:
        try:
            _openmp_runtime = ctypes.CDLL(candidate)
            return _openmp_runtime
        except OSError as e:
            errors.append(str(e))
    raise TesseraError("c target: cannot load the OpenMP runtime libgomp (tried "
                       f"{', '.join(candidates)}): {'; '.join(errors)}")


def set_num_threads(n: int) -> None:
    """The number of threads the parallel loops of later calls (from this thread) use:
    OpenMP's `omp_set_num_threads`, in libgomp (gcc's runtime; a TesseraError if it cannot
    be loaded)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise TesseraError(f"set_num_threads: expected a positive integer, got {n!r}")
    function = openmp_runtime().omp_set_num_threads
    function.argtypes = [ctypes.c_int]
    function.restype = None
    function(int(n))
