"""The `c` backend: lower a `graph` module to loops, emit C, build, load, call."""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from tessera.targets import Compiled


class CBackend:
    """`schedules` and `tuning_db`: see `compiler.pipelines.c_pipeline` (default, naive, or
    per op name; the tuning database the default looks up first); `optimize=False`: without
    the optimizations (`compiler.pipelines.unoptimized`)."""

    name = "c"

    def __init__(self, extra_flags: tuple[str, ...] = (), schedules=None, tuning_db=None,
                 optimize: bool = True):
        self.extra_flags = extra_flags
        self.optimize = optimize
        self.schedules = schedules
        self.tuning_db = tuning_db

    def pipeline(self) -> str:
        """What a graph module goes through before it is printed as C."""
        from tessera.compiler.pipelines import c_pipeline, unoptimized

        spec = c_pipeline(self.schedules, self.tuning_db)
        return spec if self.optimize else unoptimized(spec)

    def load(self, module: ModuleOp) -> dict[str, Compiled]:
        from tessera.compiler.pipelines import run_pipeline
        from tessera.compiler.registry import make_context
        from tessera.targets.c.runner import compile_module

        names = [op.sym_name.data for op in module.ops if isinstance(op, func.FuncOp)]
        run_pipeline(self.pipeline(), make_context(), module)
        compiled = compile_module(module, extra_flags=self.extra_flags)

        def entry(name: str) -> Compiled:
            function = compiled[name]

            def call(*args):
                result = function(*args)
                return list(result) if isinstance(result, tuple) else [result]

            call.c_function = function  # for timing without conversion overheads
            return call

        return {name: entry(name) for name in names}
