"""The C target: prints loop-level IR (func, scf, memref, arith, math) as C99.

C is Tessera's portable CPU backend: the loops are already scheduled, so printing them as
plain C lets gcc do register allocation and vectorisation, and the result runs through
`build.py` (gcc → shared library) and `runner.py` (ctypes). The printer only prints: every
op maps to one statement or declaration, and anything it does not know is reported at the
op (`file:line:col: error: c target: cannot emit 'x.y'`).

Semantics the C must keep, because C and MLIR disagree:
- MLIR integers are two's complement and wrap; signed overflow in C is undefined. So
  add/sub/mul go through unsigned types, shifts are clamped (MLIR calls an oversized shift
  poison; here it yields 0, or the sign for `shrsi`), `divsi`/`remsi` special-case -1, and
  `fptosi` saturates (like `llvm.fptosi.sat`). Division by zero stays the program's problem.
- `maximumf`/`minimumf` propagate NaN and order -0.0 below +0.0, which C's fmax/fmin do not
  promise, so they get small helpers; `maxnumf`/`minnumf` are exactly fmax/fmin.
- Values are stored in C types of the same width (`i1` is `bool`, `index` is `int64_t`).

Names from the program never reach the C text unescaped: symbols become `tsr_<name>` with
everything outside [A-Za-z0-9_] escaped (and a suffix if two symbols collide), SSA values
become `v<N>` or `v<N>_<hint>`, and helpers are `tessera_*`, a prefix no symbol can get.
"""

from __future__ import annotations

from math import copysign, inf, isinf
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, ClassVar

from xdsl.context import Context
from xdsl.dialects import arith, func, math, memref, scf
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    DenseIntOrFPElementsAttr,
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    NoneAttr,
    Signedness,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.utils.target import Target

from tessera.compiler.diagnostics import TesseraError

# Element and scalar types the C target stores, by their MLIR spelling.
C_TYPES: dict[str, str] = {
    "f32": "float",
    "f64": "double",
    "i1": "bool",
    "i8": "int8_t",
    "i16": "int16_t",
    "i32": "int32_t",
    "i64": "int64_t",
    "index": "int64_t",
}
_BIT_WIDTHS = {"i1": 1, "i8": 8, "i16": 16, "i32": 32, "i64": 64, "index": 64}
_UNSIGNED_TYPES = {"i1": "bool", "i8": "uint8_t", "i16": "uint16_t", "i32": "uint32_t",
                   "i64": "uint64_t", "index": "uint64_t"}
_ELEMENT_SIZES = {"f32": 4, "f64": 8, "i1": 1, "i8": 1, "i16": 2, "i32": 4, "i64": 8, "index": 8}

INCLUDES = ("math.h", "stdbool.h", "stdint.h", "stdlib.h", "string.h")

# Allocas larger than this go to the heap: a kernel may run on a small thread stack.
MAX_STACK_BYTES = 16 * 1024


def type_key(t: Attribute) -> str | None:
    """The MLIR spelling of a scalar type the C target supports, else None."""
    if isinstance(t, Float32Type):
        return "f32"
    if isinstance(t, Float64Type):
        return "f64"
    if isinstance(t, IndexType):
        return "index"
    if (isinstance(t, IntegerType) and t.signedness.data == Signedness.SIGNLESS
            and t.width.data in (1, 8, 16, 32, 64)):
        return f"i{t.width.data}"
    return None


def _scalar_key(t: Attribute, op: Operation | None) -> str:
    key = type_key(t)
    if key is None:
        raise TesseraError.at_op(op, f"c target: unsupported type {t}")
    return key


def _memref_layout(t: Attribute, op: Operation | None) -> tuple[str, tuple[int, ...]]:
    """(element type, static shape) of a row-major memref, or a located error."""
    if not isinstance(t, MemRefType):
        raise TesseraError.at_op(op, f"c target: expected a memref, got {t}")
    shape = tuple(t.get_shape())
    if any(dim == DYNAMIC_INDEX or dim < 0 for dim in shape):
        raise TesseraError.at_op(op, f"c target: {t} has a dynamic shape; only static shapes")
    if not isinstance(t.layout, NoneAttr):
        raise TesseraError.at_op(op, f"c target: {t} has a layout; only row-major memrefs")
    return _scalar_key(t.get_element_type(), op), shape


def _element_count(shape: Iterable[int]) -> int:
    count = 1
    for dim in shape:
        count *= dim
    return count


def _row_major_strides(shape: tuple[int, ...]) -> list[int]:
    strides, stride = [], 1
    for dim in reversed(shape):
        strides.append(stride)
        stride *= dim
    return strides[::-1]


# ---------------------------------------------------------------------------------------
# Names


def sanitize_identifier(name: str) -> str:
    """`name` as an identifier tail: [A-Za-z0-9_] kept, every other byte as `_xHH`."""
    parts = []
    for ch in name:
        if ch.isascii() and (ch.isalnum() or ch == "_"):
            parts.append(ch)
        else:
            parts.extend(f"_x{byte:02x}" for byte in ch.encode("utf-8"))
    return "".join(parts)


