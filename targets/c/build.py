"""Compiling emitted C into a shared library, once per distinct (source, flags, compiler).

Tuning compiles many candidates, often the same ones again, from several processes at once.
So libraries live in a content-addressed cache (`$TESSERA_CACHE_DIR`, else
`~/.cache/tessera`, under `c/`), keyed by a hash of the source, the flags, the compiler's
version and the host CPU (`-march=native` code must not run on another machine sharing the
cache). Each build happens in a private temporary directory inside the cache and is moved
into place with `os.replace`, which is atomic: a concurrent reader sees the whole library
or none. A missing compiler or a failed compile is a TesseraError carrying the compiler's
own message.

Sources with an OpenMP pragma (a schedule's parallel loops) are built with `-fopenmp`,
added to the flags before the key is taken, so the key still names the whole command.

The CUDA target (`targets/cuda/build.py`) builds through the same helpers: `cache_key`,
`build_in_cache`, and `Tool`, which names a compiler in error messages.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tessera.compiler.diagnostics import TesseraError

# -ffp-contract=fast: in an ISO mode such as -std=c99 gcc defaults to -ffp-contract=off and
# fuses nothing, so the `a * b + c` a schedule writes for an FMA (vector.fma included) would
# stay a multiply and an add. Contraction only ever removes a rounding.
DEFAULT_FLAGS: tuple[str, ...] = ("-O3", "-march=native", "-std=c99", "-fPIC", "-shared",
                                  "-ffp-contract=fast")
OPENMP_FLAG = "-fopenmp"
_OPENMP_PRAGMA = re.compile(r"^[ \t]*#[ \t]*pragma[ \t]+omp\b", re.MULTILINE)
# How much of a failing compiler's stderr a TesseraError carries.
MAX_ERROR_LINES = 30


@dataclass(frozen=True)
class Tool:
    """How errors name a compiler: `{target}: {kind} '{command}' not found; ... set {setting}`.
    The CUDA target runs its compilers (C++ for the emulation, nvcc) through the same helpers."""

    target: str = "c target"
    kind: str = "C compiler"
    setting: str = "TESSERA_CC"


C_COMPILER = Tool()


def compiler_command() -> list[str]:
    """The C compiler to run: `$TESSERA_CC` (may carry arguments), else `cc`, else `gcc`."""
    configured = os.environ.get("TESSERA_CC", "").strip()
    if configured:
        return shlex.split(configured)
    for candidate in ("cc", "gcc"):
        if shutil.which(candidate):
            return [candidate]
    raise TesseraError("c target: no C compiler found (tried cc and gcc); set TESSERA_CC")


def cache_root(subdirectory: str = "c") -> Path:
    """Where builds are cached: `$TESSERA_CACHE_DIR`, else `~/.cache/tessera`, then one
    subdirectory per kind of build (`c`, `cuda-emu`, ...)."""
    configured = os.environ.get("TESSERA_CACHE_DIR")
    root = Path(configured) if configured else Path.home() / ".cache" / "tessera"
    return root / subdirectory


def _trimmed(text: str) -> str:
    lines = text.strip().splitlines()
    if len(lines) > MAX_ERROR_LINES:
        lines = lines[:MAX_ERROR_LINES] + [f"... ({len(lines) - MAX_ERROR_LINES} more lines)"]
    return "\n".join(lines)


def _run(command: list[str], *, tool: Tool = C_COMPILER,
         **kwargs) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    except FileNotFoundError:
        raise TesseraError(
            f"{tool.target}: {tool.kind} '{command[0]}' not found; "
            f"install one or set {tool.setting}") from None
    except PermissionError:
        raise TesseraError(f"{tool.target}: {tool.kind} '{command[0]}' cannot be run") from None


@functools.lru_cache(maxsize=None)
def compiler_version(command: tuple[str, ...], tool: Tool = C_COMPILER) -> str:
    """`cc --version`, part of the cache key: a compiler upgrade rebuilds every library."""
    result = _run([*command, "--version"], tool=tool)
    if result.returncode != 0:
        raise TesseraError(
            f"{tool.target}: '{shlex.join(command)} --version' failed:\n"
            f"{_trimmed(result.stderr)}")
    return result.stdout.strip()


@functools.lru_cache(maxsize=None)
def _host_cpu() -> str:
    """The host CPU's model and feature flags: what `-march=native` compiles for."""
    description = [platform.machine()]
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith(("model name", "flags", "Features")):
                    description.append(line.strip())
                if len(description) == 3:
                    break
    except OSError:
        description.append(platform.processor())
    return "\n".join(description)


