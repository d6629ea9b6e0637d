"""The Python API: `tessera.compile(path_or_source, target="c")`.

    prog = tessera.compile("examples/mlp.tsr")
    y = prog.mlp(x, w1, b1, w2)          # symbolic dims (B) inferred from the arrays
    prog.lower("mlp", "linalg", B=8)     # the IR of any level, to look at or to run
    prog.memory_report("mlp").planned    # peak intermediate bytes (see memory-plan)

A program is compiled lazily, once per entry function and binding of its symbolic
dimensions, for the chosen target (see `tessera.targets.backends`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.frontend import syntax as S

if TYPE_CHECKING:
    from tessera.lowering.memory_plan import MemoryReport

NUMPY_DTYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i8": np.int8}

# Levels a program can be shown at, and the pipeline that reaches each from `graph`.
LEVELS: dict[str, str] = {
    "graph": "",
    "linalg": "lower-to-linalg",
    "buffers": "lower-to-linalg,bufferize",
    "loops": "lower-to-loops",
    "c-loops": "lower-to-c",
    "c-naive": "lower-to-loops,lower-affine,canonicalize,cse",
}


def read_source(path_or_source: str | os.PathLike) -> tuple[str, str]:
    """(text, filename): a path to a `.tsr` file, or the program text itself."""
    if isinstance(path_or_source, os.PathLike) or (
        isinstance(path_or_source, str)
        and "\n" not in path_or_source
        and path_or_source.endswith(".tsr")
    ):
        path = os.fspath(path_or_source)
        with open(path, encoding="utf-8") as f:
            return f.read(), path
    return str(path_or_source), "<source>"


def default_entry(program: S.Program, filename: str) -> str:
    """The function named like the file, else the last one (helpers come first)."""
    if not program.functions:
        raise TesseraError(f"{filename} defines no function")
    stem = os.path.splitext(os.path.basename(filename))[0]
    names = [f.name for f in program.functions]
    return stem if stem in names else names[-1]


def infer_bindings(
    fn: S.Function, arrays: Sequence[np.ndarray], known: dict[str, int]
) -> dict[str, int]:
    """Bind the symbolic dimensions of `fn`'s parameters from the shapes of `arrays`."""
    if len(arrays) != len(fn.params):
        raise TesseraError(
            f"'{fn.name}' takes {len(fn.params)} argument(s), got {len(arrays)}"
        )
    bound = dict(known)
    for p, a in zip(fn.params, arrays):
        dims = p.type.dims
        if a.ndim != len(dims):
            raise TesseraError(
                f"'{fn.name}': argument '{p.name}' needs rank {len(dims)}, got shape {a.shape}"
            )
        for d, size in zip(dims, a.shape):
            if isinstance(d.value, int):
                if d.value != size:
                    raise TesseraError(
                        f"'{fn.name}': argument '{p.name}' needs shape "
                        f"{_dims_text(dims)}, got {tuple(a.shape)}"
                    )
            elif bound.setdefault(d.value, size) != size:
                raise TesseraError(
                    f"'{fn.name}': dimension '{d.value}' is {bound[d.value]} elsewhere but "
                    f"{size} in argument '{p.name}'"
                )
    return bound


def _dims_text(dims: Sequence[S.Dim]) -> str:
    return "[" + ", ".join(str(d.value) for d in dims) + "]"


def coerce(fn: S.Function, arrays: Sequence) -> list[np.ndarray]:
    """Convert the arguments to the declared element types, refusing lossy kinds."""
    out = []
    for p, a in zip(fn.params, arrays):
        want = np.dtype(NUMPY_DTYPES[p.type.dtype])
        arr = np.asarray(a)
        if arr.dtype != want:
            if arr.dtype.kind == "f" and want.kind != "f":
                raise TesseraError(
                    f"'{fn.name}': argument '{p.name}' is {p.type.dtype} but got "
                    f"floating-point values ({arr.dtype})"
                )
            arr = arr.astype(want)
        out.append(np.require(arr, requirements='C'))  # keeps rank 0 (ascontiguousarray does not)
    return out