def c_symbol_names(module: ModuleOp) -> dict[str, str]:
    """The C identifier of each function and global of `module`, by symbol name.

    Functions are named first, in module order, so an exported name does not depend on the
    globals beside it.
    """
    symbols = [op.sym_name.data for op in module.ops if isinstance(op, func.FuncOp)]
    symbols += [op.sym_name.data for op in module.ops if isinstance(op, memref.GlobalOp)]
    names: dict[str, str] = {}
    taken: set[str] = set()
    for symbol in symbols:
        base = "tsr_" + sanitize_identifier(symbol)
        name, suffix = base, 0
        while name in taken:
            suffix += 1
            name = f"{base}_{suffix}"
        taken.add(name)
        names[symbol] = name
    return names


# ---------------------------------------------------------------------------------------
# The calling convention


@dataclass(frozen=True)
class CParam:
    """One parameter of an emitted function, described for a caller such as the runner."""

    name: str
    element_type: str  # a key of C_TYPES
    shape: tuple[int, ...] | None  # the static memref shape; None for a scalar
    is_out: bool  # carries {tessera.out}: a result the caller allocates
    is_written: bool  # the function stores into this buffer (itself or through a call)


@dataclass(frozen=True)
class CSignature:
    symbol: str
    c_name: str
    params: tuple[CParam, ...]
    is_declaration: bool


def _is_out(op: func.FuncOp, index: int) -> bool:
    if op.arg_attrs is None:
        return False
    return "tessera.out" in op.arg_attrs.data[index].data


def _written_memref_args(funcs: dict[str, func.FuncOp]) -> dict[str, list[bool]]:
    """Which memref arguments each function may write, through calls included.

    A fixpoint over the call graph. Any use other than a load or a copy source counts as a
    write, so the answer errs towards "written" (that only costs a `const`).
    """
    written = {
        name: [isinstance(t, MemRefType) and op.is_declaration
               for t in op.function_type.inputs.data]
        for name, op in funcs.items()
    }

    def writes(value: SSAValue) -> bool:
        for use in value.uses:
            user = use.operation
            if isinstance(user, memref.LoadOp):
                continue
            if isinstance(user, memref.CopyOp) and use.index == 0:
                continue
            if isinstance(user, func.CallOp) and user.callee.string_value() in written:
                callee_written = written[user.callee.string_value()]
                if use.index < len(callee_written) and not callee_written[use.index]:
                    continue
            return True
        return False

    changed = True
    while changed:
        changed = False
        for name, op in funcs.items():
            if op.is_declaration:
                continue
            for index, arg in enumerate(op.body.block.args):
                if isinstance(arg.type, MemRefType) and not written[name][index] and writes(arg):
                    written[name][index] = True
                    changed = True
    return written


def c_signatures(module: ModuleOp) -> dict[str, CSignature]:
    """The C signature of every function in `module`, by symbol name.

    Raises a located TesseraError for a function C cannot express: one that returns values
    (bufferize first), or one with a dynamic or non-row-major memref argument.
    """
    funcs = {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}
    names = c_symbol_names(module)
    written = _written_memref_args(funcs)
    signatures = {}
    for symbol, op in funcs.items():
        if op.function_type.outputs.data:
            raise TesseraError.at_op(
                op, f"c target: @{symbol} returns values; only functions that return "
                "nothing can be emitted (results become {tessera.out} arguments)")
        hints = [] if op.is_declaration else [arg.name_hint for arg in op.body.block.args]
        params = []
        for index, t in enumerate(op.function_type.inputs.data):
            name = (hints[index] if index < len(hints) else None) or f"arg{index}"
            if isinstance(t, MemRefType):
                element, shape = _memref_layout(t, op)
                params.append(CParam(name, element, shape, _is_out(op, index),
                                     written[symbol][index]))
            else:
                if _is_out(op, index):
                    raise TesseraError.at_op(
                        op, f"c target: {{tessera.out}} on scalar argument {index} of @{symbol}")
                params.append(CParam(name, _scalar_key(t, op), None, False, False))
        signatures[symbol] = CSignature(symbol, names[symbol], tuple(params), op.is_declaration)
    return signatures


# ---------------------------------------------------------------------------------------
# Literals


def _int_literal(value: int, key: str) -> str:
    """An integer constant of type `key`, in range (MLIR may spell i8 255 as -1 or 255)."""
    width = _BIT_WIDTHS[key]
    value &= (1 << width) - 1
    if key == "i1":
        return "true" if value else "false"
    if value >= 1 << (width - 1):
        value -= 1 << width
    if value == -(1 << 63):
        return "INT64_MIN"  # 9223372036854775808 has no signed type to be negated in
    return str(value)


# Doubles from here up round to infinity as f32 (half an ulp above FLT_MAX, ties to even).
_F32_OVERFLOW = 2.0**128 - 2.0**103


def _to_f32(value: float) -> float:
    """`value` rounded to the nearest f32, as C's conversion to float does."""
    if abs(value) >= _F32_OVERFLOW:
        return copysign(inf, value)
    return struct.unpack("<f", struct.pack("<f", value))[0]


