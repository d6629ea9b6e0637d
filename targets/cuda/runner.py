"""Calling the host launcher of CUDA source on NumPy arrays: under the CPU emulation
(in-process, or in a child process under ASan/UBSan) or on a real GPU through CuPy.

A launcher is an `extern "C" int NAME(...)` function of the `.cu` file: it allocates
temporaries, launches the kernels and returns a `cudaError_t` (0 on success). Its pointer
parameters are device pointers: host memory under the emulation, CuPy device arrays on a GPU.

The runner reads the launcher's parameter list from the source (kept beside every built
library), so each argument is checked before it reaches C, where a wrong dtype or count is
silent memory corruption: a `const T*` takes any array that converts to T without changing
kind (it is an input, copied if need be), a `T*` takes an array of exactly T's dtype, updated
in place (through a C-contiguous copy if it is not one), a scalar parameter takes a number
that fits. Without a source the runner can only pass arrays as pointers, NumPy scalars as
their dtype and Python ints as int64.

A non-zero return, or an error the emulation recorded, is a TesseraError:
`cuda-emu: tsr_main: tsr_k0: block (1,0,0): __syncthreads() at line 14 reached by 37 of 256
threads (219 had returned)`, or `cuda: tsr_main: <cudaGetErrorString>` on a GPU.

The sanitized child is this module run as `python -m tessera.targets.cuda.runner DIRECTORY`.
"""

from __future__ import annotations

import ctypes
import functools
import json
import numbers
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tessera.compiler.diagnostics import TesseraError
from tessera.targets.cuda.build import (
    SOURCE_NAME,
    build_emulated,
    build_gpu_library,
    cxx_command,
)

Argument = np.ndarray | int | float | np.generic

# C types a launcher's parameters may have, by their spelling without qualifiers.
_C_TYPES: dict[str, tuple[np.dtype, type | None]] = {
    "float": (np.dtype(np.float32), ctypes.c_float),
    "double": (np.dtype(np.float64), ctypes.c_double),
    "__half": (np.dtype(np.float16), None),
    "half": (np.dtype(np.float16), None),
    "bool": (np.dtype(np.bool_), ctypes.c_bool),
    "char": (np.dtype(np.int8), ctypes.c_int8),
    "signed char": (np.dtype(np.int8), ctypes.c_int8),
    "unsigned char": (np.dtype(np.uint8), ctypes.c_uint8),
    "int8_t": (np.dtype(np.int8), ctypes.c_int8),
    "uint8_t": (np.dtype(np.uint8), ctypes.c_uint8),
    "int16_t": (np.dtype(np.int16), ctypes.c_int16),
    "short": (np.dtype(np.int16), ctypes.c_int16),
    "uint16_t": (np.dtype(np.uint16), ctypes.c_uint16),
    "int32_t": (np.dtype(np.int32), ctypes.c_int32),
    "int": (np.dtype(np.int32), ctypes.c_int32),
    "unsigned": (np.dtype(np.uint32), ctypes.c_uint32),
    "unsigned int": (np.dtype(np.uint32), ctypes.c_uint32),
    "uint32_t": (np.dtype(np.uint32), ctypes.c_uint32),
    "int64_t": (np.dtype(np.int64), ctypes.c_int64),
    "long": (np.dtype(np.int64), ctypes.c_int64),
    "long long": (np.dtype(np.int64), ctypes.c_int64),
    "uint64_t": (np.dtype(np.uint64), ctypes.c_uint64),
    "unsigned long": (np.dtype(np.uint64), ctypes.c_uint64),
    "size_t": (np.dtype(np.uint64), ctypes.c_uint64),
}
_QUALIFIERS = {"const", "volatile", "__restrict__", "__restrict", "restrict"}
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_TYPE_WORDS = {word for spelling in _C_TYPES for word in spelling.split()}

# Appended to the source of a GPU build, so that an error code has its message.
GPU_ERROR_STRING = """
extern "C" const char* tessera_cuda_error_string(int code) {
  return cudaGetErrorString((cudaError_t)code);
}
"""


# --------------------------------------------------------------------------------------
# The launcher's signature
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LauncherParam:
    name: str
    c_type: str  # without qualifiers: "float", "int64_t"
    pointer: bool
    const: bool  # of a pointer: the pointee is const, so the argument is only read

    @property
    def dtype(self) -> np.dtype:
        return _C_TYPES[self.c_type][0]

    def describe(self) -> str:
        return f"{'const ' if self.const else ''}{self.c_type}{'*' if self.pointer else ''} " \
               f"{self.name}"


