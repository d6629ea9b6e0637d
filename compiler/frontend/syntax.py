"""The syntax tree of a `.tsr` program: plain dataclasses, each with its source position."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pos:
    line: int
    column: int


@dataclass
class Node:
    pos: Pos = field(kw_only=True)


@dataclass
class Dim(Node):
    value: int | str  # a size, or the name of a symbolic dimension


@dataclass
class TensorTypeExpr(Node):
    dtype: str
    dims: list[Dim]


@dataclass
class Param(Node):
    name: str
    type: TensorTypeExpr


# Expressions ---------------------------------------------------------------------------


@dataclass
class Number(Node):
    value: int | float
    text: str


@dataclass
class Var(Node):
    name: str


@dataclass
class Access(Node):
    """`a[i, k]` inside index notation."""

    name: str
    indices: list[str]
    index_pos: list[Pos]


@dataclass
class BinOp(Node):
    op: str  # + - * / @
    lhs: Expr
    rhs: Expr


@dataclass
class Neg(Node):
    operand: Expr


@dataclass
class ListExpr(Node):
    items: list[Expr]


@dataclass
class Call(Node):
    name: str
    args: list[Expr]
    kwargs: dict[str, Expr]
    kwarg_pos: dict[str, Pos]


Expr = Number | Var | Access | BinOp | Neg | ListExpr | Call


# Statements ----------------------------------------------------------------------------


@dataclass
class Let(Node):
    names: list[str]
    value: Expr


@dataclass
class IndexStmt(Node):
    """`c[i, j] +=! a[i, k] * b[k, j]`; combine is one of = +=! *=! max=! min=!."""

    name: str
    indices: list[str]
    index_pos: list[Pos]
    combine: str
    value: Expr


@dataclass
class Return(Node):
    values: list[Expr]


Stmt = Let | IndexStmt | Return


@dataclass
class Function(Node):
    name: str
    params: list[Param]
    results: list[TensorTypeExpr]
    body: list[Stmt]


@dataclass
class WrtName(Node):
    """One name in `wrt=[...]`."""

    name: str


@dataclass
class GradDef(Function):
    """`dloss = grad(loss, wrt=[w1, b1])`: a function with the parameters of `loss` that
    returns the gradients of loss's result with respect to the `wrt` parameters, in order;
    `value_and_grad` returns loss's result first. The parser only records what is written
    (`params`, `results` and `body` are empty); `resolve_grads` fills in the signature once
    every function is known, and the body is built by `tessera.compiler.autodiff`."""

    transform: str  # as written: "grad" or "value_and_grad" once resolved
    transform_pos: Pos
    of: str
    of_pos: Pos
    keywords: list[tuple[WrtName, list[WrtName]]]  # (keyword, names) as written
    wrt: list[WrtName] = field(default_factory=list)  # set by resolve_grads

    @property
    def with_value(self) -> bool:
        return self.transform == "value_and_grad"


@dataclass
class DimDecl(Node):
    name: str
    value: int


@dataclass
class Program(Node):
    functions: list[Function]  # in source order, `GradDef`s among them
    dims: list[DimDecl]
