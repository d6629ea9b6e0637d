"""What Tessera adds to xDSL: dialects, passes and targets, registered lazily.

Each table maps a name to "module:attribute". Nothing is imported until a name is used, so
`tessera-opt --help` stays fast. A new pass is one line in PASSES (and one file in
lowering/ named like the pass); a new target is one line in TARGETS.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

DIALECTS: dict[str, str] = {
    "graph": "tessera.dialects.graph:Graph",
    "npu": "tessera.dialects.npu:Npu",
}
# Dialects that replace xDSL's of the same name (an extension of its op set).
EXTENDED_DIALECTS: dict[str, str] = {
    "transform": "tessera.dialects.schedule_transform:transform_with_schedule_steps",
}

PASSES: dict[str, str] = {
    "graph-simplify": "tessera.lowering.graph_simplify:GraphSimplifyPass",
    "graph-fold": "tessera.lowering.graph_fold:GraphFoldPass",
    "graph-dce": "tessera.lowering.graph_dce:GraphDcePass",
    "graph-to-linalg": "tessera.lowering.graph_to_linalg:GraphToLinalgPass",
    "conv-strategy": "tessera.lowering.conv_strategy:ConvStrategyPass",
    "linalg-fuse-elementwise": "tessera.lowering.linalg_fuse_elementwise:LinalgFuseElementwisePass",
    "bufferize": "tessera.lowering.bufferize:BufferizePass",
    "linalg-to-loops": "tessera.lowering.linalg_to_loops:LinalgToLoopsPass",
    "schedule": "tessera.lowering.schedule:SchedulePass",
    "transform-interpreter": "tessera.lowering.transform_interpreter:TransformInterpreterPass",
    "linalg-to-npu": "tessera.lowering.linalg_to_npu:LinalgToNpuPass",
    "linalg-to-gpu": "tessera.lowering.linalg_to_gpu:LinalgToGpuPass",
    "gpu-outline-kernels": "tessera.lowering.gpu_outline_kernels:GpuOutlineKernelsPass",
    "memory-plan": "tessera.lowering.memory_plan:MemoryPlanPass",
    # Named pipelines (compiler/pipelines.py) are passes too.
    "optimize-graph": "tessera.compiler.pipelines:OptimizeGraph",
    "lower-to-linalg": "tessera.compiler.pipelines:LowerToLinalg",
    "lower-to-buffers": "tessera.compiler.pipelines:LowerToBuffers",
    "lower-to-loops": "tessera.compiler.pipelines:LowerToLoops",
    "lower-to-c": "tessera.compiler.pipelines:LowerToC",
    "lower-to-cuda": "tessera.compiler.pipelines:LowerToCuda",
}

TARGETS: dict[str, str] = {
    "c": "tessera.targets.c.emitter:CTarget",
    "cuda": "tessera.targets.cuda.emitter:CudaTarget",
    "transform": "tessera.targets.schedule_script:ScheduleScriptTarget",
    "npu-asm": "tessera.targets.npu.backend:NpuAsmTarget",
}


def load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def factory(path: str) -> Callable[[], Any]:
    return lambda: load(path)


def all_passes() -> dict[str, Callable[[], Any]]:
    """xDSL's passes and Tessera's, as lazy factories (Tessera's win on a name clash)."""
    from xdsl.universe import Universe

    passes = dict(Universe.get_multiverse().all_passes)
    passes.update({name: factory(path) for name, path in PASSES.items()})
    return passes


def make_context():
    """A context that knows every xDSL dialect and Tessera's, loaded on first use."""
    from xdsl.context import Context
    from xdsl.universe import Universe

    ctx = Context()
    for name, dialect_factory in Universe.get_multiverse().all_dialects.items():
        if name in EXTENDED_DIALECTS:
            dialect_factory = lambda path=EXTENDED_DIALECTS[name]: load(path)()  # noqa: E731
        ctx.register_dialect(name, dialect_factory)
    for name, path in DIALECTS.items():
        if name not in ctx.registered_dialect_names:
            ctx.register_dialect(name, factory(path))
    return ctx