@dataclass(frozen=True)
class LauncherSignature:
    symbol: str
    params: tuple[LauncherParam, ...]


def launcher_signature(source: str, symbol: str) -> LauncherSignature | None:
    """The parameters of `extern "C" int symbol(...)` in CUDA `source`, or None when the
    source has no such definition. A parameter type the runner cannot pass is an error."""
    text = re.sub(r"//[^\n]*|/\*.*?\*/", " ", source, flags=re.DOTALL)
    match = re.search(
        r'extern\s+"C"\s+(?:__host__\s+)?int\s+' + re.escape(symbol) + r"\s*\(([^)]*)\)\s*\{",
        text)
    if match is None:
        return None
    params = []
    listed = match[1].strip()
    if listed and listed != "void":
        for index, declaration in enumerate(listed.split(",")):
            params.append(_parse_param(symbol, index, declaration))
    return LauncherSignature(symbol, tuple(params))


def _parse_param(symbol: str, index: int, declaration: str) -> LauncherParam:
    words = declaration.replace("*", " * ").split()
    stars = words.count("*")
    if stars > 1 or not words:
        raise TesseraError(f"cuda: {symbol}: cannot pass parameter '{declaration.strip()}'")
    named = (len(words) > 1 and _IDENTIFIER.fullmatch(words[-1]) is not None
             and words[-1] not in _QUALIFIERS and words[-1] not in _TYPE_WORDS)
    name = words[-1] if named else f"arg{index}"
    if named:
        words = words[:-1]
    const = False
    if stars:
        const = "const" in words[:words.index("*")]
    c_type = " ".join(w for w in words if w not in _QUALIFIERS and w != "*")
    if c_type not in _C_TYPES or (not stars and _C_TYPES[c_type][1] is None):
        raise TesseraError(f"cuda: {symbol}: cannot pass parameter '{declaration.strip()}' "
                           f"(type '{c_type}')")
    return LauncherParam(name, c_type, bool(stars), const)


# --------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------


@dataclass
class _Array:
    """An array argument: `staged` is what C sees (C-contiguous, the parameter's dtype);
    `original` receives it back after the call when the parameter is written."""

    original: Any
    staged: np.ndarray
    written: bool


def _prepare(prefix: str, symbol: str, signature: LauncherSignature | None,
             args: Sequence[Argument]) -> list[_Array | ctypes._SimpleCData]:
    """Check and convert `args` for the launcher: an _Array per pointer, a ctypes value per
    scalar."""
    where = f"{prefix}: {symbol}"
    if signature is None:
        return [_untyped(where, index, value) for index, value in enumerate(args)]
    params = signature.params
    if len(args) != len(params):
        names = ", ".join(p.name for p in params) or "none"
        raise TesseraError(f"{where} takes {len(params)} argument(s) ({names}), "
                           f"got {len(args)}")
    return [_typed(where, param, value) for param, value in zip(params, args)]


def _typed(where: str, param: LauncherParam, value: Any) -> _Array | ctypes._SimpleCData:
    if param.pointer:
        if not isinstance(value, np.ndarray) and not (param.const and _array_like(value)):
            raise TesseraError(f"{where}: '{param.describe()}' takes an array, got "
                               f"{type(value).__name__}")
        if param.const:
            array = np.asarray(value)
            if not np.can_cast(array.dtype, param.dtype, casting="same_kind"):
                raise TesseraError(f"{where}: '{param.describe()}' takes {param.dtype} "
                                   f"values, got an array of {array.dtype}")
            staged = np.ascontiguousarray(array, dtype=param.dtype)
            return _Array(value, staged, written=False)
        if value.dtype != param.dtype:
            raise TesseraError(f"{where}: '{param.describe()}' is written: it takes an array "
                               f"of {param.dtype}, got {value.dtype}")
        if not value.flags.writeable:
            raise TesseraError(f"{where}: '{param.describe()}' is written: the array is "
                               "read-only")
        return _Array(value, np.ascontiguousarray(value), written=True)
    return _scalar(where, param.describe(), param.dtype, _C_TYPES[param.c_type][1], value)


def _array_like(value: Any) -> bool:
    return isinstance(value, list | tuple) or hasattr(value, "__array__")