def _float_literal(value: float, key: str) -> str:
    """The shortest decimal that reads back as exactly `value` in the type `key`."""
    if value != value:
        return "NAN"
    if value in (float("inf"), float("-inf")):
        return "INFINITY" if value > 0 else "-INFINITY"
    if key == "f64":
        return repr(value)
    single = _to_f32(value)
    if isinf(single):
        return "INFINITY" if single > 0 else "-INFINITY"
    for digits in range(1, 10):  # 9 significant digits always read back an f32 exactly
        text = f"{single:.{digits}g}"
        if _to_f32(float(text)) == single:
            break
    if "." not in text and "e" not in text:
        text += ".0"
    return text + "f"


def _constant_literal(op: arith.ConstantOp) -> str:
    key = _scalar_key(op.result.type, op)
    attr = op.value
    if isinstance(attr, IntegerAttr) and key not in ("f32", "f64"):
        return _int_literal(attr.value.data, key)
    if isinstance(attr, FloatAttr) and key in ("f32", "f64"):
        return _float_literal(attr.value.data, key)
    raise TesseraError.at_op(op, f"c target: unsupported constant {attr}")


# ---------------------------------------------------------------------------------------
# Helpers: small static inline functions, printed only when a kernel uses them.


def _helper_maximumf(key: str) -> str:
    t = C_TYPES[key]
    return (f"/* arith.maximumf: NaN if either is NaN, and +0.0 > -0.0 (fmax promises neither). */\n"
            f"static inline {t} tessera_maximumf_{key}({t} a, {t} b) {{\n"
            f"  if (isnan(a) || isnan(b)) return a + b;\n"
            f"  if (a == b) return signbit(a) ? b : a;\n"
            f"  return a > b ? a : b;\n}}\n")


def _helper_minimumf(key: str) -> str:
    t = C_TYPES[key]
    return (f"/* arith.minimumf: NaN if either is NaN, and -0.0 < +0.0 (fmin promises neither). */\n"
            f"static inline {t} tessera_minimumf_{key}({t} a, {t} b) {{\n"
            f"  if (isnan(a) || isnan(b)) return a + b;\n"
            f"  if (a == b) return signbit(a) ? a : b;\n"
            f"  return a < b ? a : b;\n}}\n")


def _wide_unsigned(key: str) -> str:
    """The unsigned type wrapping arithmetic on `key` is done in (never promoted to int)."""
    return "uint64_t" if _BIT_WIDTHS[key] == 64 else "uint32_t"


def _integer_helper(kind: str, key: str) -> str:
    t, u, exact = C_TYPES[key], _wide_unsigned(key), _UNSIGNED_TYPES[key]
    width = _BIT_WIDTHS[key]
    head = f"static inline {t} tessera_{kind}_{key}({t} a, {t} b) {{\n"
    negate = f"({t})(0u - ({u})a)"
    bodies = {
        # MIN / -1 overflows in C; MLIR leaves it undefined, so any value will do: wrap.
        "divsi": f"  return b == -1 ? {negate} : ({t})(a / b);\n",
        "remsi": f"  return b == -1 ? 0 : ({t})(a % b);\n",
        "floordivsi": (f"  if (b == -1) return {negate};\n"
                       f"  {t} q = ({t})(a / b);\n"
                       f"  return (a % b != 0 && (a < 0) != (b < 0)) ? ({t})(q - 1) : q;\n"),
        "ceildivsi": (f"  if (b == -1) return {negate};\n"
                      f"  {t} q = ({t})(a / b);\n"
                      f"  return (a % b != 0 && (a < 0) == (b < 0)) ? ({t})(q + 1) : q;\n"),
        # Shifting by the width or more is poison in MLIR and undefined in C: clamp.
        "shli": f"  return ({u})b >= {width}u ? 0 : ({t})(({u})a << ({u})b);\n",
        "shrsi": f"  return ({u})b >= {width}u ? (a < 0 ? -1 : 0) : ({t})(a >> b);\n",
        "shrui": f"  return ({u})b >= {width}u ? 0 : ({t})(({exact})a >> b);\n",
    }
    return head + bodies[kind] + "}\n"


def _helper_fptosi(source: str, target: str) -> str:
    f, t = C_TYPES[source], C_TYPES[target]
    bits = _BIT_WIDTHS[target]
    low, high = f"INT{bits}_MIN", f"INT{bits}_MAX"
    return (f"/* arith.fptosi saturates (like llvm.fptosi.sat): out of range is undefined in C. */\n"
            f"static inline {t} tessera_fptosi_{source}_{target}({f} x) {{\n"
            f"  if (isnan(x)) return 0;\n"
            f"  if (x <= ({f}){low}) return {low};\n"
            f"  if (x >= -({f}){low}) return {high};\n"
            f"  return ({t})x;\n}}\n")


# ---------------------------------------------------------------------------------------
# Op tables: how each pure op reads as a C expression.