@dataclass
class Program:
    """A `.tsr` program compiled on demand for one target."""

    text: str
    filename: str
    target: str = "c"
    bindings: dict[str, int] = field(default_factory=dict)
    schedules: object = None  # for the C target: see compiler.pipelines.c_pipeline
    tuning_db: object = None  # C, NPU and CUDA targets: a path, "none", or None (the default)
    target_options: dict = field(default_factory=dict)  # for the backend (npu: config, mode)
    _syntax: S.Program | None = None
    _compiled: dict[tuple, Callable] = field(default_factory=dict)

    def __post_init__(self):
        from tessera.compiler.frontend.parser import parse_program

        self._syntax = parse_program(self.text, self.filename)

    @property
    def function_names(self) -> list[str]:
        return [f.name for f in self._syntax.functions]

    def syntax_of(self, name: str) -> S.Function:
        for f in self._syntax.functions:
            if f.name == name:
                return f
        known = ", ".join(self.function_names)
        raise TesseraError(f"no function named '{name}' in {self.filename} (functions: {known})")

    def graph(self, entry: str, bindings: dict[str, int] | None = None) -> ModuleOp:
        """The verified `graph` module of `entry` and the functions it calls."""
        from tessera.compiler.frontend import tsr_to_module

        return tsr_to_module(self.text, self.filename, {**self.bindings, **(bindings or {})},
                             entry=entry)

    def lower(self, entry: str, level: str = "graph", **bindings: int) -> ModuleOp:
        """The module of `entry` at a named level (see LEVELS) or after a pipeline spec."""
        from tessera.compiler.pipelines import run_pipeline
        from tessera.compiler.registry import make_context

        from tessera.compiler.pipelines import c_pipeline

        module = self.graph(entry, bindings)
        spec = LEVELS.get(level, level)
        if level == "c-loops":  # what this program's C target compiles: its schedules
            spec = c_pipeline(self.schedules, self.tuning_db)
        if spec:
            run_pipeline(spec, make_context(), module)
        return module

    def lowering_spec(self) -> str:
        """The pipeline this program's target runs on a graph module (its backend's
        `pipeline()`, with this program's schedules and options); the reference interpreter,
        which runs the graph itself, is measured at `lower-to-buffers`, the last level where
        buffers are memrefs."""
        pipeline = getattr(self._backend(), "pipeline", None)
        return pipeline() if pipeline is not None else "lower-to-buffers"

    def _backend(self):
        from tessera.targets import backend

        options = {key: value for key, value in (("schedules", self.schedules),
                                                 ("tuning_db", self.tuning_db))
                   if value is not None}
        options.update(self.target_options)
        return backend(self.target, **options)

    def memory_report(self, entry: str,
                      bindings: dict[str, int] | None = None) -> MemoryReport:
        """The peak intermediate memory of `entry` (callees included), on the module at the
        level its target runs (`lowering_spec`): a `MemoryReport` whose `planned` is the
        bytes with `memory-plan`'s arenas and `unplanned` the bytes with every buffer its
        own allocation, from its alloc to its dealloc (see `lowering/memory_plan.py`)."""
        from tessera.compiler.pipelines import run_pipeline
        from tessera.compiler.registry import make_context
        from tessera.lowering.memory_plan import peak_intermediate_bytes

        module = self.graph(entry, bindings)
        run_pipeline(self.lowering_spec(), make_context(), module)
        return peak_intermediate_bytes(module, entry)

    def signature(self, entry: str, bindings: dict[str, int] | None = None):
        """(parameter syntax, resolved tensor type) for each parameter of `entry`."""
        fn = self.syntax_of(entry)
        func_op = next(
            op for op in self.graph(entry, bindings).ops if op.sym_name.data == entry
        )
        return list(zip(fn.params, func_op.function_type.inputs.data))

    def bound_dims(self, entry: str, bindings: dict[str, int] | None = None) -> dict[str, int]:
        """The size of every symbolic dimension in `entry`'s parameters."""
        return {
            d.value: size
            for p, t in self.signature(entry, bindings)
            for d, size in zip(p.type.dims, t.get_shape())
            if isinstance(d.value, str)
        }

    def example_inputs(
        self, entry: str, seed: int = 0, bindings: dict[str, int] | None = None
    ) -> list[np.ndarray]:
        """Seeded random arguments for `entry` (see `agreement.random_inputs`)."""
        from tessera.compiler.agreement import random_inputs

        return random_inputs(
            [(tuple(t.get_shape()), NUMPY_DTYPES[p.type.dtype])
             for p, t in self.signature(entry, bindings)],
            seed,
        )

    def load_inputs(self, entry: str, path: str) -> list[np.ndarray]:
        """Arguments for `entry` from an `.npz` file, by parameter name, checked."""
        from tessera.compiler.frontend.builder import type_text

        try:
            data = np.load(path)
        except (OSError, ValueError) as e:
            raise TesseraError(f"cannot read inputs from {path}: {e}") from None
        signature = self.signature(entry)
        missing = [p.name for p, _ in signature if p.name not in data]
        if missing:
            raise TesseraError(f"{path} lacks input(s) {', '.join(missing)}")
        inputs = []
        for p, t in signature:
            a = np.asarray(data[p.name])
            if tuple(a.shape) != tuple(t.get_shape()):
                raise TesseraError(
                    f"input '{p.name}' in {path} has shape {a.shape}, expected {type_text(t)}"
                )
            inputs.append(a.astype(NUMPY_DTYPES[p.type.dtype]))
        return inputs

    def function(self, name: str) -> Function:
        return Function(self, self.syntax_of(name))

    def __getattr__(self, name: str) -> Function:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.function(name)

    def compiled(self, fn: S.Function, bindings: dict[str, int]) -> Callable:
        key = (fn.name, tuple(sorted(bindings.items())))
        if key not in self._compiled:
            self._compiled[key] = self._backend().load(self.graph(fn.name, bindings))[fn.name]
        return self._compiled[key]


