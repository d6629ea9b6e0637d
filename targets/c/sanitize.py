"""Running a module's C under AddressSanitizer and UBSan, with every warning an error.

`run_sanitized(module, entry, inputs)` is the strict twin of `compile_module(module)[entry]`:
the module (already at the C level) is emitted, compiled with `SANITIZE_FLAGS` (`-O1 -g
-Wall -Wextra -Werror`, ASan and UBSan with no recovery; `-fopenmp` added as for any
build) into the same content-addressed cache, and called on `inputs` in a child Python
process. The
child is needed because an ASan-instrumented library can only be loaded into a process whose
first library is the ASan runtime: it starts with `LD_PRELOAD` naming the compiler's libasan
(and leak detection off, since the interpreter itself is not instrumented and "leaks" by
design). Arguments and results travel as .npz files in a private temporary directory,
removed afterwards. A compiler warning (through `-Werror`) or a sanitizer report is a
TesseraError carrying the (trimmed) report.

The child is this module run as `python -m tessera.targets.c.sanitize DIRECTORY`. The
parent's half of that protocol, `run_in_sanitized_child`, is shared with the CUDA target's
emulation (`tessera.targets.cuda.runner`), which runs its own child the same way.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from tessera.compiler.diagnostics import TesseraError
from tessera.targets.c.build import MAX_ERROR_LINES, build_shared_library, compiler_command
from tessera.targets.c.signatures import CParam, CSignature

SANITIZE_FLAGS: tuple[str, ...] = (
    "-std=c99", "-fPIC", "-shared", "-ffp-contract=fast",
    "-O1", "-g", "-Wall", "-Wextra", "-Werror",
    # float-cast-overflow is not part of gcc's `undefined`; the emitter promises it too.
    "-fsanitize=address,undefined,float-cast-overflow", "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
)
# How long the child may run before it counts as hung.
TIMEOUT_SECONDS = 600
# Lines that open a sanitizer's report in the child's stderr.
_REPORT_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                   "AddressSanitizer:DEADLYSIGNAL", "UndefinedBehaviorSanitizer")
_FRAME = re.compile(r"^\s+#\d+ ")


@functools.lru_cache(maxsize=None)
def _runtime_for(command: tuple[str, ...]) -> str | None:
    try:
        printed = subprocess.run([*command, "-print-file-name=libasan.so"], capture_output=True,
                                 text=True, check=False).stdout.strip()
    except OSError:
        return None
    # Without the library the compiler prints the bare name back.
    return printed if os.path.isabs(printed) and os.path.exists(printed) else None


def asan_runtime(command: Sequence[str] | None = None, *, target: str = "c target") -> Path:
    """The ASan runtime of `command` (default: the C compiler) as `command
    -print-file-name=libasan.so` names it, or a TesseraError."""
    command = tuple(compiler_command() if command is None else command)
    runtime = _runtime_for(command)
    if runtime is None:
        raise TesseraError(f"{target}: '{' '.join(command)}' has no AddressSanitizer runtime "
                           "(libasan.so); install it (e.g. the libasan package of gcc)")
    return Path(runtime)


@functools.lru_cache(maxsize=None)
def _probe(command: tuple[str, ...]) -> bool:
    try:
        asan_runtime()
        with tempfile.TemporaryDirectory(prefix="tessera-sanitize-probe-") as directory:
            build_shared_library("int tessera_probe(int x) { return x + 1; }\n",
                                 flags=SANITIZE_FLAGS, cache_dir=directory)
    except TesseraError:
        return False
    return True


def sanitizers_available() -> bool:
    """Whether the compiler has the ASan runtime and can build with SANITIZE_FLAGS."""
    try:
        return _probe(tuple(compiler_command()))
    except TesseraError:
        return False


def _report(stderr: str, source_names: Sequence[str] = ("kernel.c",)) -> str:
    """The sanitizer's report in the child's stderr, trimmed: from its first line to its
    SUMMARY, stack frames outside the kernel's source (`source_names`: the interpreter's,
    below the kernel's) elided."""
    lines = stderr.strip().splitlines()
    start = next((i for i, line in enumerate(lines)
                  if any(marker in line for marker in _REPORT_MARKERS)), 0)
    # ASan opens its report with a line of '=' just above the ERROR line.
    if start > 0 and lines[start - 1].lstrip("=0123456789").strip() == "":
        start -= 1
    kept: list[str] = []
    for line in lines[start:]:
        if _FRAME.match(line) and not any(name in line for name in source_names):
            if not kept or kept[-1] != "    ...":
                kept.append("    ...")
            continue
        kept.append(line)
        if line.startswith("SUMMARY:"):
            break
    if len(kept) > MAX_ERROR_LINES:
        kept = kept[:MAX_ERROR_LINES] + [f"... ({len(kept) - MAX_ERROR_LINES} more lines)"]
    return "\n".join(kept)


