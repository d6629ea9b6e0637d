"""Syntax tree -> `graph` dialect.

Types every expression (symbolic dimensions resolved from the bindings), checks every rule of
the language, and emits one `graph` op per DSL operation with the expression's source location.
Everything the user can get wrong becomes a located `TesseraError`. The builtins live in
`builtins.py`, index notation in `index_notation.py`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence

import numpy as np

from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, ModuleOp, TensorType
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

from tessera.compiler.diagnostics import SourceLoc, TesseraError
from tessera.compiler.frontend import syntax as S
from tessera.compiler.frontend.builtins import BUILTINS, bind_args
from tessera.compiler.frontend.index_notation import IndexNotation
from tessera.compiler.frontend.values import (
    BINOPS,
    DTYPES,
    GRAPH_BINARY,
    LARGEST_SIZE,
    PY_BINARY,
    Literal,
    Value,
    loc_attr,
    name_hint,
    type_text,
)
from tessera.dialects import graph as G


def size_problem(shape: Sequence[int]) -> str | None:
    """What is wrong with a shape too large for int64 sizes, if it is."""
    for size in shape:
        if size > LARGEST_SIZE:
            return f"dimension {size} is too large (at most {LARGEST_SIZE}: sizes are int64)"
    count = math.prod(shape)
    if count > LARGEST_SIZE:
        return f"{count} elements are too many (at most {LARGEST_SIZE}: sizes are int64)"
    return None


class ModuleBuilder:
    def __init__(self, program: S.Program, filename: str, bindings: dict[str, int]):
        self.program = program
        self.filename = filename
        self.dims: dict[str, int] = {d.name: d.value for d in program.dims}
        self.dims.update(bindings)
        self.functions = {f.name: f for f in program.functions}
        self.signatures: dict[str, FunctionType] = {}
        self.built: dict[str, func.FuncOp] = {}

    # -- locations and errors ---------------------------------------------------------

    def loc(self, pos: S.Pos) -> SourceLoc:
        return SourceLoc(self.filename, pos.line, pos.column)

    def error(self, pos: S.Pos | None, message: str) -> TesseraError:
        return TesseraError(message, self.loc(pos) if pos else None)

    # -- module -----------------------------------------------------------------------

    def build(self, entry: str | None) -> ModuleOp:
        for d in self.program.dims:
            if d.value <= 0:
                raise self.error(d.pos, f"dimension '{d.name}' must be positive, got {d.value}")
            if d.value > LARGEST_SIZE:
                raise self.error(d.pos, f"dimension '{d.name}' is too large: {d.value} (at "
                                        f"most {LARGEST_SIZE}: sizes are int64)")
        seen: dict[str, S.Function] = {}
        for f in self.program.functions:
            if f.name in seen:
                raise self.error(f.pos, f"function '{f.name}' is defined twice")
            seen[f.name] = f
        chosen = self.reachable(entry)
        for f in chosen:
            self.signatures[f.name] = self.signature(f)
        self.check_call_cycles(chosen)
        return ModuleOp([self.function(f) for f in chosen])

    def reachable(self, entry: str | None) -> list[S.Function]:
        if entry is None:
            return list(self.program.functions)
        if entry not in self.functions:
            known = ", ".join(self.functions) or "none"
            raise TesseraError(
                f"no function named '{entry}' in {self.filename} (functions: {known})"
            )
        wanted, todo = {entry}, [entry]
        while todo:
            for call in _calls(self.functions[todo.pop()]):
                if call.name in self.functions and call.name not in wanted:
                    wanted.add(call.name)
                    todo.append(call.name)
        return [f for f in self.program.functions if f.name in wanted]

    def check_call_cycles(self, functions: list[S.Function]) -> None:
        """A located error at the first call of a cycle of calls between functions (f
        calls g, which calls f): the calls would never end. A function that calls itself
        is reported where its body is built."""
        calls = {f.name: [c for c in _calls(f) if c.name in self.functions and c.name != f.name]
                 for f in functions}
        done: set[str] = set()
        for root in calls:
            if root in done:
                continue
            # Depth first, in source order; `path` holds the calls from the root to the
            # function whose calls `stack[-1]` goes through.
            path: list[tuple[str, S.Call]] = []
            stack = [(root, iter(calls[root]))]
            active = {root}
            while stack:
                name, pending = stack[-1]
                call = next(pending, None)
                if call is None:
                    stack.pop()
                    active.discard(name)
                    done.add(name)
                    if path:
                        path.pop()
                    continue
                if call.name in active:
                    raise self._cycle_error([*path, (name, call)], call.name)
                if call.name not in done:
                    path.append((name, call))
                    stack.append((call.name, iter(calls[call.name])))
                    active.add(call.name)

    def _cycle_error(self, path: list[tuple[str, S.Call]], target: str) -> TesseraError:
        start = next(i for i, (caller, _) in enumerate(path) if caller == target)
        cycle = [caller for caller, _ in path[start:]] + [target]
        shadowing = [n for n in dict.fromkeys(cycle) if n in BUILTINS]
        hint = "".join(f" ('{n}' shadows the builtin '{n}': rename it)" for n in shadowing)
        return self.error(path[start][1].pos, f"recursive call: {' -> '.join(cycle)} "
                                              f"(recursion is not supported){hint}")

    def resolve(self, t: S.TensorTypeExpr) -> TensorType:
        shape = []
        for d in t.dims:
            if isinstance(d.value, int):
                size = d.value
            elif d.value in self.dims:
                size = self.dims[d.value]
            else:
                raise self.error(
                    d.pos,
                    f"unbound symbolic dimension '{d.value}' "
                    f"(bind it with --bind {d.value}=<size> or declare 'dim {d.value} = <size>')",
                )
            if size <= 0:
                raise self.error(d.pos, f"dimension {d.value} must be positive, got {size}")
            if size > LARGEST_SIZE:
                raise self.error(d.pos, size_problem([size]))
            shape.append(size)
        if (problem := size_problem(shape)) is not None:
            raise self.error(t.pos, f"tensor type {t.dtype}{G.fmt_shape(shape)}: {problem}")
        return TensorType(DTYPES[t.dtype], shape)

    def signature(self, f: S.Function) -> FunctionType:
        names = set()
        for p in f.params:
            if p.name in names:
                raise self.error(p.pos, f"parameter '{p.name}' is declared twice")
            names.add(p.name)
        return FunctionType.from_lists(
            [self.resolve(p.type) for p in f.params], [self.resolve(r) for r in f.results]
        )

    def function(self, f: S.Function) -> func.FuncOp:
        """`f`'s func.func, built once: a grad definition needs the functions it
        differentiates built first, whatever their order in the source."""
        if f.name not in self.built:
            if isinstance(f, S.GradDef):
                from tessera.compiler.autodiff import build_grad

                op = build_grad(f, lambda name: self.function(self.functions[name]))
            else:
                op = FunctionBuilder(self, f).build()
            self.built[f.name] = op
        return self.built[f.name]


def _calls(f: S.Function) -> list[S.Call]:
    """The calls in `f`'s expressions, in source order; not those in index notation, whose
    calls are the scalar functions whatever the program defines. A grad definition "calls"
    the function it differentiates (its body is that function's, inlined)."""
    if isinstance(f, S.GradDef):
        return [S.Call(f.of, [], {}, {}, pos=f.of_pos)]
    out: list[S.Call] = []

    def visit(e):
        if isinstance(e, S.Call):
            out.append(e)
            for a in (*e.args, *e.kwargs.values()):
                visit(a)
        elif isinstance(e, S.BinOp):
            visit(e.lhs)
            visit(e.rhs)
        elif isinstance(e, S.Neg):
            visit(e.operand)
        elif isinstance(e, S.ListExpr):
            for i in e.items:
                visit(i)

    for s in f.body:
        if isinstance(s, S.IndexStmt):
            continue
        for e in s.values if isinstance(s, S.Return) else [s.value]:
            visit(e)
    return out


class FunctionBuilder:
    def __init__(self, module: ModuleBuilder, f: S.Function):
        self.m = module
        self.f = f
        self.sig = module.signatures[f.name]
        self.block = Block(arg_types=self.sig.inputs.data)
        self.env: dict[str, Value] = {}
        for p, arg in zip(f.params, self.block.args):
            arg.name_hint = name_hint(p.name)
            self.env[p.name] = arg

    def error(self, pos: S.Pos | None, message: str) -> TesseraError:
        return self.m.error(pos, message)

    def emit(self, op: Operation, pos: S.Pos, name: str | None = None) -> SSAValue:
        op.location = loc_attr(self.m.loc(pos))
        self.block.add_op(op)
        if name is not None and op.results:
            op.results[0].name_hint = name_hint(name)
        return op.results[0] if op.results else None

    def make(self, pos: S.Pos, build: Callable[[], Operation]) -> SSAValue:
        """Create a graph op, turning a violated shape rule into a located error."""
        try:
            op = build()
        except G.ShapeError as e:
            raise self.error(pos, str(e)) from None
        for result in op.results:  # sizes the op computes (flatten, broadcast_to)
            if not isinstance(result.type, TensorType):
                continue
            if (problem := size_problem(G.shape_of(result.type))) is not None:
                raise self.error(pos, f"the result's {problem}")
        return self.emit(op, pos)

    # -- statements -------------------------------------------------------------------

    def build(self) -> func.FuncOp:
        returned = False
        for stmt in self.f.body:
            if returned:
                raise self.error(stmt.pos, "statement after 'return' is never executed")
            if isinstance(stmt, S.Let):
                self.let(stmt)
            elif isinstance(stmt, S.IndexStmt):
                self.env[stmt.name] = IndexNotation(self, stmt).build()
            else:
                self.ret(stmt)
                returned = True
        if not returned:
            raise self.error(self.f.pos, f"function '{self.f.name}' does not return a value")
        op = func.FuncOp(self.f.name, self.sig, Region(self.block))
        op.location = loc_attr(self.m.loc(self.f.pos))
        return op

    def let(self, stmt: S.Let) -> None:
        if len(stmt.names) == 1:
            value = self.expr(stmt.value)
            if isinstance(value, SSAValue) and value.owner is not None:
                if isinstance(value.owner, Operation) and value.owner.parent is self.block:
                    value.name_hint = name_hint(stmt.names[0])
            self.env[stmt.names[0]] = value
            return
        if not (isinstance(stmt.value, S.Call) and stmt.value.name in self.m.functions):
            raise self.error(
                stmt.pos,
                f"{len(stmt.names)} names are bound but only a call of a function "
                "with several results gives several values",
            )
        values = self.user_call(stmt.value)
        if len(values) != len(stmt.names):
            raise self.error(
                stmt.pos,
                f"'{stmt.value.name}' returns {len(values)} values but "
                f"{len(stmt.names)} names are bound",
            )
        for n, v in zip(stmt.names, values):
            self.env[n] = v

    def ret(self, stmt: S.Return) -> None:
        expected = self.sig.outputs.data
        if len(stmt.values) != len(expected):
            raise self.error(
                stmt.pos,
                f"'{self.f.name}' declares {len(expected)} result(s) but returns "
                f"{len(stmt.values)}",
            )
        values = [
            self.typed_expr(
                e, t, lambda got, t=t, i=i: f"returned value {i + 1} has type {got} but "
                f"'{self.f.name}' declares {type_text(t)}"
            )
            for i, (e, t) in enumerate(zip(stmt.values, expected))
        ]
        self.emit(func.ReturnOp(*values), stmt.pos)

    def typed_expr(self, e: S.Expr, t: Attribute, mismatch: Callable[[str], str]) -> SSAValue:
        """`e` as a value of the declared type `t` (a number is broadcast to it); otherwise
        the error `mismatch(actual type)` at `e`."""
        v = self.expr(e)
        if isinstance(v, Literal):
            v = self.broadcast_literal(v, t, e.pos)
        if v.type != t:
            raise self.error(e.pos, mismatch(type_text(v.type)))
        return v

    # -- expressions ------------------------------------------------------------------

    def expr(self, e: S.Expr) -> Value:
        if isinstance(e, S.Number):
            return Literal(e.value, e.pos)
        if isinstance(e, S.Var):
            return self.lookup(e.name, e.pos)
        if isinstance(e, S.BinOp):
            return self.binop(e)
        if isinstance(e, S.Neg):
            v = self.expr(e.operand)
            if isinstance(v, Literal):
                return Literal(-v.value, e.pos)
            return self.make(e.pos, lambda: G.NegOp(v))
        if isinstance(e, S.Call):
            if e.name in self.m.functions:
                values = self.user_call(e)
                if len(values) != 1:
                    raise self.error(
                        e.pos,
                        f"'{e.name}' returns {len(values)} values; bind them with "
                        f"'a, b = {e.name}(...)'",
                    )
                return values[0]
            return self.builtin(e)
        if isinstance(e, S.Access):
            raise self.error(
                e.pos,
                f"indexing '{e.name}[...]' is only allowed on the right of index notation "
                "(c[i, j] +=! ...)",
            )
        if isinstance(e, S.ListExpr):
            raise self.error(e.pos, "a list is only allowed as an argument of an op")
        raise AssertionError(f"unknown expression {e!r}")

    def tensor(self, e: S.Expr) -> SSAValue:
        v = self.expr(e)
        if isinstance(v, Literal):
            raise self.error(e.pos, "expected a tensor, got a number")
        return v

    def lookup(self, name: str, pos: S.Pos) -> Value:
        if name in self.env:
            return self.env[name]
        hint = difflib.get_close_matches(name, list(self.env), n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise self.error(pos, f"unknown name '{name}'{suggestion}")

    def materialize(self, lit: Literal, element_type: Attribute, pos: S.Pos) -> SSAValue:
        if isinstance(lit.value, float) and not G.is_float(element_type):
            raise self.error(
                lit.pos,
                f"the number {lit.value} is not an integer but meets an "
                f"{G.type_name(element_type)} tensor",
            )
        self.check_range(lit, element_type)
        return self.emit(G.ConstantOp.scalar(lit.value, element_type), lit.pos)

    def check_range(self, lit: Literal, element_type: Attribute) -> None:
        """A located error unless the number fits the element type it meets."""
        name = G.type_name(element_type)
        if not G.is_float(element_type):
            bits = element_type.width.data
            low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
            if not low <= lit.value <= high:
                raise self.error(lit.pos, f"the number {lit.value} does not fit {name} "
                                          f"({low}..{high})")
        else:
            largest = float(np.finfo(np.float32 if name == "f32" else np.float64).max)
            try:
                fits = abs(float(lit.value)) <= largest or lit.value != lit.value
            except OverflowError:
                fits = False
            if not fits:
                text = (f"{lit.value:.6g}" if isinstance(lit.value, float)
                        else f"{str(lit.value)[:12]}… ({len(str(lit.value))} digits)")
                raise self.error(lit.pos, f"the number {text} is too large for {name} "
                                          f"(at most {largest:.6g})")

    def broadcast_literal(self, lit: Literal, t: Attribute, pos: S.Pos) -> SSAValue:
        c = self.materialize(lit, t.element_type, pos)
        shape = G.shape_of(t)
        return c if not shape else self.make(pos, lambda: G.BroadcastToOp(c, shape))

    def binop(self, e: S.BinOp) -> Value:
        lhs, rhs = self.expr(e.lhs), self.expr(e.rhs)
        if e.op == "@":
            if isinstance(lhs, Literal) or isinstance(rhs, Literal):
                raise self.error(e.pos, "matmul '@' needs two tensors")
            return self.make(e.pos, lambda: G.MatmulOp(lhs, rhs))
        return self.elementwise(BINOPS[e.op], lhs, rhs, e.pos)

    def elementwise(self, kind: str, lhs: Value, rhs: Value, pos: S.Pos) -> Value:
        if isinstance(lhs, Literal) and isinstance(rhs, Literal):
            try:
                return Literal(PY_BINARY[kind](lhs.value, rhs.value), pos)
            except ZeroDivisionError:
                raise self.error(pos, "division by zero in a constant expression") from None
            except OverflowError:  # an integer too large to meet or become a float
                raise self.error(pos, "overflow in a constant expression: the result is too "
                                      "large for a float") from None
        if isinstance(lhs, Literal):
            lhs = self.materialize(lhs, rhs.type.element_type, pos)
        if isinstance(rhs, Literal):
            rhs = self.materialize(rhs, lhs.type.element_type, pos)
        op_type = GRAPH_BINARY[kind]
        return self.make(pos, lambda: op_type(lhs, rhs))

    def user_call(self, e: S.Call) -> list[SSAValue]:
        if e.name == self.f.name:
            shadowed = f" (it shadows the builtin '{e.name}': rename it)" if e.name in BUILTINS else ""
            raise self.error(
                e.pos, f"'{e.name}' calls itself; recursion is not supported{shadowed}"
            )
        if e.kwargs:
            name = next(iter(e.kwargs))
            raise self.error(e.kwarg_pos[name], f"'{e.name}' takes no keyword arguments")
        sig = self.m.signatures[e.name]
        params = self.m.functions[e.name].params
        if len(e.args) != len(params):
            raise self.error(
                e.pos, f"'{e.name}' takes {len(params)} argument(s), got {len(e.args)}"
            )
        args = [
            self.typed_expr(
                a, t, lambda got, t=t, i=i, p=p: f"argument {i + 1} ('{p.name}') of "
                f"'{e.name}' has type {got}, expected {type_text(t)}"
            )
            for i, (a, t, p) in enumerate(zip(e.args, sig.inputs.data, params))
        ]
        op = func.CallOp(e.name, args, sig.outputs.data)
        self.emit(op, e.pos)
        return list(op.results)

    def builtin(self, e: S.Call) -> Value:
        if e.name not in BUILTINS:
            candidates = [*BUILTINS, *self.m.functions]
            hint = difflib.get_close_matches(e.name, candidates, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise self.error(e.pos, f"unknown function '{e.name}'{suggestion}")
        spec = BUILTINS[e.name]
        args = bind_args(self, e, spec)
        return spec.build(self, e, args)

    # -- constant arguments -----------------------------------------------------------

    def const_int(self, e: S.Expr, what: str, call: str) -> int:
        if isinstance(e, S.Number) and isinstance(e.value, int):
            return e.value
        raise self.error(e.pos, f"{call}: {what} must be an integer constant")

    def const_float(self, e: S.Expr, what: str, call: str) -> float:
        if isinstance(e, S.Number):
            return float(e.value)
        raise self.error(e.pos, f"{call}: {what} must be a number")

    def const_ints(self, e: S.Expr, what: str, call: str, pair: bool = False) -> list[int]:
        if isinstance(e, S.ListExpr):
            values = [self.const_int(i, what, call) for i in e.items]
            if pair and len(values) != 2:
                raise self.error(e.pos, f"{call}: {what} needs 2 values (H, W), got {len(values)}")
            return values
        v = self.const_int(e, what, call)
        return [v, v] if pair else [v]

    def const_bool(self, e: S.Expr, what: str, call: str) -> bool:
        if isinstance(e, S.Var) and e.name in ("true", "false", "True", "False"):
            return e.name in ("true", "True")
        if isinstance(e, S.Number) and e.value in (0, 1):
            return bool(e.value)
        raise self.error(e.pos, f"{call}: {what} must be true or false")


def build_module(
    program: S.Program, filename: str, bindings: dict[str, int], entry: str | None = None
) -> ModuleOp:
    return ModuleBuilder(program, filename, bindings).build(entry)