@dataclass
class Function:
    """One entry function; calling it compiles (once per shape binding) and runs."""

    program: Program
    syntax: S.Function

    def prepare(self, *args) -> tuple[list[np.ndarray], dict[str, int]]:
        arrays = [np.asarray(a) for a in args]
        bindings = infer_bindings(self.syntax, arrays, self.program.bindings)
        return coerce(self.syntax, arrays), bindings

    def __call__(self, *args):
        arrays, bindings = self.prepare(*args)
        results = self.program.compiled(self.syntax, bindings)(*arrays)
        return results[0] if len(results) == 1 else tuple(results)


def compile(
    path_or_source: str | os.PathLike,
    target: str = "c",
    bindings: dict[str, int] | None = None,
    schedules=None,
    tuning_db=None,
    **target_options,
) -> Program:
    """Parse a `.tsr` program (a path or the text) for `target` ("c", "npu", "interp",
    "loops").

    `schedules` (C target): None or "default" for the default schedules, "naive" for plain
    loops, or {op name: Schedule} for hand-written ones (see `compiler/schedule.py`).
    `tuning_db` (C, NPU, CUDA targets): the tuning database whose best schedules replace the
    default ones (a path; None: the default database when it exists; "none": no lookup; the
    CUDA targets look schedules up only where there is a GPU: they are keyed by the GPU).
    `target_options` go to the target's backend: for "npu", `config` (an `NpuConfig` or its
    CLI form, "tpu-128,dataflow=ws"), `mode` ("overlapped" or "scalesim") and
    `double_buffer`.
    """
    from tessera.targets import backend

    if schedules is not None and target != "c":
        raise TesseraError(f"schedules apply to the C target, not '{target}'")
    if tuning_db is not None and target not in ("c", "npu", "cuda", "cuda-emu"):
        raise TesseraError(f"a tuning database applies to the C, NPU and CUDA targets, not "
                           f"'{target}'")
    try:  # an unknown target or option is an error now, not at the first call
        backend(target, **target_options)
    except TypeError:
        raise TesseraError(f"target '{target}' takes no option(s) "
                           f"{', '.join(sorted(target_options))}") from None
    text, filename = read_source(path_or_source)
    return Program(text, filename, target, dict(bindings or {}), schedules, tuning_db,
                   target_options)
