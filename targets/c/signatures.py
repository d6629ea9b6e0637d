"""How MLIR types and symbols map to C: element types, names, the calling convention.

Read by the emitter (to print) and by the runner (to call what was printed), so both agree on
every function's parameters without parsing C.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from xdsl.dialects import func, memref, vector
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    Float32Type,
    Float64Type,
    IndexType,
    IntegerType,
    MemRefType,
    ModuleOp,
    NoneAttr,
    Signedness,
    VectorType,
)
from xdsl.ir import Attribute, Operation, SSAValue

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
BIT_WIDTHS = {"i1": 1, "i8": 8, "i16": 16, "i32": 32, "i64": 64, "index": 64}
UNSIGNED_TYPES = {"i1": "bool", "i8": "uint8_t", "i16": "uint16_t", "i32": "uint32_t",
                   "i64": "uint64_t", "index": "uint64_t"}
ELEMENT_SIZES = {"f32": 4, "f64": 8, "i1": 1, "i8": 1, "i16": 2, "i32": 4, "i64": 8, "index": 8}

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


def scalar_key(t: Attribute, op: Operation | None) -> str:
    key = type_key(t)
    if key is None:
        raise TesseraError.at_op(op, f"c target: unsupported type {t}")
    return key


def memref_layout(t: Attribute, op: Operation | None) -> tuple[str, tuple[int, ...]]:
    """(element type, static shape) of a row-major memref, or a located error."""
    if not isinstance(t, MemRefType):
        raise TesseraError.at_op(op, f"c target: expected a memref, got {t}")
    shape = tuple(t.get_shape())
    if any(dim == DYNAMIC_INDEX or dim < 0 for dim in shape):
        raise TesseraError.at_op(op, f"c target: {t} has a dynamic shape; only static shapes")
    if not isinstance(t.layout, NoneAttr):
        raise TesseraError.at_op(op, f"c target: {t} has a layout; only row-major memrefs")
    return scalar_key(t.get_element_type(), op), shape


def vector_layout(t: Attribute, op: Operation | None) -> tuple[str, int]:
    """(element type, lanes) of a fixed-size 1-D vector the C target can hold, or a located
    error. Lanes are a power of two: GCC's vector types are a power of two bytes wide."""
    if not isinstance(t, VectorType):
        raise TesseraError.at_op(op, f"c target: expected a vector, got {t}")
    shape = tuple(t.get_shape())
    lanes = shape[0] if len(shape) == 1 and not t.get_num_scalable_dims() else 0
    if lanes < 1 or lanes & (lanes - 1):
        raise TesseraError.at_op(
            op, f"c target: unsupported type {t}; only 1-D vectors of 2^k lanes")
    return scalar_key(t.get_element_type(), op), lanes


def element_key(t: Attribute, op: Operation | None) -> str:
    """The scalar type of `t`, or of its lanes when `t` is a vector."""
    if isinstance(t, VectorType):
        return vector_layout(t, op)[0]
    return scalar_key(t, op)


def element_count(shape: Iterable[int]) -> int:
    count = 1
    for dim in shape:
        count *= dim
    return count


def row_major_strides(shape: tuple[int, ...]) -> list[int]:
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


def _written_memref_args(funcs: dict[str, func.FuncOp],
                         reads_only: Callable[[Operation, int], bool] | None = None
                         ) -> dict[str, list[bool]]:
    """Which memref arguments each function may write, through calls included.

    A fixpoint over the call graph. Any use other than a (scalar or vector) load or a copy
    source counts as a write, so the answer errs towards "written" (that only costs a `const`);
    `reads_only(op, operand_index)`, when given, vouches for more uses (a target's own ops,
    such as a kernel launch whose kernel only reads that argument).
    """
    written = {
        name: [isinstance(t, MemRefType) and op.is_declaration
               for t in op.function_type.inputs.data]
        for name, op in funcs.items()
    }

    def writes(value: SSAValue) -> bool:
        for use in value.uses:
            user = use.operation
            if isinstance(user, (memref.LoadOp, vector.LoadOp)):
                continue
            if isinstance(user, memref.CopyOp) and use.index == 0:
                continue
            if reads_only is not None and reads_only(user, use.index):
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


def c_signatures(module: ModuleOp,
                 reads_only: Callable[[Operation, int], bool] | None = None
                 ) -> dict[str, CSignature]:
    """The C signature of every function in `module`, by symbol name.

    Raises a located TesseraError for a function C cannot express: one that returns values
    (bufferize first), or one with a dynamic or non-row-major memref argument.
    """
    funcs = {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}
    names = c_symbol_names(module)
    written = _written_memref_args(funcs, reads_only)
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
                element, shape = memref_layout(t, op)
                params.append(CParam(name, element, shape, _is_out(op, index),
                                     written[symbol][index]))
            else:
                if _is_out(op, index):
                    raise TesseraError.at_op(
                        op, f"c target: {{tessera.out}} on scalar argument {index} of @{symbol}")
                params.append(CParam(name, scalar_key(t, op), None, False, False))
        signatures[symbol] = CSignature(symbol, names[symbol], tuple(params), op.is_declaration)
    return signatures
