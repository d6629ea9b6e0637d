"""The interpreted targets: `interp` runs the `graph` dialect with its NumPy reference
semantics; `loops` lowers to scf loops and runs them in xDSL's interpreter (slow: small
shapes only). Both exist so any level can be executed and diffed against the others.
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from tessera.targets import Compiled


def _function_names(module: ModuleOp) -> list[str]:
    return [op.sym_name.data for op in module.ops if isinstance(op, func.FuncOp)]


class ReferenceBackend:
    name = "interp"

    def load(self, module: ModuleOp) -> dict[str, Compiled]:
        from tessera.dialects.graph_interp import run_graph

        return {
            name: (lambda *args, name=name: run_graph(module, name, args))
            for name in _function_names(module)
        }


class LoopsBackend:
    """`optimize=False`: lowered without the optimizations (`compiler.pipelines.unoptimized`)."""

    name = "loops"

    def __init__(self, optimize: bool = True):
        self.optimize = optimize

    def pipeline(self) -> str:
        from tessera.compiler.pipelines import unoptimized

        return "lower-to-loops" if self.optimize else unoptimized("lower-to-loops")

    def load(self, module: ModuleOp) -> dict[str, Compiled]:
        from tessera.compiler.pipelines import run_pipeline
        from tessera.compiler.registry import make_context
        from tessera.targets.loop_interp import run_loops

        names = _function_names(module)
        run_pipeline(self.pipeline(), make_context(), module)
        return {name: (lambda *args, name=name: run_loops(module, name, args)) for name in names}