_FLOAT_BINARY = {arith.AddfOp: "+", arith.SubfOp: "-", arith.MulfOp: "*", arith.DivfOp: "/"}
_WRAPPING_BINARY = {arith.AddiOp: "+", arith.SubiOp: "-", arith.MuliOp: "*"}
_BITWISE_BINARY = {arith.AndIOp: "&", arith.OrIOp: "|", arith.XOrIOp: "^"}
_INTEGER_HELPERS = {arith.DivSIOp: "divsi", arith.RemSIOp: "remsi",
                    arith.FloorDivSIOp: "floordivsi", arith.CeilDivSIOp: "ceildivsi",
                    arith.ShLIOp: "shli", arith.ShRSIOp: "shrsi", arith.ShRUIOp: "shrui"}
_UNSIGNED_BINARY = {arith.DivUIOp: "/", arith.RemUIOp: "%"}
_SELECTING_BINARY = {arith.MaxSIOp: (">", False), arith.MinSIOp: ("<", False),
                     arith.MaxUIOp: (">", True), arith.MinUIOp: ("<", True)}
# C99 <math.h> functions; f32 uses the f-suffixed ones.
_MATH_FUNCTIONS = {
    math.AbsFOp: "fabs", math.AcosOp: "acos", math.AcoshOp: "acosh", math.AsinOp: "asin",
    math.AsinhOp: "asinh", math.AtanOp: "atan", math.AtanhOp: "atanh", math.CbrtOp: "cbrt",
    math.CeilOp: "ceil", math.CosOp: "cos", math.CoshOp: "cosh", math.ErfOp: "erf",
    math.Exp2Op: "exp2", math.ExpM1Op: "expm1", math.ExpOp: "exp", math.FloorOp: "floor",
    math.Log10Op: "log10", math.Log1pOp: "log1p", math.Log2Op: "log2", math.LogOp: "log",
    math.RoundOp: "round", math.SinOp: "sin", math.SinhOp: "sinh", math.SqrtOp: "sqrt",
    math.TanOp: "tan", math.TanhOp: "tanh", math.TruncOp: "trunc",
    # Ties to even: nearbyint under the default rounding mode.
    math.RoundEvenOp: "nearbyint",
    math.PowFOp: "pow", math.Atan2Op: "atan2", math.CopySignOp: "copysign", math.FmaOp: "fma",
    arith.MaxnumfOp: "fmax", arith.MinnumfOp: "fmin",
}
_CMPF = {
    "false": "false", "oeq": "{a} == {b}", "ogt": "{a} > {b}", "oge": "{a} >= {b}",
    "olt": "{a} < {b}", "ole": "{a} <= {b}", "one": "islessgreater({a}, {b})",
    "ord": "!isunordered({a}, {b})", "ueq": "!islessgreater({a}, {b})",
    "ugt": "!islessequal({a}, {b})", "uge": "!isless({a}, {b})",
    "ult": "!isgreaterequal({a}, {b})", "ule": "!isgreater({a}, {b})", "une": "{a} != {b}",
    "uno": "isunordered({a}, {b})", "true": "true",
}
_CMPI = {"eq": ("==", None), "ne": ("!=", None), "slt": ("<", False), "sle": ("<=", False),
         "sgt": (">", False), "sge": (">=", False), "ult": ("<", True), "ule": ("<=", True),
         "ugt": (">", True), "uge": (">=", True)}
_CONVERSIONS = (arith.SIToFPOp, arith.UIToFPOp, arith.ExtFOp, arith.TruncFOp, arith.FPToSIOp,
                arith.IndexCastOp, arith.ExtSIOp, arith.ExtUIOp, arith.TruncIOp)
_PURE_OPS = frozenset([
    *_FLOAT_BINARY, *_WRAPPING_BINARY, *_BITWISE_BINARY, *_INTEGER_HELPERS, *_UNSIGNED_BINARY,
    *_SELECTING_BINARY, *_MATH_FUNCTIONS, *_CONVERSIONS, arith.NegfOp, math.RsqrtOp,
    arith.MaximumfOp, arith.MinimumfOp, arith.CmpfOp, arith.CmpiOp, arith.SelectOp,
])


# ---------------------------------------------------------------------------------------
# The printer


@dataclass
class _Scope:
    """A C block: the variables declared in it and the heap buffers to free when it ends."""

    declared: list[str] = field(default_factory=list)
    frees: list[str] = field(default_factory=list)


