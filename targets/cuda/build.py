"""Building CUDA source: for the CPU emulation (g++), as cubins for ptxas's resource report
(nvcc -cubin), and as a shared library for a real GPU (nvcc -shared).

All three reuse the C target's content-addressed cache (`targets/c/build.py`): a build is
named by a hash of the source, the flags, the compiler and its version (and, for the
emulation, the text of the force-included header), made in a private temporary directory
and published with an atomic `os.replace`, so concurrent builders and readers never see half
a file. They live beside the C target's builds, under `$TESSERA_CACHE_DIR` (else
`~/.cache/tessera`) in `cuda-emu/`, `cuda-cubin/` and `cuda-gpu/`, each with its `.cu` source
next to it to read what a cached build is.

- `build_emulated(source)` compiles the `.cu` as C++17 with `tessera_cuda_emu.h`
  force-included (see that header for the execution model), warnings as errors;
  `sanitize=True` adds the C target's ASan/UBSan flags (and, with g++, instruments the
  `__shared__` section so an overflow from one shared array into the next is reported).
- `build_cubin(source, arch)` compiles the device code with `nvcc -cubin -O3 -Xptxas -v` and
  returns ptxas's report per kernel: registers, spills, stack frame, shared and constant
  memory. CUDA 13 compiles sm_75 and later; sm_70 and older are gone.
- `build_gpu_library(source, arch)` is the real thing, for `runner.call_gpu`.

A missing compiler or a failed compile is a TesseraError carrying the compiler's message.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shlex
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tessera.compiler.diagnostics import TesseraError
from tessera.targets.c.build import (
    Tool,
    _run,
    _trimmed,
    build_in_cache,
    cache_key,
    cache_root,
    compiler_version,
)
from tessera.targets.c.sanitize import SANITIZE_FLAGS

HEADER = Path(__file__).with_name("tessera_cuda_emu.h")
# The linker section holding `__shared__` variables (the header's `__shared__` macro).
SHARED_SECTION = "tessera_shared"
# The source file's name in every build directory: compiler messages and sanitizer reports
# say `kernel.cu:12`.
SOURCE_NAME = "kernel.cu"

CXX = Tool(target="cuda-emu", kind="C++ compiler", setting="TESSERA_CXX")
NVCC = Tool(target="cuda target", kind="CUDA compiler", setting="TESSERA_NVCC")

# -ffp-contract=fast as nvcc (--fmad=true) and the C target do: a * b + c may be one FMA.
# -z defs: a function the source calls but nothing defines (a CUDA intrinsic the header
# lacks) is a link error here, with the linker's message, not a failure to load later.
EMULATED_FLAGS: tuple[str, ...] = (
    "-x", "c++", "-std=c++17", "-O2", "-fPIC", "-shared", "-ffp-contract=fast",
    "-Wall", "-Wextra", "-Werror", "-Wl,-z,defs",
)
SANITIZE_EMULATED_FLAGS: tuple[str, ...] = (
    "-x", "c++", "-std=c++17", *(flag for flag in SANITIZE_FLAGS if flag != "-std=c99"),
    "-Wl,-z,defs",
)
# Last, after any user flags: `#pragma unroll` is nvcc's, unknown to g++ (and GCC before 13
# ignores `#pragma GCC diagnostic` for this warning in C++, so the header cannot say it).
_LAST_FLAGS: tuple[str, ...] = ("-Wno-unknown-pragmas",)
CUBIN_FLAGS: tuple[str, ...] = ("-cubin", "-O3", "-Xptxas", "-v")
GPU_LIBRARY_FLAGS: tuple[str, ...] = ("-shared", "-Xcompiler", "-fPIC", "-O3")
_ARCH = re.compile(r"sm_[0-9]+[a-z]?")
_NVCC_FALLBACKS = ("/usr/local/bin/nvcc", "/usr/local/cuda/bin/nvcc")


# --------------------------------------------------------------------------------------
# The emulation
# --------------------------------------------------------------------------------------


def cxx_command() -> list[str]:
    """The C++ compiler for the emulation: `$TESSERA_CXX` (may carry arguments), else `c++`,
    else `g++`."""
    configured = os.environ.get("TESSERA_CXX", "").strip()
    if configured:
        return shlex.split(configured)
    for candidate in ("c++", "g++"):
        if shutil.which(candidate):
            return [candidate]
    raise TesseraError("cuda-emu: no C++ compiler found (tried c++ and g++); set TESSERA_CXX")


@functools.lru_cache(maxsize=None)
def _header_text(path: Path, mtime_ns: int) -> str:
    del mtime_ns  # part of the cache key only: an edited header is read again
    return path.read_text(encoding="utf-8")


def header_text() -> str:
    """The emulation header's text: part of every emulated build's cache key."""
    return _header_text(HEADER, HEADER.stat().st_mtime_ns)


def emulated_flags(command: Sequence[str], *, sanitize: bool = False,
                   extra_flags: Sequence[str] = ()) -> list[str]:
    """The flags of an emulated build: the defaults (or the sanitizing ones), then
    `$TESSERA_CXXFLAGS`, then `extra_flags`, then `-Wno-unknown-pragmas`."""
    flags = list(SANITIZE_EMULATED_FLAGS if sanitize else EMULATED_FLAGS)
    if sanitize and "clang" not in compiler_version(tuple(command), CXX).lower():
        # g++ leaves globals in named sections without redzones unless asked; the header
        # poisons the section in a way that tolerates them (clang has no such option).
        flags.append(f"-fsanitize-sections={SHARED_SECTION}")
    return [*flags, *shlex.split(os.environ.get("TESSERA_CXXFLAGS", "")), *extra_flags,
            *_LAST_FLAGS]


def build_emulated(
    source: str,
    *,
    sanitize: bool = False,
    extra_flags: Sequence[str] = (),
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Compile CUDA `source` for the CPU emulation; return the shared library's path.

    The source is compiled as C++17 with `tessera_cuda_emu.h` force-included, warnings as
    errors; `sanitize` builds it with ASan and UBSan, to be called through
    `runner.call_emulated_sanitized`. The `.cu` is kept beside the library.
    """
    command = cxx_command()
    flags = emulated_flags(command, sanitize=sanitize, extra_flags=extra_flags)
    directory = Path(cache_dir) if cache_dir is not None else cache_root("cuda-emu")
    key = cache_key(source, flags, command, tool=CXX,
                    extra={"header": hashlib.sha256(header_text().encode()).hexdigest()})

    def build(build_dir: Path, destination: Path) -> None:
        (build_dir / SOURCE_NAME).write_text(source, encoding="utf-8")
        # The prefix map (not part of the key: it changes no code) makes debug information,
        # and so sanitizer reports, say `./kernel.cu:12` rather than a deleted directory.
        _compile([*command, *flags, f"-fdebug-prefix-map={build_dir}=.", "-include",
                  str(HEADER), SOURCE_NAME, "-o", "kernel.so"], CXX, build_dir,
                 "for the CUDA emulation")
        os.replace(build_dir / SOURCE_NAME, destination.with_suffix(".cu"))
        os.replace(build_dir / "kernel.so", destination.with_suffix(".so"))

    return build_in_cache(directory, key, ".so", build, tool=CXX)


