"""What the frontend's modules share: element types, operator tables, untyped numbers."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from xdsl.dialects.builtin import (
    FileLineColLoc,
    IntAttr,
    StringAttr,
    TensorType,
    f32,
    f64,
    i8,
    i32,
)
from xdsl.ir import Attribute, SSAValue

from tessera.compiler.diagnostics import SourceLoc
from tessera.compiler.frontend import syntax as S
from tessera.dialects import graph as G

DTYPES: dict[str, Attribute] = {"f32": f32, "f64": f64, "i32": i32, "i8": i8}

# MLIR's sizes are int64: a larger dimension cannot be written in the IR, and a tensor of
# more elements cannot be indexed by the code generated from it.
LARGEST_SIZE = (1 << 63) - 1

COMBINE_KINDS = {"=": "assign", "+=!": "add", "*=!": "mul", "max=!": "max", "min=!": "min"}
BINOPS = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
GRAPH_BINARY = {
    "add": G.AddOp,
    "sub": G.SubOp,
    "mul": G.MulOp,
    "div": G.DivOp,
    "max": G.MaximumOp,
    "min": G.MinimumOp,
}
GRAPH_UNARY = {
    "relu": G.ReluOp,
    "sigmoid": G.SigmoidOp,
    "tanh": G.TanhOp,
    "exp": G.ExpOp,
    "log": G.LogOp,
    "sqrt": G.SqrtOp,
}
PY_UNARY: dict[str, Callable[[float], float]] = {
    "relu": lambda x: max(x, 0),
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "tanh": math.tanh,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
}
PY_BINARY: dict[str, Callable[[float, float], float]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "max": max,
    "min": min,
}


def type_text(t: Attribute) -> str:
    """A tensor type as the DSL writes it: f32[4, 10]."""
    assert isinstance(t, TensorType)
    return f"{G.type_name(t.element_type)}{G.fmt_shape(G.shape_of(t))}"


@dataclass
class Literal:
    """A number not yet given a type: it takes the element type of what it meets."""

    value: int | float
    pos: S.Pos


Value = SSAValue | Literal


def name_hint(name: str) -> str | None:
    # MLIR value names: keep them readable but valid.
    return name if name.replace("_", "a").isalnum() and not name[0].isdigit() else None


def loc_attr(loc: SourceLoc) -> FileLineColLoc:
    return FileLineColLoc(StringAttr(loc.filename), IntAttr(loc.line), IntAttr(loc.column))