class _ModulePrinter:
    """Prints a module: helpers, globals, prototypes, then one definition per function."""

    def __init__(self, module: ModuleOp):
        self.module = module
        self.names = c_symbol_names(module)
        self.signatures = c_signatures(module)
        self.globals = {op.sym_name.data: op for op in module.ops
                        if isinstance(op, memref.GlobalOp)}
        self.used_globals: set[str] = set()
        self.helpers: dict[str, str] = {}

    def helper(self, name: str, make: Callable[[], str]) -> str:
        if name not in self.helpers:
            self.helpers[name] = make()
        return name

    def print(self) -> str:
        for op in self.module.ops:
            if not isinstance(op, (func.FuncOp, memref.GlobalOp)):
                raise TesseraError.at_op(op, f"c target: cannot emit '{op.name}'")
        definitions = [_FunctionPrinter(self, op).print() for op in self.module.ops
                       if isinstance(op, func.FuncOp) and not op.is_declaration]
        sections = ["/* Generated by Tessera's C target. */\n"
                    + "".join(f"#include <{header}>\n" for header in INCLUDES)]
        if self.helpers:
            sections.append("\n".join(self.helpers.values()))
        global_text = [self.global_definition(op) for symbol, op in self.globals.items()
                       if symbol in self.used_globals]
        if global_text:
            sections.append("\n".join(global_text))
        if self.signatures:
            sections.append("".join(self.prototype(s) + ";\n" for s in self.signatures.values()))
        sections.extend(definitions)
        return "\n".join(sections)

    def prototype(self, signature: CSignature, param_names: list[str] | None = None) -> str:
        params = []
        for index, param in enumerate(signature.params):
            t = C_TYPES[param.element_type]
            if param.shape is not None:
                t = f"{t} *restrict" if param.is_written else f"const {t} *restrict"
            params.append(f"{t} {param_names[index]}" if param_names else t)
        return f"void {signature.c_name}({', '.join(params) or 'void'})"

    def global_definition(self, op: memref.GlobalOp) -> str:
        key, shape = _memref_layout(op.type, op)
        count = max(_element_count(shape), 1)
        qualifier = "static const" if op.constant is not None else "static"
        declaration = f"{qualifier} {C_TYPES[key]} {self.names[op.sym_name.data]}[{count}]"
        if not isinstance(op.initial_value, DenseIntOrFPElementsAttr):
            return declaration + ";\n"  # uninitialized: static storage starts at zero
        values = op.initial_value.get_values()
        if key in ("f32", "f64"):
            literals = [_float_literal(float(v), key) for v in values]
        else:
            literals = [_int_literal(int(v), key) for v in values]
        rows = ["  " + ", ".join(literals[i:i + 8]) + "," for i in range(0, len(literals), 8)]
        return declaration + " = {\n" + "\n".join(rows) + "\n};\n"