def _compile(command: list[str], tool: Tool, build_dir: Path, purpose: str) -> None:
    # Relative names (run in build_dir), so messages say `kernel.cu:3:5`.
    result = _run(command, tool=tool, cwd=build_dir)
    if result.returncode != 0:
        message = result.stderr.strip() or result.stdout.strip()
        raise TesseraError(
            f"{tool.target}: '{command[0]}' failed (exit {result.returncode}) compiling "
            f"{SOURCE_NAME} {purpose}:\n{_trimmed(message)}")


# --------------------------------------------------------------------------------------
# nvcc
# --------------------------------------------------------------------------------------


def nvcc_command() -> list[str]:
    """nvcc: `$TESSERA_NVCC` (may carry arguments), else `nvcc` on PATH, else
    /usr/local/bin/nvcc or /usr/local/cuda/bin/nvcc."""
    configured = os.environ.get("TESSERA_NVCC", "").strip()
    if configured:
        return shlex.split(configured)
    found = shutil.which("nvcc")
    if found:
        return [found]
    for candidate in _NVCC_FALLBACKS:
        if os.access(candidate, os.X_OK):
            return [candidate]
    raise TesseraError("cuda target: nvcc not found (tried nvcc on PATH, "
                       f"{', '.join(_NVCC_FALLBACKS)}); install the CUDA toolkit or set "
                       "TESSERA_NVCC")