def _scalar(where: str, described: str, dtype: np.dtype, ctype: type, value: Any):
    if isinstance(value, np.ndarray):
        if value.shape != ():
            raise TesseraError(f"{where}: '{described}' takes a number, got an array of shape "
                               f"{value.shape}")
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if dtype.kind in "iu":
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TesseraError(f"{where}: '{described}' takes an integer, got {value!r}")
        info = np.iinfo(dtype)
        if not info.min <= int(value) <= info.max:
            raise TesseraError(f"{where}: '{described}': {value} does not fit in {dtype}")
        return ctype(int(value))
    if dtype.kind == "b":
        return ctype(bool(value))
    if not isinstance(value, numbers.Real):
        raise TesseraError(f"{where}: '{described}' takes a number, got {value!r}")
    return ctype(float(value))


def _untyped(where: str, index: int, value: Any) -> _Array | ctypes._SimpleCData:
    """Without the launcher's source: arrays as pointers (assumed written), NumPy scalars as
    their dtype, Python ints as int64."""
    if isinstance(value, np.ndarray) and value.shape != ():
        if not value.flags.writeable:
            return _Array(value, np.ascontiguousarray(value), written=False)
        return _Array(value, np.ascontiguousarray(value), written=True)
    if isinstance(value, np.ndarray):
        value = value[()]
    if isinstance(value, np.generic):
        for _, (dtype, ctype) in _C_TYPES.items():
            if dtype == value.dtype and ctype is not None:
                return ctype(value.item())
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return ctypes.c_int64(int(value))
    raise TesseraError(
        f"{where}: argument {index} ({value!r}): without the launcher's source the runner "
        "cannot tell its C type; pass a NumPy scalar (np.float32(x), np.int64(n)) or give "
        "the source")


def _copy_back(prepared: Sequence[Any], results: Callable[[int, _Array], np.ndarray]) -> None:
    for index, argument in enumerate(prepared):
        if isinstance(argument, _Array) and argument.written:
            result = results(index, argument)
            if result is not argument.original:
                np.copyto(argument.original, result)


def _source_beside(library: Path) -> str | None:
    source = library.with_suffix(".cu")
    return source.read_text(encoding="utf-8") if source.exists() else None


# --------------------------------------------------------------------------------------
# The emulation
# --------------------------------------------------------------------------------------


class EmulatedLibrary:
    """A library built by `build.build_emulated`, loaded into this process.

    `source` is the `.cu` it was built from, for the launchers' signatures; by default the
    `.cu` the cache keeps beside the library."""

    def __init__(self, path: str | os.PathLike[str], source: str | None = None):
        self.path = Path(path)
        try:
            self._library = ctypes.CDLL(str(self.path))
        except OSError as e:
            raise TesseraError(f"cuda-emu: cannot load {self.path}: {e}") from None
        try:
            self._last_error = self._library.tessera_emu_last_error
            self._reset = self._library.tessera_emu_reset
            self._live = self._library.tessera_emu_live_allocations
            self._error_string = self._library.cudaGetErrorString
        except AttributeError:
            raise TesseraError(f"cuda-emu: {self.path} was not built for the CUDA emulation "
                               "(it has no tessera_emu_last_error)") from None
        self._last_error.restype = ctypes.c_char_p
        self._last_error.argtypes = []
        self._reset.restype = None
        self._reset.argtypes = []
        self._live.restype = ctypes.c_long
        self._live.argtypes = []
        self._error_string.restype = ctypes.c_char_p
        self._error_string.argtypes = [ctypes.c_int]
        self.source = source if source is not None else _source_beside(self.path)

    def signature(self, symbol: str) -> LauncherSignature | None:
        return None if self.source is None else launcher_signature(self.source, symbol)

    def last_error(self) -> str:
        """The emulation's message for the first error since the last call ("" if none)."""
        return self._last_error().decode(errors="replace")

    def live_allocations(self) -> int:
        """How many cudaMalloc'd blocks are not freed."""
        return int(self._live())

    def call(self, symbol: str, args: Sequence[Argument]) -> None:
        """Call launcher `symbol` on `args`; arrays it writes are updated in place."""
        try:
            function = getattr(self._library, symbol)
        except AttributeError:
            raise TesseraError(f"cuda-emu: no launcher {symbol} in {self.path}") from None
        prepared = _prepare("cuda-emu", symbol, self.signature(symbol), args)
        function.restype = ctypes.c_int
        function.argtypes = [ctypes.c_void_p if isinstance(a, _Array) else type(a)
                             for a in prepared]
        values = [a.staged.ctypes.data if isinstance(a, _Array) else a for a in prepared]
        self._reset()
        code = function(*values)
        message = self.last_error()
        if code != 0 or message:
            if not message:
                message = f"{self._error_string(code).decode(errors='replace')} (error {code})"
            elif code == 0:
                message += " (the launcher returned success)"
            raise TesseraError(f"cuda-emu: {symbol}: {message}")
        _copy_back(prepared, lambda index, array: array.staged)


