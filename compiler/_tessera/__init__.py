"""Tessera: a multi-level tensor compiler toolkit built on xDSL.

    import tessera
    prog = tessera.compile("examples/lenet5.tsr", target="c")
    logits = prog.lenet5(x, c1, b1, c2, b2, f1, g1, f2, g2, f3, g3)

The subpackages follow the levels: `tessera.compiler` (frontend, passes, pipelines, API),
`tessera.dialects` (graph), `tessera.lowering` (one module per pass), `tessera.targets`
(C, interpreters), `tessera.tools` (command-line entry points).
"""

from tessera.compiler.api import Function, Program, compile
from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.tuning.api import default_database, tune

__all__ = ["compile", "tune", "default_database", "Program", "Function", "TesseraError"]
__version__ = "0.1.0"