def nvcc_available() -> bool:
    """Whether nvcc is there and runs (`nvcc --version`)."""
    try:
        compiler_version(tuple(nvcc_command()), NVCC)
    except TesseraError:
        return False
    return True


def _check_arch(arch: str) -> str:
    if not _ARCH.fullmatch(arch):
        raise TesseraError(f"cuda target: '{arch}' is not a GPU architecture "
                           "(expected sm_NN, e.g. sm_80 or sm_90)")
    return arch


@dataclass(frozen=True)
class KernelResources:
    """What ptxas says one function uses (bytes, except registers and barriers)."""

    name: str
    is_entry: bool = False  # a __global__ kernel, not a __device__ function
    registers: int = 0
    barriers: int = 0
    stack_frame: int = 0
    spill_stores: int = 0
    spill_loads: int = 0
    shared_bytes: int = 0  # static shared memory (`smem`)
    constant_bytes: dict[int, int] = field(default_factory=dict)  # cmem[bank] -> bytes
    cumulative_stack: int = 0  # with the stacks of the functions it calls

    @property
    def spills(self) -> bool:
        return self.spill_stores > 0 or self.spill_loads > 0


@dataclass(frozen=True)
class PtxasReport:
    """ptxas's `-v` report for one compiled `.cu` and one architecture."""

    arch: str
    functions: dict[str, KernelResources]
    global_bytes: int = 0  # `gmem`: __device__ variables
    constant_bytes: dict[int, int] = field(default_factory=dict)  # module-level cmem banks
    warnings: tuple[str, ...] = ()
    log: str = ""
    cubin: Path | None = None

    @property
    def kernels(self) -> dict[str, KernelResources]:
        """The entry functions (`__global__`) by name."""
        return {name: f for name, f in self.functions.items() if f.is_entry}

    def __getitem__(self, name: str) -> KernelResources:
        try:
            return self.functions[name]
        except KeyError:
            raise KeyError(f"ptxas reported no function '{name}' (it has: "
                           f"{', '.join(self.functions) or 'none'})") from None


