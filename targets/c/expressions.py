"""The C expression of each pure arith/math op: the op tables and their printer.

Mixed into the C emitter's function printer, which supplies `ref` (an operand as C),
`signed_ref`, `helper` (an inline helper printed once per module) and `lanes`; see
emitter.py for the semantics kept (wrapping integers, saturating conversions, NaN rules).
"""

from __future__ import annotations

from xdsl.dialects import arith, math
from xdsl.ir import Operation

from tessera.compiler.diagnostics import TesseraError
from tessera.targets.c.signatures import (
    C_TYPES,
    UNSIGNED_TYPES,
    element_key,
)
from tessera.targets.c.snippets import (
    helper_extremumf,
    helper_fptosi,
    integer_helper,
    wide_unsigned,
)


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
    math.AbsIOp,
    arith.MaximumfOp, arith.MinimumfOp, arith.CmpfOp, arith.CmpiOp, arith.SelectOp,
])
# Pure ops whose vector form is C's vector operator: lane for lane the scalar IEEE operation.
_NATIVE_VECTOR_OPS = frozenset([*_FLOAT_BINARY, arith.NegfOp])
# The loop variable of a lane-by-lane loop; no SSA value, symbol or helper is named so.
_LANE = "lane"


class ExpressionPrinter:
    """The pure-op half of the C function printer."""

    def expression(self, op: Operation) -> str:
        """The C expression computing the single result of the pure op `op`."""
        kind = type(op)
        if kind not in _PURE_OPS:
            raise TesseraError.at_op(op, f"c target: cannot emit '{op.name}'")
        key = element_key(op.results[0].type, op)
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
            name = self.helper(
                f"tessera_{kind_name}_{key}", lambda: helper_extremumf(kind_name, key)
            )
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
            exact = UNSIGNED_TYPES[element_key(lhs.type, op)]
            return f"({exact}){self.ref(lhs)} {operator} ({exact}){self.ref(rhs)}"
        return f"{self.signed_ref(lhs)} {operator} {self.signed_ref(rhs)}"

    def float_conversion(self, op: Operation, key: str) -> str:
        t = C_TYPES[key]
        source = op.operands[0]
        if isinstance(op, arith.SIToFPOp):
            return f"({t}){self.signed_ref(source)}"
        if isinstance(op, arith.UIToFPOp):
            exact = UNSIGNED_TYPES[element_key(source.type, op)]
            return f"({t})({exact}){self.ref(source)}"
        if isinstance(op, (arith.ExtFOp, arith.TruncFOp)):
            return f"({t}){self.ref(source)}"
        raise TesseraError.at_op(op, f"c target: cannot emit '{op.name}'")

    def integer_expression(self, op: Operation, key: str) -> str:
        kind, operands = type(op), op.operands
        t = C_TYPES[key]
        if kind in _WRAPPING_BINARY:
            u = wide_unsigned(key)
            a, b = self.ref(operands[0]), self.ref(operands[1])
            return self.wrap(f"({u}){a} {_WRAPPING_BINARY[kind]} ({u}){b}", key)
        if kind in _BITWISE_BINARY:
            return f"({t})({self.ref(operands[0])} {_BITWISE_BINARY[kind]} {self.ref(operands[1])})"
        if kind in (arith.IndexCastOp, arith.ExtSIOp, arith.TruncIOp):
            return self.wrap(self.signed_ref(operands[0]), key)
        if kind is arith.ExtUIOp:
            exact = UNSIGNED_TYPES[element_key(operands[0].type, op)]
            return self.wrap(f"({exact}){self.ref(operands[0])}", key)
        if key == "i1":
            raise TesseraError.at_op(op, f"c target: cannot emit '{op.name}' on i1")
        if kind is math.AbsIOp:  # in unsigned arithmetic: |INT_MIN| wraps, as in LLVM
            u, x = wide_unsigned(key), self.ref(operands[0])
            return self.wrap(f"({x} < 0 ? ({u})0 - ({u}){x} : ({u}){x})", key)
        if kind is arith.FPToSIOp:
            source = element_key(operands[0].type, op)
            name = self.helper(f"tessera_fptosi_{source}_{key}",
                               lambda: helper_fptosi(source, key))
            return f"{name}({self.ref(operands[0])})"
        if kind in _INTEGER_HELPERS:
            helper_kind = _INTEGER_HELPERS[kind]
            name = self.helper(f"tessera_{helper_kind}_{key}",
                               lambda: integer_helper(helper_kind, key))
            return f"{name}({self.ref(operands[0])}, {self.ref(operands[1])})"
        if kind in _UNSIGNED_BINARY:
            exact = UNSIGNED_TYPES[key]
            a, b = self.ref(operands[0]), self.ref(operands[1])
            return f"({t})(({exact}){a} {_UNSIGNED_BINARY[kind]} ({exact}){b})"
        if kind in _SELECTING_BINARY:
            if operands[0] == operands[1]:  # max(x, x): x (and no tautological comparison)
                return self.ref(operands[0])
            operator, unsigned = _SELECTING_BINARY[kind]
            a, b = self.ref(operands[0]), self.ref(operands[1])
            ca, cb = (f"({UNSIGNED_TYPES[key]}){a}", f"({UNSIGNED_TYPES[key]}){b}") \
                if unsigned else (a, b)
            return f"{ca} {operator} {cb} ? {a} : {b}"
        raise TesseraError.at_op(op, f"c target: cannot emit '{op.name}'")

    @staticmethod
    def wrap(expression: str, key: str) -> str:
        """`expression` converted to `key`, keeping its low bits (i1 keeps only bit 0)."""
        if key == "i1":
            return f"(bool)(({expression}) & 1u)"
        return f"({C_TYPES[key]})({expression})"