@functools.lru_cache(maxsize=64)
def _load(path: str) -> EmulatedLibrary:
    return EmulatedLibrary(path)


def call_emulated(library_path: str | os.PathLike[str], symbol: str,
                  args: Sequence[Argument]) -> None:
    """Call launcher `symbol` of an emulated library on `args`, in this process; arrays it
    writes are updated in place. A failing launch is a TesseraError."""
    _load(str(Path(library_path).resolve())).call(symbol, args)


def run_emulated(source: str, symbol: str, args: Sequence[Argument], *,
                 sanitize: bool = False, extra_flags: Sequence[str] = ()) -> None:
    """Build CUDA `source` for the emulation (cached) and call launcher `symbol` on `args`:
    in this process, or with `sanitize` in a child process under ASan and UBSan."""
    library = build_emulated(source, sanitize=sanitize, extra_flags=extra_flags)
    if sanitize:
        call_emulated_sanitized(library, symbol, args, source=source)
    else:
        _load(str(library.resolve())).call(symbol, args)


@functools.lru_cache(maxsize=None)
def _probe_sanitizers(command: tuple[str, ...]) -> bool:
    from tessera.targets.c.sanitize import asan_runtime

    try:
        asan_runtime(command, target="cuda-emu")
        with tempfile.TemporaryDirectory(prefix="tessera-cuda-sanitize-probe-") as directory:
            build_emulated('extern "C" int tessera_probe(void) { return 0; }\n', sanitize=True,
                           cache_dir=directory)
    except TesseraError:
        return False
    return True


def emulation_sanitizers_available() -> bool:
    """Whether the C++ compiler has ASan's runtime and can build the emulation with the
    sanitizers."""
    try:
        return _probe_sanitizers(tuple(cxx_command()))
    except TesseraError:
        return False


def call_emulated_sanitized(
    library_path: str | os.PathLike[str],
    symbol: str,
    args: Sequence[Argument],
    *,
    source: str | None = None,
    timeout: float | None = None,
) -> None:
    """`call_emulated` in a child process under ASan and UBSan, for a library built with
    `build_emulated(source, sanitize=True)`. Arrays the launcher writes are updated in
    place; a sanitizer report (trimmed to the frames in kernel.cu) or a failing launch is a
    TesseraError."""
    from tessera.targets.c.sanitize import TIMEOUT_SECONDS, asan_runtime, run_in_sanitized_child

    library = Path(library_path).resolve()
    if source is None:
        source = _source_beside(library)
    signature = None if source is None else launcher_signature(source, symbol)
    prepared = _prepare("cuda-emu", symbol, signature, args)  # errors before the child
    arrays = {}
    for index, argument in enumerate(prepared):
        if isinstance(argument, _Array):
            arrays[f"in{index}"] = argument.staged
        else:  # a ctypes scalar: its value, at its width
            arrays[f"in{index}"] = np.array(argument.value, dtype=_scalar_dtype(argument))
    request = {"library": str(library), "symbol": symbol, "source": source,
               "arguments": len(prepared)}
    results = run_in_sanitized_child(
        "tessera.targets.cuda.runner", request, arrays,
        runtime=asan_runtime(cxx_command(), target="cuda-emu"), what=f"cuda-emu: {symbol}",
        timeout=TIMEOUT_SECONDS if timeout is None else timeout, source_names=(SOURCE_NAME,))
    if "error" in results:
        raise TesseraError(str(results["error"]))
    _copy_back(prepared, lambda index, array: results[f"in{index}"])


def _scalar_dtype(value: ctypes._SimpleCData) -> np.dtype:
    for dtype, ctype in _C_TYPES.values():
        if ctype is type(value):
            return dtype
    raise AssertionError(f"no dtype for {type(value).__name__}")


