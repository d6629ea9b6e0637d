"""The builtin ops of the DSL: their parameters and how each builds `graph` ops."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tessera.compiler.frontend import syntax as S
from tessera.compiler.frontend.values import (
    GRAPH_UNARY,
    PY_UNARY,
    Literal,
    Value,
    type_text,
)
from tessera.dialects import graph as G

if TYPE_CHECKING:
    from tessera.compiler.frontend.builder import FunctionBuilder



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
                return Literal(PY_UNARY[name](x.value), e.pos)
            except (ValueError, OverflowError) as err:
                raise fb.error(e.pos, f"{name}({x.value}): {err}") from None
        return fb.make(e.pos, lambda: GRAPH_UNARY[name](x))

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


def _widen(fb, e, a):
    x = fb.tensor(a["x"])
    return fb.make(e.pos, lambda: G.WidenOp(x))


def _requantize(fb, e, a):
    x = fb.tensor(a["x"])
    scale = fb.const_float(a["scale"], "scale", "requantize")
    return fb.make(e.pos, lambda: G.RequantizeOp(x, scale))


def _tensor_arg(fb, e: S.Call, a: dict[str, S.Expr]):
    x = fb.expr(a["x"])
    if isinstance(x, Literal):
        raise fb.error(a["x"].pos, f"{e.name}: expected a tensor, got a number")
    return x


def _per_dimension(fb, e: S.Call, a: dict[str, S.Expr], name: str, x,
                   default: int | None = None) -> list[int]:
    """An argument of one integer per dimension of `x`: a list, or one integer for every
    dimension; `default` for every dimension when it is not given (None: required)."""
    rank = len(G.shape_of(x.type))
    if name not in a:
        if default is None:
            raise fb.error(e.pos, f"{e.name}: missing argument '{name}'")
        return [default] * rank
    values = fb.const_ints(a[name], name, e.name)
    if not isinstance(a[name], S.ListExpr):
        return values * rank
    if len(values) != rank:
        raise fb.error(a[name].pos, f"{e.name}: {name} needs one value per dimension of "
                                    f"{type_text(x.type)} ({rank}), got {len(values)}")
    return values


def _slice(fb, e, a):
    x = _tensor_arg(fb, e, a)
    starts, sizes = (_per_dimension(fb, e, a, n, x) for n in ("starts", "sizes"))
    strides = _per_dimension(fb, e, a, "strides", x, default=1)
    return fb.make(e.pos, lambda: G.SliceOp(x, starts, sizes, strides))


def _pad(fb, e, a):
    x = _tensor_arg(fb, e, a)
    low, high, interior = (_per_dimension(fb, e, a, n, x, default=0)
                           for n in ("low", "high", "interior"))
    return fb.make(e.pos, lambda: G.PadOp(x, low, high, interior))


def _step(fb, e, a):
    x = fb.expr(a["x"])
    if isinstance(x, Literal):  # a number stays a number, of its own kind (int or float)
        return Literal(type(x.value)(x.value > 0), e.pos)
    return fb.make(e.pos, lambda: G.StepOp(x))


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
    "widen": Builtin(("x",), _widen),
    "requantize": Builtin(("x", "scale"), _requantize, required=2),
    "slice": Builtin(("x", "starts", "sizes", "strides"), _slice, required=3),
    "pad": Builtin(("x", "low", "high", "interior"), _pad),
    "step": Builtin(("x",), _step),
    "maximum": _binary("max"),
    "minimum": _binary("min"),
    **{name: _unary(name) for name in GRAPH_UNARY},
}
