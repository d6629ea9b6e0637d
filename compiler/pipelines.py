"""Named pass pipelines: each is a pass too, so `-p lower-to-c` runs the whole chain.

The specs are plain pass-pipeline text, printed by `tessera-opt --help`'s pass list and in
the README, so any prefix of a pipeline can be run by hand to look at an intermediate level.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass, PassPipeline

PIPELINES: dict[str, str] = {
    # The graph-level cleanups. CSE must run here: after lowering, xDSL's CSE does not merge
    # linalg ops (they have regions), so `x @ w` written twice would be computed twice.
    "optimize-graph": "graph-fold,graph-simplify,cse,graph-dce",
    # graph -> linalg on tensors, cleaned up.
    "lower-to-linalg": "optimize-graph,graph-to-linalg,canonicalize,cse",
    # ... -> linalg on memrefs: where schedules apply.
    "lower-to-buffers": "lower-to-linalg,bufferize",
    # ... -> plain scf loops on memrefs (unscheduled: what the loop interpreter runs).
    "lower-to-loops": "lower-to-buffers,linalg-to-loops,canonicalize",
    # ... -> what the C emitter prints: each convolution direct or im2col, NCHW or NHWC
    # (conv-strategy), scheduled loop nests (the default schedule where none is given), no
    # affine left, the intermediates in one arena per function (memory-plan).
    "lower-to-c": "lower-to-linalg,conv-strategy,bufferize,schedule,linalg-to-loops,"
                  "lower-affine,canonicalize,cse,memory-plan",
    # ... -> what the CUDA emitter prints: host functions launching outlined gpu.func kernels.
    # Elementwise producers are fused into their consumers on tensors first (softmax in 3
    # kernels, its exponentials never stored). The C target does not run that pass: its
    # schedule does not vectorize a reduction over the innermost dimension, so a fused exp
    # there became scalar code, measured slower (the pass's tests and closing note).
    "lower-to-cuda": "lower-to-linalg,linalg-fuse-elementwise,bufferize,linalg-to-gpu,"
                     "gpu-outline-kernels,lower-affine,canonicalize,cse,memory-plan",
}
# The C target without schedules: the naive loop nests, for comparison.
NAIVE_C = "lower-to-loops,lower-affine,canonicalize,cse,memory-plan"


def c_pipeline(schedules=None, tuning_db=None) -> str:
    """The pipeline that lowers a graph module for the C target under `schedules`:
    None or "default" (the default schedule for every op), "naive" (none), or a mapping from
    linalg op names (`"matmul"`, `"linalg.conv_2d_nchw_fchw"`) to `Schedule`s, which those
    ops get while the others get the default. Ops left to the default look up the tuning
    database `tuning_db` first (None: the default database, when it exists; "none": no
    lookup)."""
    if schedules == "naive":
        return NAIVE_C
    if isinstance(schedules, str) and schedules != "default":
        raise ValueError(f"schedules must be 'default', 'naive' or a mapping, not {schedules!r}")
    steps = []
    for op_name, schedule in (schedules if isinstance(schedules, dict) else {}).items():
        options = schedule.option_text()
        name = op_name if "." not in op_name else f'"{op_name}"'
        steps.append(f"schedule{{op={name} heuristic=false {options}}}".replace(" }", "}"))
    if tuning_db is not None:
        path = str(tuning_db)
        if '"' in path:
            raise ValueError(f"a tuning database path cannot contain a quote: {path!r}")
        steps.append(f'schedule{{tuning_db="{path}"}}')
    elif steps:
        steps.append("schedule")
    if not steps:
        return PIPELINES["lower-to-c"]
    # A schedule given for the convolution needs the convolution as graph-to-linalg wrote it.
    convs = ("conv-strategy{strategy=direct layout=nchw}"
             if any("conv" in name for name in (schedules if isinstance(schedules, dict) else {}))
             else "conv-strategy")
    return ",".join(["lower-to-linalg", convs, "bufferize", *steps,
                     "linalg-to-loops,lower-affine,canonicalize,cse,memory-plan"])


# What `opt=false` (`tessera run --no-opt`, `tessera.compile(..., optimize=False)`) changes
# in a pipeline: the optimizations go (None) or are turned off (extra options), leaving the
# plain lowering, so that every program can be compared with and without them.
UNOPTIMIZED: dict[str, str | None] = {
    "optimize-graph": None,
    "schedule": "epilogues=false",
    "linalg-to-gpu": "fuse=0",
    "conv-strategy": None,
    "linalg-fuse-elementwise": None,
    "memory-plan": "reuse=false",
}


def split_spec(spec: str) -> list[str]:
    """The top-level items of a pipeline spec (commas inside `{...}` or quotes stay)."""
    items, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(spec):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "{":
            depth += 1
        elif not quoted and ch == "}":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            items.append(spec[start:i].strip())
            start = i + 1
    items.append(spec[start:].strip())
    return [item for item in items if item]


def unoptimized(spec: str) -> str:
    """`spec` with every named pipeline expanded and the optimizations of UNOPTIMIZED
    removed or turned off."""
    out: list[str] = []
    for item in split_spec(spec):
        name, brace, options = item.partition("{")
        name = name.strip()
        if name not in UNOPTIMIZED:
            expandable = name in PIPELINES and not brace
            out.append(unoptimized(PIPELINES[name]) if expandable else item)
            continue
        extra = UNOPTIMIZED[name]
        if extra is None:
            continue
        options = options.rstrip().removesuffix("}").strip()
        out.append(f"{name}{{{(options + ' ' + extra).strip()}}}")
    return ",".join(out)


def run_pipeline(spec: str, ctx: Context, module: ModuleOp, callback=None) -> None:
    """Apply a pass pipeline given as text (`"graph-to-linalg,cse"`) to `module`."""
    from tessera.compiler.registry import all_passes

    PassPipeline.parse_spec(all_passes(), spec, callback).apply(ctx, module)


@dataclass(frozen=True)
class NamedPipeline(ModulePass):
    """A named pipeline; `{opt=false}` runs it without its optimizations (`unoptimized`)."""

    opt: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        spec = PIPELINES[self.name]
        run_pipeline(spec if self.opt else unoptimized(spec), ctx, op)


@dataclass(frozen=True)
class OptimizeGraph(NamedPipeline):
    """The graph-level optimizations (folding, simplification, CSE, DCE)."""

    name = "optimize-graph"


@dataclass(frozen=True)
class LowerToLinalg(NamedPipeline):
    """graph -> linalg on tensors."""

    name = "lower-to-linalg"


@dataclass(frozen=True)
class LowerToLoops(NamedPipeline):
    """graph -> scf loops on memrefs."""

    name = "lower-to-loops"


@dataclass(frozen=True)
class LowerToBuffers(NamedPipeline):
    """graph -> linalg on memrefs."""

    name = "lower-to-buffers"


@dataclass(frozen=True)
class LowerToC(NamedPipeline):
    """graph -> the loop level the C target prints."""

    name = "lower-to-c"


@dataclass(frozen=True)
class LowerToCuda(NamedPipeline):
    """graph -> host functions and gpu.func kernels, what the CUDA target prints."""

    name = "lower-to-cuda"
