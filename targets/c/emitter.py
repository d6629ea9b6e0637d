"""The C target: prints loop-level IR (func, scf, memref, vector, arith, math) as C99.

C is Tessera's portable CPU backend: the loops are already scheduled, so printing them as
plain C lets gcc do register allocation and vectorisation, and the result runs through
`build.py` (gcc → shared library) and `runner.py` (ctypes). The printer only prints: every
op maps to one statement or declaration, and anything it does not know is reported at the
op (`file:line:col: error: c target: cannot emit 'x.y'`). Types, names and the calling
convention are in `signatures.py`; literals and the inline helpers in `snippets.py`.

Semantics the C must keep, because C and MLIR disagree:
- MLIR integers are two's complement and wrap; signed overflow in C is undefined. So
  add/sub/mul go through unsigned types, shifts are clamped (MLIR calls an oversized shift
  poison; here it yields 0, or the sign for `shrsi`), `divsi`/`remsi` special-case -1, and
  `fptosi` saturates (like `llvm.fptosi.sat`). Division by zero stays the program's problem.
- `maximumf`/`minimumf` propagate NaN and order -0.0 below +0.0, which C's fmax/fmin do not
  promise, so they get small helpers; `maxnumf`/`minnumf` are exactly fmax/fmin.
- Values are stored in C types of the same width (`i1` is `bool`, `index` is `int64_t`).

Vectors (what a schedule's vectorisation produces) are fixed-size 1-D `vector<NxT>` with N a
power of two, held in GCC/Clang vector types (`tessera_v8f32`: a typedef printed once per
element type and lane count; `vector<Nxi1>` masks are one byte a lane, 0 or 1):
- `vector.load`/`vector.store` move the N contiguous elements starting at the row-major
  element the indices name, through memcpy (any alignment, no strict-aliasing question; gcc
  makes it one unaligned vector move). A fully constant offset is checked against the end.
- `vector.broadcast` is an initializer of N copies, `vector.fma` is `a * b + c` (one FMA
  under `-ffp-contract=fast`), `vector.insert`/`vector.extract` index one lane (a dynamic
  position is taken modulo N, where MLIR says poison, rather than read out of bounds).
- arith/math ops on vectors: float `+ - * /` and negation use the vector operators, whose
  lanes are exactly the scalar IEEE operations; every other op (integer arithmetic,
  comparisons, select on a mask, maximumf/minimumf, casts, math functions) is a loop over the
  lanes whose body is the scalar expression above, so vector and scalar semantics cannot
  drift apart. Operands and results have the same lane count (a producer broadcasts
  scalars first); a select may also take a scalar `i1` that picks a whole vector.
- xDSL 0.74 types `arith.cmpf`/`arith.cmpi` on vectors (and a select's condition) as a
  scalar `i1`; the printer tells a mask from a scalar by where the value comes from (a
  comparison of vectors, ops on masks, loop-carried copies of them), not by its type.

An `scf.for` carrying the unit attribute `tessera.parallel` is an OpenMP worksharing loop
(`#pragma omp parallel for`; build.py adds `-fopenmp`). Every value is declared in the block
that defines it, so whatever the body declares is private to an iteration; a parallel loop
carrying values (iter_args) has no meaning and is an error. `memref.alloc` with an
`alignment` of 16 or more uses `aligned_alloc` (the size rounded up to the alignment).

Names from the program never reach the C text unescaped: symbols become `tsr_<name>` with
everything outside [A-Za-z0-9_] escaped (and a suffix if two symbols collide), SSA values
become `v<N>` or `v<N>_<hint>`, and helpers are `tessera_*`, a prefix no symbol can get.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, ClassVar

from xdsl.context import Context
from xdsl.dialects import arith, func, math, memref, scf, vector
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    VectorType,
)
from xdsl.ir import Block, BlockArgument, Operation, OpResult, SSAValue
from xdsl.utils.target import Target

from tessera.compiler.diagnostics import TesseraError
from tessera.targets.c.signatures import (
    C_TYPES,
    ELEMENT_SIZES,
    INCLUDES,
    MAX_STACK_BYTES,
    UNSIGNED_TYPES,
    CSignature,
    c_signatures,
    c_symbol_names,
    element_count,
    element_key,
    memref_layout,
    row_major_strides,
    sanitize_identifier,
    scalar_key,
    type_key,
    vector_layout,
)
from tessera.targets.c.snippets import (
    constant_literal,
    float_literal,
    helper_extremumf,
    helper_fptosi,
    int_literal,
    integer_helper,
    lane_literals,
    mask_type_name,
    mask_typedef,
    vector_extremumf,
    vector_type_name,
    vector_typedef,
    wide_unsigned,
)

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
# Pure ops whose vector form is C's vector operator: lane for lane the scalar IEEE operation.
_NATIVE_VECTOR_OPS = frozenset([*_FLOAT_BINARY, arith.NegfOp])
# The loop variable of a lane-by-lane loop; no SSA value, symbol or helper is named so.
_LANE = "lane"
# Allocations aligned to at least this use aligned_alloc; malloc's alignment covers less.
_MIN_ALIGNED_ALLOC = 16


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
        self.uses_aligned_alloc = False

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
        # aligned_alloc is C11: glibc declares it under -std=c99 only when asked to.
        features = "#define _ISOC11_SOURCE 1\n" if self.uses_aligned_alloc else ""
        sections = ["/* Generated by Tessera's C target. */\n" + features
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
        key, shape = memref_layout(op.type, op)
        count = max(element_count(shape), 1)
        qualifier = "static const" if op.constant is not None else "static"
        declaration = f"{qualifier} {C_TYPES[key]} {self.names[op.sym_name.data]}[{count}]"
        if not isinstance(op.initial_value, DenseIntOrFPElementsAttr):
            return declaration + ";\n"  # uninitialized: static storage starts at zero
        values = op.initial_value.get_values()
        if key in ("f32", "f64"):
            literals = [float_literal(float(v), key) for v in values]
        else:
            literals = [int_literal(int(v), key) for v in values]
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
        # While printing one lane of a vector op: its vector operands, read as `v[lane]`.
        self.lane_values: set[SSAValue] | None = None
        self.lane_counts: dict[SSAValue, int | None] = {}

    # -- names and references -----------------------------------------------------------

    def declare_name(self, value: SSAValue) -> str:
        hint = sanitize_identifier(value.name_hint or "")[:24]
        name = f"v{self.count}_{hint}" if hint else f"v{self.count}"
        self.count += 1
        self.names[value] = name
        self.scopes[-1].declared.append(name)
        return name

    def ref(self, value: SSAValue) -> str:
        """`value` as a C operand: a variable, an inlined constant, or a global's name; one
        lane of it while a vector op is printed lane by lane."""
        owner = value.owner
        if isinstance(owner, arith.ConstantOp) and not isinstance(value.type, VectorType):
            literal = constant_literal(owner)
            return f"({literal})" if literal.startswith("-") else literal
        if isinstance(owner, memref.GetGlobalOp):
            return self.global_name(owner)
        name = self.names[value]
        self.read.add(name)
        if self.lane_values is not None and value in self.lane_values:
            return f"{name}[{_LANE}]"
        return name

    def signed_ref(self, value: SSAValue) -> str:
        """`value` read as a signed integer: an i1 `true` is -1 in MLIR, 1 as a C bool."""
        t = value.type.element_type if isinstance(value.type, VectorType) else value.type
        if type_key(t) == "i1":
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

    # -- types --------------------------------------------------------------------------

    def lanes(self, value: SSAValue, op: Operation) -> int | None:
        """The lane count of a vector value, None for a scalar.

        A vector type says so itself. An `i1` may be a mask all the same: xDSL 0.74 gives a
        comparison of vectors (and a select's condition) the type i1, so an i1 is a mask
        when it comes from vectors: a comparison of them, an op on masks, or a loop-carried
        or scf.if-yielded copy of one.
        """
        if value in self.lane_counts:
            return self.lane_counts[value]
        lanes = None
        if isinstance(value.type, VectorType):
            lanes = vector_layout(value.type, op)[1]
        elif value.type == IntegerType(1):
            lanes = self.mask_lanes(value, op)
        self.lane_counts[value] = lanes
        return lanes

    def mask_lanes(self, value: SSAValue, op: Operation) -> int | None:
        if isinstance(value, BlockArgument):
            parent = value.block.parent_op()
            if isinstance(parent, scf.ForOp) and value.index > 0:
                return self.lanes(parent.iter_args[value.index - 1], op)
            return None
        assert isinstance(value, OpResult)
        owner = value.owner
        if isinstance(owner, scf.ForOp):
            return self.lanes(owner.iter_args[value.index], op)
        if isinstance(owner, scf.IfOp):
            yielded = owner.true_region.block.last_op
            if isinstance(yielded, scf.YieldOp):
                return self.lanes(yielded.arguments[value.index], op)
            return None
        if type(owner) in _PURE_OPS:
            operands = owner.operands[1:] if isinstance(owner, arith.SelectOp) else owner.operands
            for operand in operands:
                lanes = self.lanes(operand, op)
                if lanes is not None:
                    return lanes
        return None

    def vector_type(self, key: str, lanes: int) -> str:
        return self.helper(vector_type_name(key, lanes), lambda: vector_typedef(key, lanes))

    def c_type(self, value: SSAValue, op: Operation) -> str:
        """The C type holding `value`: a scalar type, or a vector typedef."""
        key = element_key(value.type, op)
        lanes = self.lanes(value, op)
        return C_TYPES[key] if lanes is None else self.vector_type(key, lanes)

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
            if isinstance(op.result.type, VectorType):
                key, lanes = vector_layout(op.result.type, op)
                t = self.vector_type(key, lanes)
                values = ", ".join(lane_literals(op, key, lanes))
                self.line(f"const {t} {self.declare_name(op.result)} = {{{values}}};")
                return
            constant_literal(op)  # inlined where used; checked here so errors point at it
            return
        if isinstance(op, memref.GetGlobalOp):
            self.global_name(op)
            return
        if type(op) not in _PURE_OPS:
            raise TesseraError.at_op(op, f"c target: cannot emit '{op.name}'")
        result = op.results[0]
        lanes = self.lanes(result, op)
        vectors = {v for v in op.operands if self.lanes(v, op) is not None}
        if lanes is None:
            if vectors:
                raise TesseraError.at_op(
                    op, f"c target: '{op.name}' mixes vectors and scalars")
            t = C_TYPES[scalar_key(result.type, op)]
            self.line(f"const {t} {self.declare_name(result)} = {self.expression(op)};")
            return
        t = self.c_type(result, op)
        if type(op) in _NATIVE_VECTOR_OPS or (isinstance(op, arith.SelectOp)
                                              and op.cond not in vectors):
            # Whole vectors: C's vector operators, or a scalar condition picking one.
            self.line(f"const {t} {self.declare_name(result)} = {self.expression(op)};")
            return
        key = element_key(result.type, op)
        if isinstance(op, (arith.MaximumfOp, arith.MinimumfOp)) and key in ("f32", "f64"):
            # A ReLU in every epilogue: branch-free on whole vectors (the lane loop over
            # the branching scalar helper does not vectorize), with the same semantics;
            # inline, since passing vectors to a function warns (-Wpsabi) without -march.
            mask = self.helper(mask_type_name(key, lanes), lambda: mask_typedef(key, lanes))
            expression = vector_extremumf(isinstance(op, arith.MaximumfOp), t, mask,
                                          self.ref(op.operands[0]), self.ref(op.operands[1]))
            self.line(f"const {t} {self.declare_name(result)} = {expression};")
            return
        # Lane by lane: the scalar expression, reading lane `lane` of each vector operand.
        self.lane_values = vectors
        try:
            expression = self.expression(op)
        finally:
            self.lane_values = None
        name = self.declare_name(result)
        self.line(f"{t} {name};")
        self.line(f"for (int {_LANE} = 0; {_LANE} < {lanes}; ++{_LANE}) "
                  f"{name}[{_LANE}] = {expression};")

    # -- pure ops -----------------------------------------------------------------------

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

    # -- memory -------------------------------------------------------------------------

    def element(self, buffer: SSAValue, indices: Iterable[SSAValue], op: Operation,
                *, stored: bool = False) -> str:
        """`buffer[linear index]`, the row-major offset folded where indices are constant.

        A store into a stack array does not count as reading it: gcc calls an array that
        is only stored into "set but not used", so such an array gets its `(void)`.
        """
        offset, _ = self.offset(buffer, indices, op)
        if stored and self.names.get(buffer) in self.stack_arrays:
            return f"{self.names[buffer]}[{offset}]"
        return f"{self.ref(buffer)}[{offset}]"

    def offset(self, buffer: SSAValue, indices: Iterable[SSAValue],
               op: Operation) -> tuple[str, int | None]:
        """The row-major offset of an element as C text, and its value if it is constant."""
        _, shape = memref_layout(buffer.type, op)
        constant, terms = 0, []
        for index, stride in zip(indices, row_major_strides(shape)):
            known = self.constant_int(index)
            if known is not None:
                constant += known * stride
            elif stride == 1:
                terms.append(self.ref(index))
            else:
                terms.append(f"{self.ref(index)} * {stride}")
        offset = " + ".join(terms)
        if not terms:
            return str(constant), constant
        if constant:
            offset += f" + {constant}" if constant > 0 else f" - {-constant}"
        return offset, None

    def lanes_address(self, buffer: SSAValue, indices: Iterable[SSAValue], lanes: int,
                      op: Operation) -> str:
        """`&buffer[offset]` for `lanes` contiguous elements; a constant offset is checked."""
        offset, constant = self.offset(buffer, indices, op)
        _, shape = memref_layout(buffer.type, op)
        count = element_count(shape)
        if constant is not None and not 0 <= constant <= count - lanes:
            raise TesseraError.at_op(
                op, f"c target: '{op.name}' of {lanes} lanes at element {constant} is out of "
                f"bounds of {buffer.type}")
        return f"&{self.ref(buffer)}[{offset}]"

    def writable(self, buffer: SSAValue, op: Operation) -> None:
        owner = buffer.owner
        if isinstance(owner, memref.GetGlobalOp):
            global_op = self.module.globals.get(owner.name_.string_value())
            if global_op is not None and global_op.constant is not None:
                raise TesseraError.at_op(
                    op, f"c target: writes to the constant memref.global @{global_op.sym_name.data}")

    def print_load(self, op: memref.LoadOp) -> None:
        t = C_TYPES[scalar_key(op.res.type, op)]
        load = self.element(op.memref, op.indices, op)
        self.line(f"const {t} {self.declare_name(op.res)} = {load};")

    def print_store(self, op: memref.StoreOp) -> None:
        self.writable(op.memref, op)
        target = self.element(op.memref, op.indices, op, stored=True)
        self.line(f"{target} = {self.ref(op.value)};")

    def print_alloc(self, op: memref.AllocOp | memref.AllocaOp) -> None:
        """A buffer where the op is, so one inside a loop body is one per iteration (private
        to it in a parallel loop). memref.alloc lives until its memref.dealloc; a heap
        alloca is freed where its block ends."""
        key, shape = memref_layout(op.memref.type, op)
        t = C_TYPES[key]
        count = max(element_count(shape), 1)  # malloc(0) may be NULL; C has no empty arrays
        size = count * ELEMENT_SIZES[key]
        alignment = op.alignment.value.data if op.alignment is not None else 0
        if alignment & (alignment - 1) or alignment < 0:
            raise TesseraError.at_op(
                op, f"c target: alignment {alignment} is not a power of two")
        on_stack = isinstance(op, memref.AllocaOp) and size <= MAX_STACK_BYTES
        name = self.declare_name(op.memref)
        if on_stack:
            self.stack_arrays.add(name)
            aligned = (f" __attribute__((aligned({alignment})))"
                       if alignment > ELEMENT_SIZES[key] else "")
            self.line(f"{t} {name}[{count}]{aligned};")
            return
        if alignment >= _MIN_ALIGNED_ALLOC:
            # aligned_alloc wants a size that is a multiple of the alignment.
            rounded = -(-size // alignment) * alignment
            self.module.uses_aligned_alloc = True
            self.line(f"{t} *const {name} = aligned_alloc({alignment}, (size_t){rounded});")
        else:
            self.line(f"{t} *const {name} = malloc((size_t){count} * sizeof({t}));")
        self.line(f"if ({name} == NULL) abort();")
        if isinstance(op, memref.AllocaOp):
            self.scopes[-1].frees.append(name)

    def print_dealloc(self, op: memref.DeallocOp) -> None:
        self.line(f"free({self.ref(op.memref)});")

    def print_copy(self, op: memref.CopyOp) -> None:
        self.writable(op.destination, op)
        key, shape = memref_layout(op.source.type, op)
        size = f"(size_t){element_count(shape)} * sizeof({C_TYPES[key]})"
        # memmove: copying a buffer onto itself is legal in MLIR, undefined for memcpy.
        self.line(f"memmove({self.ref(op.destination)}, {self.ref(op.source)}, {size});")

    # -- vectors ------------------------------------------------------------------------

    def print_vector_load(self, op: vector.LoadOp) -> None:
        key, lanes = vector_layout(op.result.type, op)
        t = self.vector_type(key, lanes)
        address = self.lanes_address(op.base, op.indices, lanes, op)
        name = self.declare_name(op.result)
        self.line(f"{t} {name};")
        self.line(f"memcpy(&{name}, {address}, sizeof({t}));")

    def print_vector_store(self, op: vector.StoreOp) -> None:
        self.writable(op.base, op)
        key, lanes = vector_layout(op.vector.type, op)
        t = self.vector_type(key, lanes)
        address = self.lanes_address(op.base, op.indices, lanes, op)
        self.line(f"memcpy({address}, &{self.ref(op.vector)}, sizeof({t}));")

    def print_vector_broadcast(self, op: vector.BroadcastOp) -> None:
        key, lanes = vector_layout(op.vector.type, op)
        t = self.vector_type(key, lanes)
        source_lanes = self.lanes(op.source, op)
        if source_lanes == lanes:
            value = self.ref(op.source)  # vector to the same vector: a copy
        elif source_lanes is None:
            value = "{" + ", ".join([self.ref(op.source)] * lanes) + "}"
        elif source_lanes == 1:
            value = "{" + ", ".join([f"{self.ref(op.source)}[0]"] * lanes) + "}"
        else:
            raise TesseraError.at_op(
                op, f"c target: cannot broadcast {op.source.type} to {op.vector.type}")
        self.line(f"const {t} {self.declare_name(op.vector)} = {value};")

    def print_vector_fma(self, op: vector.FMAOp) -> None:
        key, lanes = vector_layout(op.res.type, op)
        t = self.vector_type(key, lanes)
        a, b, c = self.ref(op.lhs), self.ref(op.rhs), self.ref(op.acc)
        self.line(f"const {t} {self.declare_name(op.res)} = {a} * {b} + {c};")

    def lane(self, op: vector.InsertOp | vector.ExtractOp, lanes: int) -> str | None:
        """The one lane a 1-D insert/extract names, as C; None for an empty position."""
        positions = op.get_mixed_position()
        if not positions:
            return None
        position = positions[0]
        if isinstance(position, int):
            if not 0 <= position < lanes:
                t = op.vector.type if isinstance(op, vector.ExtractOp) else op.dest.type
                raise TesseraError.at_op(op, f"c target: lane {position} is not in {t}")
            return str(position)
        # MLIR calls an out-of-range position poison; a masked index keeps C defined.
        return f"(uint64_t){self.ref(position)} & {lanes - 1}u"

    def print_vector_insert(self, op: vector.InsertOp) -> None:
        key, lanes = vector_layout(op.result.type, op)
        t = self.vector_type(key, lanes)
        position = self.lane(op, lanes)
        if position is None:  # the whole vector
            self.line(f"const {t} {self.declare_name(op.result)} = {self.ref(op.source)};")
            return
        if self.lanes(op.source, op) is not None:
            raise TesseraError.at_op(op, "c target: 'vector.insert' of a vector into a "
                                     "1-D vector")
        dest = self.ref(op.dest)
        name = self.declare_name(op.result)
        self.line(f"{t} {name} = {dest};")
        self.line(f"{name}[{position}] = {self.ref(op.source)};")

    def print_vector_extract(self, op: vector.ExtractOp) -> None:
        key, lanes = vector_layout(op.vector.type, op)
        position = self.lane(op, lanes)
        if position is None:
            t = self.vector_type(key, lanes)
            self.line(f"const {t} {self.declare_name(op.result)} = {self.ref(op.vector)};")
            return
        if isinstance(op.result.type, VectorType):
            raise TesseraError.at_op(op, "c target: 'vector.extract' of a vector from a "
                                     "1-D vector")
        t = C_TYPES[key]
        self.line(f"const {t} {self.declare_name(op.result)} = "
                  f"{self.ref(op.vector)}[{position}];")

    # -- control flow -------------------------------------------------------------------

    def print_for(self, op: scf.ForOp) -> None:
        iv, *carried = op.body.block.args
        parallel = "tessera.parallel" in op.attributes
        if parallel and op.iter_args:
            raise TesseraError.at_op(
                op, "c target: a {tessera.parallel} scf.for cannot carry values (iter_args): "
                "its iterations run concurrently")
        results = []
        for result, init in zip(op.res, op.iter_args):
            t = self.c_type(result, op)
            initial = self.ref(init)
            results.append(self.declare_name(result))
            self.line(f"{t} {results[-1]} = {initial};")
        t = C_TYPES[scalar_key(iv.type, op)]
        lb, ub, step = self.ref(op.lb), self.ref(op.ub), self.ref(op.step)
        # The induction variable and the block arguments live in the loop's own scope. The
        # counter is a signed C integer, like scf.for's signed comparison: an upper bound
        # within one step of the type's maximum would overflow it (static shapes never are).
        self.scopes.append(_Scope())
        name = self.declare_name(iv)
        self.read.add(name)  # read by the loop condition
        if parallel:
            # OpenMP's canonical loop form; what the body declares is private to it.
            self.line("#pragma omp parallel for")
        self.line(f"for ({t} {name} = {lb}; {name} < {ub}; {name} += {step}) {{")
        self.depth += 1
        # Block arguments are copies, so a yield that permutes them cannot clobber itself.
        for arg, result in zip(carried, results):
            self.read.add(result)
            arg_type = self.c_type(arg, op)
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
            t = self.c_type(result, op)
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
    vector.LoadOp: _FunctionPrinter.print_vector_load,
    vector.StoreOp: _FunctionPrinter.print_vector_store,
    vector.BroadcastOp: _FunctionPrinter.print_vector_broadcast,
    vector.FMAOp: _FunctionPrinter.print_vector_fma,
    vector.InsertOp: _FunctionPrinter.print_vector_insert,
    vector.ExtractOp: _FunctionPrinter.print_vector_extract,
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