class _FunctionPrinter:
    """Prints one func.func: a `void` C function over its structured body."""

    def __init__(self, module: _ModulePrinter, op: func.FuncOp):
        self.module = module
        self.op = op
        self.names: dict[SSAValue, str] = {}
        self.count = 0
        self.lines: list[str] = []
        self.depth = 1
        self.scopes: list[_Scope] = []
        self.read: set[str] = set()
        self.stack_arrays: set[str] = set()
        self.yield_targets: list[list[str]] = []

    # -- names and references -----------------------------------------------------------

    def declare_name(self, value: SSAValue) -> str:
        hint = sanitize_identifier(value.name_hint or "")[:24]
        name = f"v{self.count}_{hint}" if hint else f"v{self.count}"
        self.count += 1
        self.names[value] = name
        self.scopes[-1].declared.append(name)
        return name

    def ref(self, value: SSAValue) -> str:
        """`value` as a C operand: a variable, an inlined constant, or a global's name."""
        owner = value.owner
        if isinstance(owner, arith.ConstantOp):
            literal = _constant_literal(owner)
            return f"({literal})" if literal.startswith("-") else literal
        if isinstance(owner, memref.GetGlobalOp):
            return self.global_name(owner)
        name = self.names[value]
        self.read.add(name)
        return name

    def signed_ref(self, value: SSAValue) -> str:
        """`value` read as a signed integer: an i1 `true` is -1 in MLIR, 1 as a C bool."""
        if type_key(value.type) == "i1":
            return f"({self.ref(value)} ? -1 : 0)"
        return self.ref(value)

    def constant_int(self, value: SSAValue) -> int | None:
        owner = value.owner
        if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
            return owner.value.value.data
        return None

    def global_name(self, op: memref.GetGlobalOp) -> str:
        symbol = op.name_.string_value()
        if symbol not in self.module.globals:
            raise TesseraError.at_op(op, f"c target: no memref.global @{symbol} in the module")
        self.module.used_globals.add(symbol)
        return self.module.names[symbol]

    def helper(self, name: str, make: Callable[[], str]) -> str:
        return self.module.helper(name, make)

    # -- output -------------------------------------------------------------------------

    def line(self, text: str) -> None:
        self.lines.append("  " * self.depth + text)

    def print(self) -> str:
        signature = self.module.signatures[self.op.sym_name.data]
        if len(self.op.body.blocks) != 1:
            raise TesseraError.at_op(
                self.op, "c target: functions with several blocks (unstructured control "
                "flow) are not supported")
        self.scopes.append(_Scope())
        params = [self.declare_name(arg) for arg in self.op.body.block.args]
        self.print_ops(self.op.body.block)
        self.close_scope()
        head = self.module.prototype(signature, params)
        return head + " {\n" + "\n".join(self.lines) + ("\n" if self.lines else "") + "}\n"

    def print_block(self, block: Block) -> None:
        self.scopes.append(_Scope())
        self.print_ops(block)
        self.close_scope()

    def print_ops(self, block: Block) -> None:
        for op in block.ops:
            statement = _STATEMENTS.get(type(op))
            if statement is not None:
                statement(self, op)
            else:
                self.print_pure(op)

    def close_scope(self) -> None:
        """Ends a C block: unread variables are voided (-Wunused), heap allocas freed."""
        scope = self.scopes.pop()
        for name in scope.declared:
            if name not in self.read:
                self.line(f"(void){name};")
        for name in scope.frees:
            self.line(f"free({name});")

    def print_pure(self, op: Operation) -> None:
        if isinstance(op, arith.ConstantOp):
            _constant_literal(op)  # inlined where used; checked here so errors point at it
            return
        if isinstance(op, memref.GetGlobalOp):
            self.global_name(op)
            return
        expression = self.expression(op)
        result = op.results[0]
        t = C_TYPES[_scalar_key(result.type, op)]
        self.line(f"const {t} {self.declare_name(result)} = {expression};")

    # -- pure ops -----------------------------------------------------------------------

    def expression(self, op: Operation) -> str:
        """The C expression computing the single result of the pure op `op`."""
        kind = type(op)
        if kind not in _PURE_OPS:
            raise TesseraError.at_op(op, f"c target: cannot emit '{op.name}'")
        key = _scalar_key(op.results[0].type, op)
        operands = op.operands
        if kind in _FLOAT_BINARY:
            return f"{self.ref(operands[0])} {_FLOAT_BINARY[kind]} {self.ref(operands[1])}"
        if kind is arith.NegfOp:
            return f"-{self.ref(operands[0])}"
        if kind in _MATH_FUNCTIONS and key in ("f32", "f64"):
            name = _MATH_FUNCTIONS[kind] + ("f" if key == "f32" else "")
            return f"{name}({', '.join(self.ref(v) for v in operands)})"
        if kind is math.RsqrtOp and key in ("f32", "f64"):
            one, root = ("1.0f", "sqrtf") if key == "f32" else ("1.0", "sqrt")
            return f"{one} / {root}({self.ref(operands[0])})"
        if kind in (arith.MaximumfOp, arith.MinimumfOp):
            kind_name = "maximumf" if kind is arith.MaximumfOp else "minimumf"
            make = _helper_maximumf if kind is arith.MaximumfOp else _helper_minimumf
            name = self.helper(f"tessera_{kind_name}_{key}", lambda: make(key))
            return f"{name}({self.ref(operands[0])}, {self.ref(operands[1])})"
        if kind is arith.CmpfOp:
            predicate = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
            template = _CMPF[predicate]
            if "{a}" not in template:  # false/true: the operands are not read
                return template
            return template.format(a=self.ref(operands[0]), b=self.ref(operands[1]))
        if kind is arith.CmpiOp:
            return self.compare_integers(op)
        if kind is arith.SelectOp:
            if not isinstance(operands[0].type, IntegerType):
                raise TesseraError.at_op(op, "c target: 'arith.select' on vectors")
            return f"{self.ref(operands[0])} ? {self.ref(operands[1])} : {self.ref(operands[2])}"
        if key in ("f32", "f64"):
            return self.float_conversion(op, key)
        return self.integer_expression(op, key)

    def compare_integers(self, op: arith.CmpiOp) -> str:
        operator, unsigned = _CMPI[arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]]
        lhs, rhs = op.lhs, op.rhs
        if unsigned is None:
            return f"{self.ref(lhs)} {operator} {self.ref(rhs)}"
        if unsigned:
            exact = _UNSIGNED_TYPES[_scalar_key(lhs.type, op)]
            return f"({exact}){self.ref(lhs)} {operator} ({exact}){self.ref(rhs)}"
        return f"{self.signed_ref(lhs)} {operator} {self.signed_ref(rhs)}"

    def float_conversion(self, op: Operation, key: str) -> str:
        t = C_TYPES[key]
        source = op.operands[0]
        if isinstance(op, arith.SIToFPOp):
            return f"({t}){self.signed_ref(source)}"
        if isinstance(op, arith.UIToFPOp):
            exact = _UNSIGNED_TYPES[_scalar_key(source.type, op)]
            return f"({t})({exact}){self.ref(source)}"
        if isinstance(op, (arith.ExtFOp, arith.TruncFOp)):
            return f"({t}){self.ref(source)}"
        raise TesseraError.at_op(op, f"c target: cannot emit '{op.name}'")

    def integer_expression(self, op: Operation, key: str) -> str:
        kind, operands = type(op), op.operands
        t = C_TYPES[key]
        if kind in _WRAPPING_BINARY:
            u = _wide_unsigned(key)
            a, b = self.ref(operands[0]), self.ref(operands[1])
            return self.wrap(f"({u}){a} {_WRAPPING_BINARY[kind]} ({u}){b}", key)
        if kind in _BITWISE_BINARY:
            return f"({t})({self.ref(operands[0])} {_BITWISE_BINARY[kind]} {self.ref(operands[1])})"
        if kind in (arith.IndexCastOp, arith.ExtSIOp, arith.TruncIOp):
            return self.wrap(self.signed_ref(operands[0]), key)
        if kind is arith.ExtUIOp:
            exact = _UNSIGNED_TYPES[_scalar_key(operands[0].type, op)]
            return self.wrap(f"({exact}){self.ref(operands[0])}", key)
        if key == "i1":
            raise TesseraError.at_op(op, f"c target: cannot emit '{op.name}' on i1")
        if kind is arith.FPToSIOp:
            source = _scalar_key(operands[0].type, op)
            name = self.helper(f"tessera_fptosi_{source}_{key}",
                               lambda: _helper_fptosi(source, key))
            return f"{name}({self.ref(operands[0])})"
        if kind in _INTEGER_HELPERS:
            helper_kind = _INTEGER_HELPERS[kind]
            name = self.helper(f"tessera_{helper_kind}_{key}",
                               lambda: _integer_helper(helper_kind, key))
            return f"{name}({self.ref(operands[0])}, {self.ref(operands[1])})"
        if kind in _UNSIGNED_BINARY:
            exact = _UNSIGNED_TYPES[key]
            a, b = self.ref(operands[0]), self.ref(operands[1])
            return f"({t})(({exact}){a} {_UNSIGNED_BINARY[kind]} ({exact}){b})"
        if kind in _SELECTING_BINARY:
            operator, unsigned = _SELECTING_BINARY[kind]
            a, b = self.ref(operands[0]), self.ref(operands[1])
            ca, cb = (f"({_UNSIGNED_TYPES[key]}){a}", f"({_UNSIGNED_TYPES[key]}){b}") \
                if unsigned else (a, b)
            return f"{ca} {operator} {cb} ? {a} : {b}"
        raise TesseraError.at_op(op, f"c target: cannot emit '{op.name}'")

    @staticmethod
    def wrap(expression: str, key: str) -> str:
        """`expression` converted to `key`, keeping its low bits (i1 keeps only bit 0)."""
        if key == "i1":
            return f"(bool)(({expression}) & 1u)"
        return f"({C_TYPES[key]})({expression})"

    # -- memory -------------------------------------------------------------------------

    def element(self, buffer: SSAValue, indices: Iterable[SSAValue], op: Operation,
                *, stored: bool = False) -> str:
        """`buffer[linear index]`, the row-major offset folded where indices are constant.

        A store into a stack array does not count as reading it: gcc calls an array that
        is only stored into "set but not used", so such an array gets its `(void)`.
        """
        _, shape = _memref_layout(buffer.type, op)
        constant, terms = 0, []
        for index, stride in zip(indices, _row_major_strides(shape)):
            known = self.constant_int(index)
            if known is not None:
                constant += known * stride
            elif stride == 1:
                terms.append(self.ref(index))
            else:
                terms.append(f"{self.ref(index)} * {stride}")
        offset = " + ".join(terms)
        if not terms:
            offset = str(constant)
        elif constant:
            offset += f" + {constant}" if constant > 0 else f" - {-constant}"
        if stored and self.names.get(buffer) in self.stack_arrays:
            return f"{self.names[buffer]}[{offset}]"
        return f"{self.ref(buffer)}[{offset}]"

    def writable(self, buffer: SSAValue, op: Operation) -> None:
        owner = buffer.owner
        if isinstance(owner, memref.GetGlobalOp):
            global_op = self.module.globals.get(owner.name_.string_value())
            if global_op is not None and global_op.constant is not None:
                raise TesseraError.at_op(
                    op, f"c target: writes to the constant memref.global @{global_op.sym_name.data}")

    def print_load(self, op: memref.LoadOp) -> None:
        t = C_TYPES[_scalar_key(op.res.type, op)]
        load = self.element(op.memref, op.indices, op)
        self.line(f"const {t} {self.declare_name(op.res)} = {load};")

    def print_store(self, op: memref.StoreOp) -> None:
        self.writable(op.memref, op)
        target = self.element(op.memref, op.indices, op, stored=True)
        self.line(f"{target} = {self.ref(op.value)};")

    def print_alloc(self, op: memref.AllocOp | memref.AllocaOp) -> None:
        key, shape = _memref_layout(op.memref.type, op)
        t = C_TYPES[key]
        count = max(_element_count(shape), 1)  # malloc(0) may be NULL; C has no empty arrays
        on_stack = isinstance(op, memref.AllocaOp) and count * _ELEMENT_SIZES[key] <= MAX_STACK_BYTES
        name = self.declare_name(op.memref)
        if on_stack:
            self.stack_arrays.add(name)
            self.line(f"{t} {name}[{count}];")
            return
        # memref.alloc's alignment is a hint; malloc's is enough for scalar C code.
        self.line(f"{t} *const {name} = malloc((size_t){count} * sizeof({t}));")
        self.line(f"if ({name} == NULL) abort();")
        if isinstance(op, memref.AllocaOp):
            self.scopes[-1].frees.append(name)

    def print_dealloc(self, op: memref.DeallocOp) -> None:
        self.line(f"free({self.ref(op.memref)});")

    def print_copy(self, op: memref.CopyOp) -> None:
        self.writable(op.destination, op)
        key, shape = _memref_layout(op.source.type, op)
        size = f"(size_t){_element_count(shape)} * sizeof({C_TYPES[key]})"
        # memmove: copying a buffer onto itself is legal in MLIR, undefined for memcpy.
        self.line(f"memmove({self.ref(op.destination)}, {self.ref(op.source)}, {size});")

    # -- control flow -------------------------------------------------------------------

    def print_for(self, op: scf.ForOp) -> None:
        iv, *carried = op.body.block.args
        results = []
        for result, init in zip(op.res, op.iter_args):
            t = C_TYPES[_scalar_key(result.type, op)]
            initial = self.ref(init)
            results.append(self.declare_name(result))
            self.line(f"{t} {results[-1]} = {initial};")
        t = C_TYPES[_scalar_key(iv.type, op)]
        lb, ub, step = self.ref(op.lb), self.ref(op.ub), self.ref(op.step)
        # The induction variable and the block arguments live in the loop's own scope. The
        # counter is a signed C integer, like scf.for's signed comparison: an upper bound
        # within one step of the type's maximum would overflow it (static shapes never are).
        self.scopes.append(_Scope())
        name = self.declare_name(iv)
        self.read.add(name)  # read by the loop condition
        self.line(f"for ({t} {name} = {lb}; {name} < {ub}; {name} += {step}) {{")
        self.depth += 1
        # Block arguments are copies, so a yield that permutes them cannot clobber itself.
        for arg, result in zip(carried, results):
            self.read.add(result)
            arg_type = C_TYPES[_scalar_key(arg.type, op)]
            self.line(f"const {arg_type} {self.declare_name(arg)} = {result};")
        self.yield_targets.append(results)
        self.print_ops(op.body.block)
        self.close_scope()
        self.yield_targets.pop()
        self.depth -= 1
        self.line("}")

    def print_if(self, op: scf.IfOp) -> None:
        results = []
        for result in op.output:
            t = C_TYPES[_scalar_key(result.type, op)]
            results.append(self.declare_name(result))
            self.line(f"{t} {results[-1]};")
        self.yield_targets.append(results)
        self.line(f"if ({self.ref(op.cond)}) {{")
        self.print_region_block(op.true_region.block)
        if op.false_region.blocks and (results or len(op.false_region.block.ops) > 1):
            self.line("} else {")
            self.print_region_block(op.false_region.block)
        self.line("}")
        self.yield_targets.pop()

    def print_region_block(self, block: Block) -> None:
        self.depth += 1
        self.print_block(block)
        self.depth -= 1

    def print_yield(self, op: scf.YieldOp) -> None:
        for target, value in zip(self.yield_targets[-1], op.arguments):
            self.line(f"{target} = {self.ref(value)};")

    def print_return(self, op: func.ReturnOp) -> None:
        """A void function's only return is the end of its body: nothing to print."""

    def print_call(self, op: func.CallOp) -> None:
        symbol = op.callee.string_value()
        signature = self.module.signatures.get(symbol)
        if signature is None:
            raise TesseraError.at_op(op, f"c target: call to @{symbol}, which is not in the module")
        if op.res:
            raise TesseraError.at_op(op, f"c target: call to @{symbol} uses its results")
        self.check_no_aliasing(op, signature)
        arguments = ", ".join(self.ref(v) for v in op.arguments)
        self.line(f"{signature.c_name}({arguments});")

    def check_no_aliasing(self, op: func.CallOp, signature: CSignature) -> None:
        """Parameters are `restrict`: a buffer the callee writes must not be passed twice."""
        buffers: dict[object, int] = {}
        for index, (value, param) in enumerate(zip(op.arguments, signature.params)):
            if param.shape is None:
                continue
            if param.is_written:
                self.writable(value, op)
            owner = value.owner
            root = owner.name_.string_value() if isinstance(owner, memref.GetGlobalOp) else value
            if root in buffers:
                first = buffers[root]
                if param.is_written or signature.params[first].is_written:
                    raise TesseraError.at_op(
                        op, f"c target: call to @{signature.symbol} passes one buffer as "
                        f"arguments {first} and {index}, and writes it (parameters are restrict)")
            else:
                buffers[root] = index


_STATEMENTS: dict[type[Operation], Callable[[_FunctionPrinter, Operation], None]] = {
    memref.LoadOp: _FunctionPrinter.print_load,
    memref.StoreOp: _FunctionPrinter.print_store,
    memref.AllocOp: _FunctionPrinter.print_alloc,
    memref.AllocaOp: _FunctionPrinter.print_alloc,
    memref.DeallocOp: _FunctionPrinter.print_dealloc,
    memref.CopyOp: _FunctionPrinter.print_copy,
    scf.ForOp: _FunctionPrinter.print_for,
    scf.IfOp: _FunctionPrinter.print_if,
    scf.YieldOp: _FunctionPrinter.print_yield,
    func.ReturnOp: _FunctionPrinter.print_return,
    func.CallOp: _FunctionPrinter.print_call,
}


def emit_c(module: ModuleOp) -> str:
    """The C99 translation unit for `module`; a TesseraError at the first op C cannot express."""
    return _ModulePrinter(module).print()


@dataclass(frozen=True)
class CTarget(Target):
    """`tessera-opt -t c`: print the module as C99."""

    name: ClassVar[str] = "c"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        output.write(emit_c(module))