def _child(directory: Path) -> None:
    """In the sanitized child: load the library, call the launcher, save the arrays."""
    request = json.loads((directory / "request.json").read_text(encoding="utf-8"))
    with np.load(directory / "inputs.npz") as saved:
        arguments = [saved[f"in{i}"] for i in range(request["arguments"])]
    # 0-d arrays are scalars, at their dtype: NumPy scalars pass as exactly that type.
    arguments = [a[()] if a.shape == () else a for a in arguments]
    results: dict[str, Any] = {}
    try:
        EmulatedLibrary(request["library"], request["source"]).call(request["symbol"],
                                                                    arguments)
    except TesseraError as e:
        results["error"] = np.array(e.message)
    results.update({f"in{i}": a for i, a in enumerate(arguments) if isinstance(a, np.ndarray)})
    np.savez(directory / "outputs.npz", **results)


# --------------------------------------------------------------------------------------
# A real GPU
# --------------------------------------------------------------------------------------


def _cupy() -> Any:
    """CuPy, once it is known to see a GPU; else `cuda: no GPU available (why)`."""
    try:
        import cupy
    except Exception as e:  # ImportError, or a CuPy broken by a missing CUDA library
        raise TesseraError(f"cuda: no GPU available (CuPy cannot be imported: {e})") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDARuntimeError: no driver, no device
        raise TesseraError(f"cuda: no GPU available ({e})") from None
    if count < 1:
        raise TesseraError("cuda: no GPU available (CUDA sees no device)")
    return cupy


def gpu_available() -> bool:
    """Whether CuPy is installed and sees a GPU."""
    try:
        _cupy()
    except TesseraError:
        return False
    return True


def gpu_arch() -> str:
    """The current GPU's architecture, e.g. "sm_90" (a TesseraError without a GPU)."""
    cupy = _cupy()
    return f"sm_{cupy.cuda.Device().compute_capability}"


@functools.lru_cache(maxsize=64)
def _load_gpu(path: str) -> ctypes.CDLL:
    try:
        return ctypes.CDLL(path)
    except OSError as e:
        raise TesseraError(f"cuda: cannot load {path}: {e}") from None


def call_gpu(source_or_library: str | os.PathLike[str], symbol: str,
             args: Sequence[Argument], *, arch: str | None = None) -> None:
    """Call launcher `symbol` on a real GPU: arrays are copied to CuPy device arrays, the
    launcher runs on their device pointers, written arrays are copied back in place.

    `source_or_library` is CUDA source (a str), built with `build.build_gpu_library` for
    `arch` (default: the current GPU's), or the path of a library built so. Without CuPy or
    a GPU: TesseraError `cuda: no GPU available (...)`."""
    cupy = _cupy()
    if isinstance(source_or_library, str):
        source = source_or_library
        library = build_gpu_library(source + GPU_ERROR_STRING, arch or gpu_arch())
    else:
        library = Path(source_or_library).resolve()
        source = _source_beside(library)
    dll = _load_gpu(str(library))
    try:
        function = getattr(dll, symbol)
    except AttributeError:
        raise TesseraError(f"cuda: no launcher {symbol} in {library}") from None
    signature = None if source is None else launcher_signature(source, symbol)
    prepared = _prepare("cuda", symbol, signature, args)
    device = {index: cupy.asarray(a.staged) for index, a in enumerate(prepared)
              if isinstance(a, _Array)}
    function.restype = ctypes.c_int
    function.argtypes = [ctypes.c_void_p if isinstance(a, _Array) else type(a)
                         for a in prepared]
    values = [device[i].data.ptr if isinstance(a, _Array) else a
              for i, a in enumerate(prepared)]
    cupy.cuda.Device().synchronize()  # the copies in are done before the launcher runs
    code = function(*values)
    if code != 0:
        raise TesseraError(f"cuda: {symbol}: {_gpu_error_string(dll, code)}")
    cupy.cuda.Device().synchronize()
    _copy_back(prepared, lambda index, array: cupy.asnumpy(device[index]))


def _gpu_error_string(dll: ctypes.CDLL, code: int) -> str:
    helper = getattr(dll, "tessera_cuda_error_string", None)
    if helper is None:
        return f"CUDA error {code}"
    helper.restype = ctypes.c_char_p
    helper.argtypes = [ctypes.c_int]
    return f"{helper(code).decode(errors='replace')} (error {code})"


if __name__ == "__main__":
    _child(Path(sys.argv[1]))
