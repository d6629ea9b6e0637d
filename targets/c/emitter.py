"""The C target: prints loop-level IR (func, scf, memref, vector, arith, math) as C99.

C is Tessera's portable CPU backend: the loops are already scheduled, so printing them as
plain C lets gcc do register allocation and vectorisation, and the result runs through
`build.py` (gcc → shared library) and `runner.py` (ctypes). The printer only prints: every
op maps to one statement or declaration, and anything it does not know is reported at the
op (`file:line:col: error: c target: cannot emit 'x.y'`). Types, names and the calling
convention are in `signatures.py`; literals and the inline helpers in `snippets.py`; the
C expression of each pure op in `expressions.py`.

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
  comparisons, select on a mask, casts, math functions) is a loop over the lanes whose
  body is the scalar expression above, so vector and scalar semantics cannot drift apart;
  float maximumf/minimumf (every ReLU) are one branch-free expression on masks instead,
  with the same NaN and signed-zero rules, since the branching scalar helper stops gcc
  from vectorizing a lane loop. Operands and results have the same lane count (a producer broadcasts
  scalars first); a select may also take a scalar `i1` that picks a whole vector.
- xDSL 0.74 types `arith.cmpf`/`arith.cmpi` on vectors (and a select's condition) as a
  scalar `i1`; the printer tells a mask from a scalar by where the value comes from (a
  comparison of vectors, ops on masks, loop-carried copies of them), not by its type.

An `scf.for` carrying the unit attribute `tessera.parallel` is an OpenMP worksharing loop
(`#pragma omp parallel for`; build.py adds `-fopenmp`). Every value is declared in the block
that defines it, so whatever the body declares is private to an iteration; a parallel loop
carrying values (iter_args) has no meaning and is an error. `memref.alloc` with an
`alignment` of 16 or more uses `aligned_alloc` (the size rounded up to the alignment); a
`memref.view` of an i8 buffer is a typed pointer at its byte offset (`memory-plan`'s arenas).

Names from the program never reach the C text unescaped: symbols become `tsr_<name>` with
everything outside [A-Za-z0-9_] escaped (and a suffix if two symbols collide), SSA values
become `v<N>` or `v<N>_<hint>`, and helpers are `tessera_*`, a prefix no symbol can get.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, ClassVar

from xdsl.context import Context
from xdsl.dialects import arith, func, memref, scf, vector
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
from tessera.targets.c.expressions import (
    _LANE,
    _NATIVE_VECTOR_OPS,
    _PURE_OPS,
    ExpressionPrinter,
)
from tessera.targets.c.signatures import (
    C_TYPES,
    ELEMENT_SIZES,
    INCLUDES,
    MAX_STACK_BYTES,
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
    int_literal,
    lane_literals,
    mask_type_name,
    mask_typedef,
    vector_extremumf,
    vector_type_name,
    vector_typedef,
)
from tessera.targets.c.vector_printer import VectorPrinter

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

    # How a function's head is spelt: its return type (after any linkage) and `restrict`.
    function_head: ClassVar[str] = "void"
    restrict: ClassVar[str] = "restrict"

    def prototype(self, signature: CSignature, param_names: list[str] | None = None) -> str:
        params = []
        for index, param in enumerate(signature.params):
            t = C_TYPES[param.element_type]
            if param.shape is not None:
                pointer = f"{t} *{self.restrict}"
                t = pointer if param.is_written else f"const {pointer}"
            params.append(f"{t} {param_names[index]}" if param_names else t)
        return f"{self.function_head} {signature.c_name}({', '.join(params) or 'void'})"

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


class _FunctionPrinter(ExpressionPrinter, VectorPrinter):
    """Prints one func.func: a `void` C function over its structured body."""

    # How each statement op prints (set below the class; a subclass may extend it).
    statements: ClassVar[dict[type[Operation], Callable[[_FunctionPrinter, Operation], None]]]

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
            statement = self.statements.get(type(op))
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

    def print_view(self, op: memref.ViewOp) -> None:
        """A typed pointer `byte_shift` bytes into an i8 buffer (the views of an arena that
        `memory-plan` builds). The arena is allocated storage, so by C's effective-type
        rules each byte takes the type of the view that last stored it, and a view reads
        only what it stored: reusing bytes under another type stays defined."""
        if op.sizes:
            raise TesseraError.at_op(op, "c target: memref.view with dynamic sizes is not "
                                     "supported")
        key, _ = memref_layout(op.result.type, op)
        t = C_TYPES[key]
        shift = self.constant_int(op.byte_shift)
        if shift is not None and shift % ELEMENT_SIZES[key]:
            raise TesseraError.at_op(op, f"c target: memref.view at byte {shift} is not "
                                     f"aligned for {key} elements")
        source = self.ref(op.source)
        self.line(f"{t} *const {self.declare_name(op.result)} = "
                  f"({t} *)({source} + {self.ref(op.byte_shift)});")

    def print_copy(self, op: memref.CopyOp) -> None:
        self.writable(op.destination, op)
        key, shape = memref_layout(op.source.type, op)
        size = f"(size_t){element_count(shape)} * sizeof({C_TYPES[key]})"
        # memmove: copying a buffer onto itself is legal in MLIR, undefined for memcpy.
        self.line(f"memmove({self.ref(op.destination)}, {self.ref(op.source)}, {size});")

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
    memref.ViewOp: _FunctionPrinter.print_view,
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


_FunctionPrinter.statements = _STATEMENTS


def emit_c(module: ModuleOp) -> str:
    """The C99 translation unit for `module`; a TesseraError at the first op C cannot express."""
    return _ModulePrinter(module).print()


@dataclass(frozen=True)
class CTarget(Target):
    """`tessera-opt -t c`: print the module as C99."""

    name: ClassVar[str] = "c"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        output.write(emit_c(module))