def uses_openmp(source: str) -> bool:
    """Whether C `source` has an OpenMP pragma (and so needs `-fopenmp`)."""
    return _OPENMP_PRAGMA.search(source) is not None


def build_flags(source: str, flags: Sequence[str], extra_flags: Sequence[str] = ()) -> list[str]:
    """The flags `source` is compiled with: `flags`, then `$TESSERA_CFLAGS` (the test
    suite sets `-Wall -Wextra -Werror`, so every kernel it compiles must be warning-free),
    then `extra_flags`, then `-fopenmp` when the source needs it and the flags do not say
    so already."""
    all_flags = [*flags, *shlex.split(os.environ.get("TESSERA_CFLAGS", "")), *extra_flags]
    if uses_openmp(source) and OPENMP_FLAG not in all_flags:
        all_flags.append(OPENMP_FLAG)
    return all_flags


def cache_key(source: str, flags: Sequence[str], command: Sequence[str], *,
              tool: Tool = C_COMPILER, extra: Mapping[str, str] | None = None) -> str:
    """The hash naming a build: source, flags, compiler and its version, host CPU, and
    `extra` (anything else the build reads, such as a force-included header's text)."""
    identity = {
        "source": source,
        "flags": list(flags),
        "compiler": list(command),
        "version": compiler_version(tuple(command), tool),
        "host": _host_cpu(),
    }
    if extra:
        identity["extra"] = dict(extra)
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def build_in_cache(directory: Path, key: str, artifact_suffix: str,
                   build: Callable[[Path, Path], None], *, tool: Tool = C_COMPILER) -> Path:
    """`directory/{key}{artifact_suffix}`, built first if it is not there yet.

    `build(build_dir, destination)` runs in a private temporary directory inside `directory`
    (removed afterwards, whatever happens) and publishes its files with `os.replace` as
    `destination.with_suffix(...)`, the artifact last: its presence means a whole build."""
    artifact = directory / f"{key}{artifact_suffix}"
    if artifact.exists():
        return artifact
    try:
        directory.mkdir(parents=True, exist_ok=True)
        build_dir = Path(tempfile.mkdtemp(prefix=".build-", dir=directory))
        try:
            build(build_dir, directory / key)
        finally:
            shutil.rmtree(build_dir, ignore_errors=True)
    except OSError as e:
        raise TesseraError(
            f"{tool.target}: cannot build in the cache directory {directory}: {e}") from None
    return artifact


def build_shared_library(
    source: str,
    *,
    extra_flags: Sequence[str] = (),
    flags: Sequence[str] = DEFAULT_FLAGS,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Compile C `source` to a shared library and return its path, reusing a cached build.

    `flags` replaces the default flags, `extra_flags` is appended to them (later flags win,
    so `extra_flags=["-O0"]` overrides `-O3`), and `-fopenmp` is added for a source with an
    OpenMP pragma. The compiler is `compiler_command()`.
    """
    command = compiler_command()
    all_flags = build_flags(source, flags, extra_flags)
    directory = Path(cache_dir) if cache_dir is not None else cache_root()
    key = cache_key(source, all_flags, command)
    return build_in_cache(
        directory, key, ".so",
        lambda build_dir, destination: _compile(source, command, all_flags, build_dir,
                                                destination))


def _compile(source: str, command: list[str], flags: list[str], build_dir: Path,
             destination: Path) -> None:
    """Compile in `build_dir`, then publish `destination`.so (and its .c) atomically."""
    source_file = build_dir / "kernel.c"
    source_file.write_text(source, encoding="utf-8")
    output = build_dir / "kernel.so"
    # Relative names, so the compiler's messages say `kernel.c:3:5`, not a temporary path.
    result = _run([*command, *flags, source_file.name, "-o", output.name], cwd=build_dir)
    if result.returncode != 0:
        raise TesseraError(
            f"c target: '{shlex.join(command)}' failed (exit {result.returncode}) "
            f"compiling the generated C:\n{_trimmed(result.stderr)}")
    # The source beside the library, to read what a cached kernel is.
    os.replace(source_file, destination.with_suffix(".c"))
    os.replace(output, destination.with_suffix(".so"))