_INFO = re.compile(r"^ptxas info\s*:\s*(.*)$")
_WARNING = re.compile(r"^ptxas warning\s*:\s*(.*)$")
_ENTRY = re.compile(r"Compiling entry function '([^']+)' for '([^']+)'")
_PROPERTIES = re.compile(r"Function properties for (\S+)")
_FRAME = re.compile(
    r"^\s*(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
_BYTES = re.compile(r"(\d+) bytes (\w+)(?:\[(\d+)\])?")


def parse_ptxas_report(log: str, arch: str, cubin: Path | None = None) -> PtxasReport:
    """Parse the output of `ptxas -v` (as nvcc -Xptxas -v prints it)."""
    fields: dict[str, dict] = {}
    module: dict = {"global_bytes": 0, "constant_bytes": {}}
    warnings: list[str] = []
    entry: str | None = None  # the entry function the next `Used ...` line is about
    properties: str | None = None  # the function the next stack-frame line is about

    def record(name: str) -> dict:
        return fields.setdefault(name, {"name": name, "constant_bytes": {}})

    for line in log.splitlines():
        frame = _FRAME.match(line)
        if frame and properties is not None:
            record(properties).update(stack_frame=int(frame[1]), spill_stores=int(frame[2]),
                                      spill_loads=int(frame[3]))
            continue
        warning = _WARNING.match(line.strip())
        if warning:
            warnings.append(warning[1])
            continue
        info = _INFO.match(line.strip())
        if not info:
            continue
        text = info[1]
        if match := _ENTRY.search(text):
            entry = match[1]
            record(entry)["is_entry"] = True
        elif match := _PROPERTIES.search(text):
            properties = match[1]
        elif text.startswith("Used ") and entry is not None:
            target = record(entry)
            if match := re.search(r"Used (\d+) registers", text):
                target["registers"] = int(match[1])
            if match := re.search(r"used (\d+) barriers", text):
                target["barriers"] = int(match[1])
            if match := re.search(r"(\d+) bytes cumulative stack size", text):
                target["cumulative_stack"] = int(match[1])
            for amount, kind, bank in _BYTES.findall(text):
                if kind == "smem":
                    target["shared_bytes"] = int(amount)
                elif kind == "cmem" and bank:
                    target["constant_bytes"][int(bank)] = int(amount)
        elif _BYTES.match(text):  # the module's line: `24 bytes gmem, 16 bytes cmem[3]`
            for amount, kind, bank in _BYTES.findall(text):
                if kind == "gmem":
                    module["global_bytes"] = int(amount)
                elif kind == "cmem" and bank:
                    module["constant_bytes"][int(bank)] = int(amount)
    return PtxasReport(
        arch=arch,
        functions={name: KernelResources(**values) for name, values in fields.items()},
        global_bytes=module["global_bytes"],
        constant_bytes=module["constant_bytes"],
        warnings=tuple(warnings),
        log=log,
        cubin=cubin,
    )


def build_cubin(
    source: str,
    arch: str,
    *,
    extra_flags: Sequence[str] = (),
    cache_dir: str | os.PathLike[str] | None = None,
) -> PtxasReport:
    """Compile the device code of CUDA `source` for `arch` (e.g. "sm_80") with
    `nvcc -cubin -O3 -Xptxas -v` and return ptxas's report.

    The whole file must compile, host launcher included (nvcc parses it, though a cubin holds
    only device code). The cubin, the source and ptxas's log are cached; the report is parsed
    from the log on every call.
    """
    _check_arch(arch)
    command = nvcc_command()
    flags = [*CUBIN_FLAGS, f"-arch={arch}", *extra_flags]
    directory = Path(cache_dir) if cache_dir is not None else cache_root("cuda-cubin")
    key = cache_key(source, flags, command, tool=NVCC)

    def build(build_dir: Path, destination: Path) -> None:
        (build_dir / SOURCE_NAME).write_text(source, encoding="utf-8")
        command_line = [*command, *flags, SOURCE_NAME, "-o", "kernel.cubin"]
        result = _run(command_line, tool=NVCC, cwd=build_dir)
        if result.returncode != 0:
            message = "\n".join(line for line in (result.stdout + result.stderr).splitlines()
                                if not _INFO.match(line) and not _FRAME.match(line))
            raise TesseraError(
                f"cuda target: nvcc failed (exit {result.returncode}) compiling {SOURCE_NAME} "
                f"for {arch}:\n{_trimmed(message)}")
        (build_dir / "kernel.ptxas").write_text(result.stdout + result.stderr, encoding="utf-8")
        os.replace(build_dir / SOURCE_NAME, destination.with_suffix(".cu"))
        os.replace(build_dir / "kernel.cubin", destination.with_suffix(".cubin"))
        os.replace(build_dir / "kernel.ptxas", destination.with_suffix(".ptxas"))

    log = build_in_cache(directory, key, ".ptxas", build, tool=NVCC)
    return parse_ptxas_report(log.read_text(encoding="utf-8"), arch,
                              cubin=log.with_suffix(".cubin"))


def build_gpu_library(
    source: str,
    arch: str,
    *,
    extra_flags: Sequence[str] = (),
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Compile CUDA `source` with `nvcc -shared -Xcompiler -fPIC -O3 -arch=<arch>` into a
    shared library for a real GPU; return its path (the `.cu` is kept beside it).

    `arch` is explicit (not `native`) so that the cache key names the machine code."""
    _check_arch(arch)
    command = nvcc_command()
    flags = [*GPU_LIBRARY_FLAGS, f"-arch={arch}", *extra_flags]
    directory = Path(cache_dir) if cache_dir is not None else cache_root("cuda-gpu")
    key = cache_key(source, flags, command, tool=NVCC)

    def build(build_dir: Path, destination: Path) -> None:
        (build_dir / SOURCE_NAME).write_text(source, encoding="utf-8")
        _compile([*command, *flags, SOURCE_NAME, "-o", "kernel.so"], NVCC, build_dir,
                 f"for {arch}")
        os.replace(build_dir / SOURCE_NAME, destination.with_suffix(".cu"))
        os.replace(build_dir / "kernel.so", destination.with_suffix(".so"))

    return build_in_cache(directory, key, ".so", build, tool=NVCC)
