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
    # graph -> linalg on tensors, cleaned up.
    "lower-to-linalg": "graph-to-linalg,canonicalize,cse",
    # ... -> scf loops on memrefs.
    "lower-to-loops": "lower-to-linalg,bufferize,linalg-to-loops,canonicalize",
    # ... -> what the C emitter prints (no affine left).
    "lower-to-c": "lower-to-loops,lower-affine,canonicalize,cse",
}


def run_pipeline(spec: str, ctx: Context, module: ModuleOp, callback=None) -> None:
    """Apply a pass pipeline given as text (`"graph-to-linalg,cse"`) to `module`."""
    from tessera.compiler.registry import all_passes

    PassPipeline.parse_spec(all_passes(), spec, callback).apply(ctx, module)


class NamedPipeline(ModulePass):
    def apply(self, ctx: Context, op: ModuleOp) -> None:
        run_pipeline(PIPELINES[self.name], ctx, op)


@dataclass(frozen=True)
class LowerToLinalg(NamedPipeline):
    """graph -> linalg on tensors."""

    name = "lower-to-linalg"


@dataclass(frozen=True)
class LowerToLoops(NamedPipeline):
    """graph -> scf loops on memrefs."""

    name = "lower-to-loops"


@dataclass(frozen=True)
class LowerToC(NamedPipeline):
    """graph -> the loop level the C target prints."""

    name = "lower-to-c"