def run_sanitized(
    module: ModuleOp,
    entry: str,
    inputs: Sequence[Any],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> list[np.ndarray]:
    """Call @`entry` of a C-level `module` on `inputs` under ASan + UBSan, in a child process.

    `inputs` are the non-{tessera.out} arguments, checked and converted as `CFunction` does
    (scalars may be numbers or 0-d arrays). Returns the {tessera.out} results in order;
    arguments the function updates in place are updated in the caller's arrays too.
    """
    from tessera.targets.c import runner

    runtime = asan_runtime()
    library, signatures, _ = runner.build_module(module, flags=SANITIZE_FLAGS,
                                                 cache_dir=cache_dir)
    signature = signatures.get(entry)
    if signature is None or signature.is_declaration:
        defined = [s for s, sig in signatures.items() if not sig.is_declaration]
        raise TesseraError(f"no function @{entry} in the compiled module "
                           f"(it has: {', '.join(defined) or 'none'})")
    parameters = [p for p in signature.params if not p.is_out]
    if len(inputs) != len(parameters):
        names = ", ".join(p.name for p in parameters) or "none"
        raise TesseraError(f"@{entry} takes {len(parameters)} argument(s) ({names}), "
                           f"got {len(inputs)}")
    arrays = {}
    for index, (param, value) in enumerate(zip(parameters, inputs)):
        if param.shape is None:
            if isinstance(value, np.ndarray) and value.shape == ():
                value = value.item()
            scalar = runner._scalar(entry, param, value).value
            arrays[f"in{index}"] = np.array(scalar, dtype=runner.NUMPY_DTYPES[param.element_type])
        else:
            arrays[f"in{index}"] = runner._buffer(entry, param, value)

    request = {"library": str(library), "signature": dataclasses.asdict(signature)}
    results = run_in_sanitized_child("tessera.targets.c.sanitize", request, arrays,
                                     runtime=runtime, what=f"c target: @{entry}",
                                     timeout=timeout)
    outputs = [results[f"out{i}"] for i in range(sum(p.is_out for p in signature.params))]
    for index, (param, value) in enumerate(zip(parameters, inputs)):
        if param.is_written and param.shape is not None and isinstance(value, np.ndarray):
            np.copyto(value, results[f"in{index}"])
    return outputs


def run_in_sanitized_child(
    child_module: str,
    request: dict[str, Any],
    arrays: dict[str, np.ndarray],
    *,
    runtime: Path,
    what: str,
    timeout: float = TIMEOUT_SECONDS,
    source_names: Sequence[str] = ("kernel.c",),
) -> dict[str, np.ndarray]:
    """Run `python -m child_module DIRECTORY` with ASan's `runtime` preloaded and return the
    arrays it saved.

    The directory is private and removed afterwards; it holds `request.json` (`request`)
    and `inputs.npz` (`arrays`) for the child, which writes `outputs.npz`. A time-out, a
    non-zero exit or a sanitizer report in the child's stderr is a TesseraError starting
    with `what`, carrying the report trimmed to the frames in `source_names`."""
    with tempfile.TemporaryDirectory(prefix="tessera-sanitize-") as directory:
        work = Path(directory)
        np.savez(work / "inputs.npz", **arrays)
        (work / "request.json").write_text(json.dumps(request), encoding="utf-8")
        preload = os.environ.get("LD_PRELOAD", "")
        env = {
            **os.environ,
            "LD_PRELOAD": f"{runtime} {preload}".strip(),  # ASan's runtime must come first
            "ASAN_OPTIONS": "detect_leaks=0",
            "UBSAN_OPTIONS": "print_stacktrace=1",
        }
        command = [sys.executable, "-m", child_module, str(work)]
        try:
            child = subprocess.run(command, env=env, capture_output=True, text=True,
                                   timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise TesseraError(f"{what} under the sanitizers did not finish in "
                               f"{timeout:g} s") from None
        reported = any(marker in child.stderr for marker in _REPORT_MARKERS)
        if child.returncode != 0 or reported:
            raise TesseraError(f"{what} failed under AddressSanitizer/UBSan "
                               f"(exit {child.returncode}):\n"
                               f"{_report(child.stderr, source_names)}")
        with np.load(work / "outputs.npz") as saved:
            return {name: saved[name] for name in saved.files}


def _child(directory: Path) -> None:
    """In the child: load the library, call the function, save its results."""
    import ctypes

    from tessera.targets.c.runner import CFunction

    request = json.loads((directory / "request.json").read_text(encoding="utf-8"))
    fields = request["signature"]
    params = tuple(CParam(**{**p, "shape": None if p["shape"] is None else tuple(p["shape"])})
                   for p in fields["params"])
    signature = CSignature(fields["symbol"], fields["c_name"], params, fields["is_declaration"])
    function = CFunction(ctypes.CDLL(request["library"]), signature)
    with np.load(directory / "inputs.npz") as saved:
        arguments = [saved[f"in{i}"] for i in range(len(function.inputs))]
    arguments = [a.item() if p.shape is None else a for p, a in zip(function.inputs, arguments)]
    call, outputs = function._bind(arguments)
    call()
    results = {f"out{i}": array for i, array in enumerate(outputs)}
    results.update({f"in{i}": array for i, (p, array) in enumerate(zip(function.inputs, arguments))
                    if p.shape is not None and p.is_written})
    np.savez(directory / "outputs.npz", **results)


if __name__ == "__main__":
    _child(Path(sys.argv[1]))
