"""Reverse-mode automatic differentiation of `graph` functions: `grad` in the DSL.

    dloss = grad(loss, wrt=[w1, b1])              # (x, y, w1, b1) -> (dloss/dw1, dloss/db1)
    step = value_and_grad(loss, wrt=[w1, b1])     # (x, y, w1, b1) -> (loss, dw1, db1)

A grad definition is a function of the program like any other: it can be called, run and
compiled for every target. The work is split in three:

- `signature`: the definition checked against the function it differentiates (the loss must
  return one rank-0 float, `wrt` must name its floating-point parameters) and given its
  signature; the parser calls it, so every tool sees the grad function's parameters.
- `sweep`: the transform on the `graph` IR. The loss function's body is cloned with its calls
  inlined, the ops on a path from a `wrt` parameter to the loss are found (activity analysis)
  and differentiated in reverse order, adjoints accumulating with `graph.add`.
- `rules` and `rules_nn`: one vector-Jacobian product per op class, each building `graph`
  ops located at the forward op it differentiates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xdsl.dialects import func

    from tessera.compiler.frontend.syntax import GradDef


def build_grad(definition: GradDef, function_of) -> func.FuncOp:
    """The `func.func` of a grad definition; `function_of(name)` gives the built `func.func`
    of any function of the program (the loss, the functions it calls)."""
    from tessera.compiler.autodiff.sweep import build_grad_function

    return build_grad_function(definition, function_of)
