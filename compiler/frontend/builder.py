"""Syntax tree -> `graph` dialect.

Types every expression (symbolic dimensions resolved from the bindings), checks every rule of
the language, and emits one `graph` op per DSL operation with the expression's source location.
Everything the user can get wrong becomes a located `TesseraError`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xdsl.dialects import func
from xdsl.dialects.builtin import (
    FileLineColLoc,
    FunctionType,
    IntAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    f32,
    f64,
    i8,
    i32,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineExpr, AffineMap

from tessera.compiler.diagnostics import SourceLoc, TesseraError
from tessera.compiler.frontend import syntax as S
from tessera.dialects import graph as G
from tessera.dialects import scalar

DTYPES: dict[str, Attribute] = {"f32": f32, "f64": f64, "i32": i32, "i8": i8}

COMBINE_KINDS = {"=": "assign", "+=!": "add", "*=!": "mul", "max=!": "max", "min=!": "min"}
_BINOPS = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
_GRAPH_BINARY = {
    "add": G.AddOp,
    "sub": G.SubOp,
    "mul": G.MulOp,
    "div": G.DivOp,
    "max": G.MaximumOp,
    "min": G.MinimumOp,
}
_GRAPH_UNARY = {
    "relu": G.ReluOp,
    "sigmoid": G.SigmoidOp,
    "tanh": G.TanhOp,
    "exp": G.ExpOp,
    "log": G.LogOp,
    "sqrt": G.SqrtOp,
}
_PY_UNARY: dict[str, Callable[[float], float]] = {
    "relu": lambda x: max(x, 0),
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "tanh": math.tanh,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
}
_PY_BINARY: dict[str, Callable[[float, float], float]] = {
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


class ModuleBuilder:
    def __init__(self, program: S.Program, filename: str, bindings: dict[str, int]):
        self.program = program
        self.filename = filename
        self.dims: dict[str, int] = {d.name: d.value for d in program.dims}
        self.dims.update(bindings)
        self.functions = {f.name: f for f in program.functions}
        self.signatures: dict[str, FunctionType] = {}

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
        seen: dict[str, S.Function] = {}
        for f in self.program.functions:
            if f.name in seen:
                raise self.error(f.pos, f"function '{f.name}' is defined twice")
            seen[f.name] = f
        chosen = self.reachable(entry)
        for f in chosen:
            self.signatures[f.name] = self.signature(f)
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
            for callee in _callees(self.functions[todo.pop()]):
                if callee in self.functions and callee not in wanted:
                    wanted.add(callee)
                    todo.append(callee)
        return [f for f in self.program.functions if f.name in wanted]

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
            shape.append(size)
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
        return FunctionBuilder(self, f).build()


def _callees(f: S.Function) -> list[str]:
    out: list[str] = []

    def visit(e):
        if isinstance(e, S.Call):
            out.append(e.name)
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
            arg.name_hint = _hint(p.name)
            self.env[p.name] = arg

    def error(self, pos: S.Pos | None, message: str) -> TesseraError:
        return self.m.error(pos, message)

    def emit(self, op: Operation, pos: S.Pos, name: str | None = None) -> SSAValue:
        op.location = _loc_attr(self.m.loc(pos))
        self.block.add_op(op)
        if name is not None and op.results:
            op.results[0].name_hint = _hint(name)
        return op.results[0] if op.results else None

    def make(self, pos: S.Pos, build: Callable[[], Operation]) -> SSAValue:
        """Create a graph op, turning a violated shape rule into a located error."""
        try:
            op = build()
        except G.ShapeError as e:
            raise self.error(pos, str(e)) from None
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
        op.location = _loc_attr(self.m.loc(self.f.pos))
        return op

    def let(self, stmt: S.Let) -> None:
        if len(stmt.names) == 1:
            value = self.expr(stmt.value)
            if isinstance(value, SSAValue) and value.owner is not None:
                if isinstance(value.owner, Operation) and value.owner.parent is self.block:
                    value.name_hint = _hint(stmt.names[0])
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
        values = []
        for i, (e, t) in enumerate(zip(stmt.values, expected)):
            v = self.expr(e)
            if isinstance(v, Literal):
                v = self.broadcast_literal(v, t, e.pos)
            if v.type != t:
                raise self.error(
                    e.pos,
                    f"returned value {i + 1} has type {type_text(v.type)} but "
                    f"'{self.f.name}' declares {type_text(t)}",
                )
            values.append(v)
        self.emit(func.ReturnOp(*values), stmt.pos)

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
        return self.emit(G.ConstantOp.scalar(lit.value, element_type), lit.pos)

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
        return self.elementwise(_BINOPS[e.op], lhs, rhs, e.pos)

    def elementwise(self, kind: str, lhs: Value, rhs: Value, pos: S.Pos) -> Value:
        if isinstance(lhs, Literal) and isinstance(rhs, Literal):
            try:
                return Literal(_PY_BINARY[kind](lhs.value, rhs.value), pos)
            except ZeroDivisionError:
                raise self.error(pos, "division by zero in a constant expression") from None
        if isinstance(lhs, Literal):
            lhs = self.materialize(lhs, rhs.type.element_type, pos)
        if isinstance(rhs, Literal):
            rhs = self.materialize(rhs, lhs.type.element_type, pos)
        op_type = _GRAPH_BINARY[kind]
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
        args = []
        for i, (a, t, p) in enumerate(zip(e.args, sig.inputs.data, params)):
            v = self.expr(a)
            if isinstance(v, Literal):
                v = self.broadcast_literal(v, t, a.pos)
            if v.type != t:
                raise self.error(
                    a.pos,
                    f"argument {i + 1} ('{p.name}') of '{e.name}' has type {type_text(v.type)}, "
                    f"expected {type_text(t)}",
                )
            args.append(v)
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


def _hint(name: str) -> str | None:
    # MLIR value names: keep them readable but valid.
    return name if name.replace("_", "a").isalnum() and not name[0].isdigit() else None


def _loc_attr(loc: SourceLoc) -> FileLineColLoc:
    return FileLineColLoc(StringAttr(loc.filename), IntAttr(loc.line), IntAttr(loc.column))


# ---------------------------------------------------------------------------------------
# Builtin ops: their parameters and how they build graph ops
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Builtin:
    params: tuple[str, ...]
    build: Callable[[FunctionBuilder, S.Call, dict[str, S.Expr]], Value]
    required: int = 1
    variadic: bool = False  # concat(a, b, c, axis=0)


_MISSING = object()


def bind_args(fb: FunctionBuilder, e: S.Call, spec: Builtin) -> dict[str, S.Expr]:
    args: dict[str, S.Expr] = {}
    positional = list(e.args)
    if spec.variadic:
        if len(positional) == 1 and isinstance(positional[0], S.ListExpr):
            positional = list(positional[0].items)
        args["*"] = S.ListExpr(positional, pos=e.pos)
        positional = []
    if len(positional) > len(spec.params):
        raise fb.error(
            positional[len(spec.params)].pos,
            f"{e.name}: takes at most {len(spec.params)} positional argument(s), "
            f"got {len(positional)}",
        )
    for name, value in zip(spec.params, positional):
        args[name] = value
    for name, value in e.kwargs.items():
        if name == "axis" and "axes" in spec.params and "axis" not in spec.params:
            name = "axes"
        if name not in spec.params:
            allowed = ", ".join(spec.params) or "none"
            raise fb.error(
                e.kwarg_pos[name] if name in e.kwarg_pos else e.pos,
                f"{e.name}: unknown argument '{name}' (arguments: {allowed})",
            )
        if name in args:
            raise fb.error(e.kwarg_pos.get(name, e.pos), f"{e.name}: '{name}' is given twice")
        args[name] = value
    if not spec.variadic:
        for name in spec.params[: spec.required]:
            if name not in args:
                raise fb.error(e.pos, f"{e.name}: missing argument '{name}'")
    return args


def _unary(name: str):
    def build(fb: FunctionBuilder, e: S.Call, a: dict[str, S.Expr]) -> Value:
        x = fb.expr(a["x"])
        if isinstance(x, Literal):
            try:
                return Literal(_PY_UNARY[name](x.value), e.pos)
            except (ValueError, OverflowError) as err:
                raise fb.error(e.pos, f"{name}({x.value}): {err}") from None
        return fb.make(e.pos, lambda: _GRAPH_UNARY[name](x))

    return Builtin(("x",), build)


def _binary(kind: str):
    def build(fb: FunctionBuilder, e: S.Call, a: dict[str, S.Expr]) -> Value:
        return fb.elementwise(kind, fb.expr(a["a"]), fb.expr(a["b"]), e.pos)

    return Builtin(("a", "b"), build, required=2)


def _matmul(fb, e, a):
    lhs, rhs = fb.tensor(a["a"]), fb.tensor(a["b"])
    return fb.make(e.pos, lambda: G.MatmulOp(lhs, rhs))


def _conv2d(fb, e, a):
    x, w = fb.tensor(a["x"]), fb.tensor(a["w"])
    stride = fb.const_ints(a.get("stride", _num(1, e)), "stride", "conv2d", pair=True)
    padding = fb.const_ints(a.get("padding", _num(0, e)), "padding", "conv2d", pair=True)
    dilation = fb.const_ints(a.get("dilation", _num(1, e)), "dilation", "conv2d", pair=True)
    y = fb.make(e.pos, lambda: G.Conv2dOp(x, w, stride, padding, dilation))
    if "bias" not in a:
        return y
    b = fb.tensor(a["bias"])
    channels = G.shape_of(y.type)[1]
    if G.shape_of(b.type) != (channels,):
        raise fb.error(
            a["bias"].pos,
            f"conv2d: bias must have shape [{channels}] (one per output channel), "
            f"got {type_text(b.type)}",
        )
    b3 = fb.make(a["bias"].pos, lambda: G.ReshapeOp(b, (channels, 1, 1)))
    return fb.make(e.pos, lambda: G.AddOp(y, b3))


def _pool(op_type):
    def build(fb, e, a):
        x = fb.tensor(a["x"])
        kernel = fb.const_ints(a["kernel"], "kernel", e.name, pair=True)
        stride = fb.const_ints(a["stride"], "stride", e.name, pair=True) if "stride" in a else kernel
        padding = fb.const_ints(a.get("padding", _num(0, e)), "padding", e.name, pair=True)
        return fb.make(e.pos, lambda: op_type(x, kernel, stride, padding))

    return Builtin(("x", "kernel", "stride", "padding"), build, required=2)


def _softmax(fb, e, a):
    x = fb.tensor(a["x"])
    axis = fb.const_int(a["axis"], "axis", "softmax") if "axis" in a else -1
    return fb.make(e.pos, lambda: G.SoftmaxOp(x, axis))


def _reduction(op_type):
    def build(fb, e, a):
        x = fb.tensor(a["x"])
        axes = fb.const_ints(a["axes"], "axes", e.name) if "axes" in a else None
        keepdims = fb.const_bool(a["keepdims"], "keepdims", e.name) if "keepdims" in a else False
        return fb.make(e.pos, lambda: op_type(x, axes, keepdims))

    return Builtin(("x", "axes", "keepdims"), build)


def _transpose(fb, e, a):
    x = fb.tensor(a["x"])
    rank = len(G.shape_of(x.type))
    perm = fb.const_ints(a["perm"], "perm", "transpose") if "perm" in a else list(range(rank))[::-1]
    return fb.make(e.pos, lambda: G.TransposeOp(x, perm))


def _reshape(fb, e, a):
    x = fb.tensor(a["x"])
    shape = fb.const_ints(a["shape"], "shape", "reshape")
    total = math.prod(G.shape_of(x.type))
    if shape.count(-1) > 1:
        raise fb.error(a["shape"].pos, "reshape: at most one dimension can be -1")
    if -1 in shape:
        known = math.prod(d for d in shape if d != -1)
        if known <= 0 or total % known:
            raise fb.error(
                a["shape"].pos,
                f"reshape: cannot reshape {type_text(x.type)} to {shape}",
            )
        shape[shape.index(-1)] = total // known
    return fb.make(e.pos, lambda: G.ReshapeOp(x, shape))


def _flatten(fb, e, a):
    x = fb.tensor(a["x"])
    shape = G.shape_of(x.type)
    start = fb.const_int(a["start_dim"], "start_dim", "flatten") if "start_dim" in a else 1
    if not -len(shape) <= start < max(len(shape), 1):
        raise fb.error(e.pos, f"flatten: start_dim {start} is out of range for {type_text(x.type)}")
    start %= max(len(shape), 1)
    new = (*shape[:start], math.prod(shape[start:]))
    return fb.make(e.pos, lambda: G.ReshapeOp(x, new))


def _broadcast_to(fb, e, a):
    x = fb.expr(a["x"])
    shape = fb.const_ints(a["shape"], "shape", "broadcast_to")
    if isinstance(x, Literal):
        raise fb.error(a["x"].pos, "broadcast_to: expected a tensor, got a number")
    return fb.make(e.pos, lambda: G.BroadcastToOp(x, shape))


def _concat(fb, e, a):
    items = a["*"].items
    if not items:
        raise fb.error(e.pos, "concat: needs at least one tensor")
    values = [fb.tensor(i) for i in items]
    axis = fb.const_int(a["axis"], "axis", "concat") if "axis" in a else 0
    return fb.make(e.pos, lambda: G.ConcatOp(values, axis))


def _num(value: int, e: S.Call) -> S.Number:
    return S.Number(value, str(value), pos=e.pos)


BUILTINS: dict[str, Builtin] = {
    "matmul": Builtin(("a", "b"), _matmul, required=2),
    "conv2d": Builtin(("x", "w", "bias", "stride", "padding", "dilation"), _conv2d, required=2),
    "maxpool2d": _pool(G.MaxPool2dOp),
    "avgpool2d": _pool(G.AvgPool2dOp),
    "softmax": Builtin(("x", "axis"), _softmax),
    "sum": _reduction(G.SumOp),
    "max": _reduction(G.MaxOp),
    "mean": _reduction(G.MeanOp),
    "transpose": Builtin(("x", "perm"), _transpose),
    "reshape": Builtin(("x", "shape"), _reshape, required=2),
    "flatten": Builtin(("x", "start_dim"), _flatten),
    "broadcast_to": Builtin(("x", "shape"), _broadcast_to, required=2),
    "concat": Builtin(("axis",), _concat, required=0, variadic=True),
    "maximum": _binary("max"),
    "minimum": _binary("min"),
    **{name: _unary(name) for name in _GRAPH_UNARY},
}


# ---------------------------------------------------------------------------------------
# Index notation
# ---------------------------------------------------------------------------------------

# Scalar functions allowed on the right of index notation.
_SCALAR_CALLS = {"exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "max", "min"}


class IndexNotation:
    """`c[i, j] +=! a[i, k] * b[k, j]` -> graph.contract."""

    def __init__(self, fb: FunctionBuilder, stmt: S.IndexStmt):
        self.fb = fb
        self.stmt = stmt
        self.extent: dict[str, tuple[int, str, S.Pos]] = {}
        self.inputs: list[tuple[str, tuple[str, ...]]] = []
        self.values: list[SSAValue] = []
        self.element_type: Attribute | None = None

    def error(self, pos: S.Pos, message: str) -> TesseraError:
        return self.fb.error(pos, message)

    def build(self) -> SSAValue:
        st = self.stmt
        if len(set(st.indices)) != len(st.indices):
            dup = next(i for i in st.indices if st.indices.count(i) > 1)
            raise self.error(st.pos, f"index '{dup}' appears twice on the left of '{st.combine}'")
        self.collect(st.value)
        if self.element_type is None:
            raise self.error(st.value.pos, "index notation needs at least one tensor on the right")
        for idx, pos in zip(st.indices, st.index_pos):
            if idx not in self.extent:
                raise self.error(
                    pos, f"index '{idx}' of '{st.name}' does not appear on the right-hand side"
                )
        reduced = [i for i in self.extent if i not in st.indices]
        kind = COMBINE_KINDS[st.combine]
        if kind == "assign" and reduced:
            raise self.error(
                st.pos,
                f"index '{reduced[0]}' appears only on the right; reduce it with '+=!', "
                "'*=!', 'max=!' or 'min=!'",
            )
        order = [*st.indices, *reduced]
        position = {name: i for i, name in enumerate(order)}
        maps = [
            AffineMap(len(order), 0, tuple(AffineExpr.dimension(position[i]) for i in idx))
            for _, idx in self.inputs
        ]
        region, block = G.contract_body([self.element_type] * len(self.inputs))
        self.block = block
        for arg, (name, _) in zip(block.args, self.inputs):
            arg.name_hint = _hint(name)
        result = self.scalar(st.value)
        self.body_op(G.YieldOp(result), st.pos)
        dims = [self.extent[i][0] for i in order]
        out_type = TensorType(self.element_type, dims[: len(st.indices)])
        op = G.ContractOp(self.values, maps, dims, kind, out_type, region)
        try:
            op.verify_()
        except Exception as e:  # the rules are checked above; this guards the builder
            raise self.error(st.pos, f"internal error in index notation: {e}") from None
        return self.fb.emit(op, st.pos, st.name)

    def collect(self, e: S.Expr) -> None:
        if isinstance(e, S.Access):
            self.access(e.name, e.indices, e.index_pos, e.pos)
        elif isinstance(e, S.Var):
            v = self.fb.lookup(e.name, e.pos)
            if isinstance(v, SSAValue):
                if G.shape_of(v.type):
                    raise self.error(
                        e.pos, f"tensor '{e.name}' needs indices in index notation, e.g. "
                        f"{e.name}[{', '.join('ijklmn'[: len(G.shape_of(v.type))])}]"
                    )
                self.access(e.name, [], [], e.pos)
        elif isinstance(e, S.BinOp):
            if e.op == "@":
                raise self.error(e.pos, "'@' is not allowed in index notation; write the sum")
            self.collect(e.lhs)
            self.collect(e.rhs)
        elif isinstance(e, S.Neg):
            self.collect(e.operand)
        elif isinstance(e, S.Call):
            if e.name not in _SCALAR_CALLS:
                raise self.error(
                    e.pos,
                    f"'{e.name}' is not allowed in index notation "
                    f"(allowed: {', '.join(sorted(_SCALAR_CALLS))})",
                )
            if e.kwargs:
                raise self.error(e.pos, f"'{e.name}' takes no keyword arguments here")
            want = 2 if e.name in ("max", "min") else 1
            if len(e.args) != want:
                raise self.error(e.pos, f"'{e.name}' takes {want} argument(s) here")
            for a in e.args:
                self.collect(a)
        elif isinstance(e, S.ListExpr):
            raise self.error(e.pos, "a list is not allowed in index notation")

    def access(self, name: str, indices: Sequence[str], index_pos, pos: S.Pos) -> None:
        v = self.fb.lookup(name, pos)
        if isinstance(v, Literal):
            raise self.error(pos, f"'{name}' is a number and cannot be indexed")
        shape = G.shape_of(v.type)
        if len(indices) != len(shape):
            raise self.error(
                pos,
                f"'{name}' has rank {len(shape)} ({type_text(v.type)}) but is indexed "
                f"with {len(indices)} index(es)",
            )
        if self.element_type is None:
            self.element_type = v.type.element_type
        elif v.type.element_type != self.element_type:
            raise self.error(
                pos,
                f"'{name}' has element type {G.type_name(v.type.element_type)} but the "
                f"expression uses {G.type_name(self.element_type)}",
            )
        for idx, size, ipos in zip(indices, shape, index_pos):
            if idx in self.extent and self.extent[idx][0] != size:
                prev_size, prev_name, _ = self.extent[idx]
                raise self.error(
                    ipos,
                    f"index '{idx}' ranges over {size} in '{name}' but over {prev_size} "
                    f"in '{prev_name}'",
                )
            self.extent.setdefault(idx, (size, name, ipos))
        key = (name, tuple(indices))
        if key not in self.inputs:
            self.inputs.append(key)
            self.values.append(v)

    def body_op(self, op: Operation, pos: S.Pos) -> SSAValue | None:
        op.location = _loc_attr(self.fb.m.loc(pos))
        self.block.add_op(op)
        return op.results[0] if op.results else None

    def body_ops(self, ops: list[Operation], pos: S.Pos) -> SSAValue:
        for op in ops:
            self.body_op(op, pos)
        return ops[-1].results[0]

    def scalar(self, e: S.Expr) -> SSAValue:
        et = self.element_type
        if isinstance(e, S.Number):
            if isinstance(e.value, float) and not G.is_float(et):
                raise self.error(e.pos, f"the number {e.value} is not an integer but the "
                                 f"expression is {G.type_name(et)}")
            return self.body_op(scalar.constant(e.value, et), e.pos)
        if isinstance(e, S.Access | S.Var):
            indices = tuple(e.indices) if isinstance(e, S.Access) else ()
            return self.block.args[self.inputs.index((e.name, indices))]
        if isinstance(e, S.BinOp):
            lhs, rhs = self.scalar(e.lhs), self.scalar(e.rhs)
            return self.body_ops(scalar.binary(_BINOPS[e.op], lhs, rhs), e.pos)
        if isinstance(e, S.Neg):
            return self.body_ops(scalar.unary("neg", self.scalar(e.operand)), e.pos)
        if isinstance(e, S.Call):
            args = [self.scalar(a) for a in e.args]
            if e.name in ("max", "min"):
                return self.body_ops(scalar.binary(e.name, *args), e.pos)
            if e.name in scalar.FLOAT_ONLY_UNARY and not G.is_float(et):
                raise self.error(e.pos, f"'{e.name}' needs floating-point values, got "
                                 f"{G.type_name(et)}")
            return self.body_ops(scalar.unary(e.name, args[0]), e.pos)
        raise AssertionError(f"unexpected expression {e!r}")


# ---------------------------------------------------------------------------------------


def build_module(
    program: S.Program, filename: str, bindings: dict[str, int], entry: str | None = None
) -> ModuleOp:
    return ModuleBuilder(program, filename, bindings).build(entry)
