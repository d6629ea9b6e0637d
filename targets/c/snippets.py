"""C text the emitter reuses: exact literals and the small inline helpers that keep MLIR's
semantics where C's differ (see the emitter's docstring)."""

from __future__ import annotations

import struct
from math import copysign, inf, isinf

from xdsl.dialects import arith
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, FloatAttr, IntegerAttr

from tessera.compiler.diagnostics import TesseraError
from tessera.targets.c.signatures import (
    BIT_WIDTHS,
    C_TYPES,
    ELEMENT_SIZES,
    UNSIGNED_TYPES,
    scalar_key,
)

# ---------------------------------------------------------------------------------------
# Literals


def int_literal(value: int, key: str) -> str:
    """An integer constant of type `key`, in range (MLIR may spell i8 255 as -1 or 255)."""
    width = BIT_WIDTHS[key]
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


def float_literal(value: float, key: str) -> str:
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


def lane_literals(op: arith.ConstantOp, key: str, lanes: int) -> list[str]:
    """The lanes of a dense vector constant (a splat repeats its one value)."""
    attr = op.value
    if not isinstance(attr, DenseIntOrFPElementsAttr):
        raise TesseraError.at_op(op, f"c target: unsupported constant {attr}")
    values = list(attr.get_values())
    if len(values) == 1:
        values *= lanes
    if key in ("f32", "f64"):
        return [float_literal(float(v), key) for v in values]
    return [int_literal(int(v), key) for v in values]


def constant_literal(op: arith.ConstantOp) -> str:
    key = scalar_key(op.result.type, op)
    attr = op.value
    if isinstance(attr, IntegerAttr) and key not in ("f32", "f64"):
        return int_literal(attr.value.data, key)
    if isinstance(attr, FloatAttr) and key in ("f32", "f64"):
        return float_literal(attr.value.data, key)
    raise TesseraError.at_op(op, f"c target: unsupported constant {attr}")


# ---------------------------------------------------------------------------------------
# Helpers: small static inline functions, printed only when a kernel uses them.


def vector_type_name(key: str, lanes: int) -> str:
    return f"tessera_v{lanes}{key}"


def vector_typedef(key: str, lanes: int) -> str:
    """A GCC/Clang vector type of `lanes` elements of `key` (vector<Nxi1>: one byte a lane,
    0 or 1, as vector types of bool do not exist)."""
    lane = "uint8_t" if key == "i1" else C_TYPES[key]
    size = lanes * ELEMENT_SIZES[key]
    return (f"typedef {lane} {vector_type_name(key, lanes)} "
            f"__attribute__((vector_size({size})));\n")


def helper_extremumf(kind: str, key: str) -> str:
    """arith.maximumf / arith.minimumf as a static inline function."""
    t = C_TYPES[key]
    if kind == "maximumf":
        order, libc, wins, on_tie = "+0.0 > -0.0", "fmax", ">", "b : a"
    else:
        order, libc, wins, on_tie = "-0.0 < +0.0", "fmin", "<", "a : b"
    return (f"/* arith.{kind}: NaN if either is NaN, and {order} ({libc} promises neither). */\n"
            f"static inline {t} tessera_{kind}_{key}({t} a, {t} b) {{\n"
            f"  if (isnan(a) || isnan(b)) return a + b;\n"
            f"  if (a == b) return signbit(a) ? {on_tie};\n"
            f"  return a {wins} b ? a : b;\n}}\n")


def mask_typedef(key: str, lanes: int) -> str:
    """The integer vector type of the same size as a float vector: comparison results."""
    bits = "int32_t" if key == "f32" else "int64_t"
    return (f"typedef {bits} {mask_type_name(key, lanes)} "
            f"__attribute__((vector_size({lanes * ELEMENT_SIZES[key]})));\n")


def mask_type_name(key: str, lanes: int) -> str:
    return f"tessera_mask{lanes}x{key}"


def vector_extremumf(is_max: bool, vector: str, mask_helper: str, a: str, b: str) -> str:
    """`helper_extremumf` lane for lane on whole vectors, branch-free: comparisons give lane
    masks, NaN lanes take a + b, and a tie (+0.0 against -0.0) takes the AND (max) or OR
    (min) of the two bit patterns."""
    m = mask_helper
    wins = f"({a} {'>' if is_max else '<'} {b})"
    tie, nan = f"({a} == {b})", f"(({a} != {a}) | ({b} != {b}))"
    x, y = f"(({m}){a})", f"(({m}){b})"
    pick = f"(({wins} & {x}) | (~{wins} & {y}))"
    chosen = f"(({tie} & ({x} {'&' if is_max else '|'} {y})) | (~{tie} & {pick}))"
    return f"({vector})(({nan} & ({m})({a} + {b})) | (~{nan} & {chosen}))"


def wide_unsigned(key: str) -> str:
    """The unsigned type wrapping arithmetic on `key` is done in (never promoted to int)."""
    return "uint64_t" if BIT_WIDTHS[key] == 64 else "uint32_t"


def integer_helper(kind: str, key: str) -> str:
    t, u, exact = C_TYPES[key], wide_unsigned(key), UNSIGNED_TYPES[key]
    width = BIT_WIDTHS[key]
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


def helper_fptosi(source: str, target: str) -> str:
    f, t = C_TYPES[source], C_TYPES[target]
    bits = BIT_WIDTHS[target]
    low, high = f"INT{bits}_MIN", f"INT{bits}_MAX"
    return (f"/* arith.fptosi saturates (like llvm.fptosi.sat): out of range is undefined in C. */\n"
            f"static inline {t} tessera_fptosi_{source}_{target}({f} x) {{\n"
            f"  if (isnan(x)) return 0;\n"
            f"  if (x <= ({f}){low}) return {low};\n"
            f"  if (x >= -({f}){low}) return {high};\n"
            f"  return ({t})x;\n}}\n")
