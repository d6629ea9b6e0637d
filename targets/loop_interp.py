"""Run loop-level IR (func/scf/arith/math/memref/affine) on NumPy arrays with xDSL's interpreter.

`run_loops(module, "f", [a, b])` calls `@f` on the arrays, allocating its `{tessera.out}`
output buffers from the signature, and returns them as arrays. It is how loop-level IR is
checked against the NumPy reference (on small shapes: the interpreter runs ~100k ops/s).

xDSL's interpreter lacks a number of scalar ops (`arith.divf`, casts, `math.tanh`, ...) and
`memref.copy`; they are implemented here. Loads and stores are bounds-checked.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.dialects import arith, builtin, func
from xdsl.dialects import math as mathd
from xdsl.dialects import memref
from xdsl.dialects.builtin import (
    AnyFloat,
    IndexType,
    IntegerType,
    MemRefType,
    ModuleOp,
    Signedness,
)
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    impl,
    register_impls,
)
from xdsl.interpreters.affine import AffineFunctions
from xdsl.interpreters.arith import ArithFunctions
from xdsl.interpreters.builtin import BuiltinFunctions
from xdsl.interpreters.func import FuncFunctions
from xdsl.interpreters.math import MathFunctions
from xdsl.interpreters.memref import MemRefFunctions
from xdsl.interpreters.scf import ScfFunctions
from xdsl.interpreters.shaped_array import ShapedArray
from xdsl.interpreters.utils.ptr import RawPtr, TypedPtr
from xdsl.ir import Attribute, Operation
from xdsl.traits import SymbolTable
from xdsl.utils.exceptions import InterpretationError

from tessera.compiler.diagnostics import SourceLoc, TesseraError
from tessera.lowering.bufferize import is_out_param

# -- NumPy <-> interpreter values -------------------------------------------------------------


def numpy_dtype(element_type: Attribute) -> np.dtype:
    """The NumPy dtype whose bytes match the interpreter's packing of `element_type`."""
    if isinstance(element_type, IndexType):
        return np.dtype("<i8")
    if isinstance(element_type, IntegerType):
        size = (element_type.width.data + 7) // 8
        unsigned = element_type.signedness.data == Signedness.UNSIGNED
        return np.dtype(f"<{'u' if unsigned else 'i'}{size}")
    if isinstance(element_type, builtin.Float16Type):
        return np.dtype("<f2")
    if isinstance(element_type, builtin.Float32Type):
        return np.dtype("<f4")
    if isinstance(element_type, builtin.Float64Type):
        return np.dtype("<f8")
    raise TesseraError(f"loops target: no NumPy dtype for {element_type}")


def to_shaped_array(array: np.ndarray, memref_type: MemRefType) -> ShapedArray[Any]:
    shape = list(memref_type.get_shape())
    if list(array.shape) != shape:
        raise ValueError(f"expected an array of shape {tuple(shape)}, got {array.shape}")
    element = memref_type.get_element_type()
    data = np.ascontiguousarray(array, dtype=numpy_dtype(element))
    return ShapedArray(TypedPtr(RawPtr(bytearray(data.tobytes())), xtype=element), shape)


def from_shaped_array(value: ShapedArray[Any], element_type: Attribute) -> np.ndarray:
    dtype = numpy_dtype(element_type)
    raw = value.data_ptr.raw
    count = math.prod(value.shape)
    flat = np.frombuffer(bytes(raw.memory), dtype=dtype, count=count, offset=raw.offset)
    result = flat.reshape(value.shape).copy()
    if isinstance(element_type, IntegerType) and element_type.width.data == 1:
        return result.astype(bool)
    return result


def _scalar(value: Any, typ: Attribute) -> Any:
    if isinstance(typ, AnyFloat):
        return float(value)
    if isinstance(typ, IntegerType | IndexType):
        return int(value)
    raise TesseraError(f"loops target: cannot pass a scalar of type {typ}")


# -- what xDSL's interpreter lacks ----------------------------------------------------------


def _f32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def _round_to(typ: Attribute, value: float) -> float:
    if isinstance(typ, builtin.Float32Type):
        try:
            return _f32(value)
        except OverflowError:
            return math.copysign(math.inf, value)
    return value


def _bits(interpreter: Interpreter, typ: Attribute) -> int:
    if isinstance(typ, IndexType):
        return interpreter.index_bitwidth
    assert isinstance(typ, IntegerType)
    return typ.width.data


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _unsigned(value: int, bits: int) -> int:
    return value & ((1 << bits) - 1)


def _div_float(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _unary(fn):
    def run(self, interpreter: Interpreter, op, args: PythonValues) -> PythonValues:
        return (_round_to(op.result.type, fn(args[0])),)

    return run


def _safe(fn):
    def wrapped(x: float) -> float:
        try:
            return fn(x)
        except (ValueError, OverflowError, ZeroDivisionError):
            return math.nan
    return wrapped


@register_impls
class ExtraFunctions(InterpreterFunctions):
    """Scalar arith/math ops and `memref.copy`, missing from xDSL's interpreter."""

    @impl(arith.DivfOp)
    def run_divf(self, interpreter: Interpreter, op: arith.DivfOp, args: PythonValues):
        return (_round_to(op.result.type, _div_float(args[0], args[1])),)

    @impl(arith.NegfOp)
    def run_negf(self, interpreter: Interpreter, op: arith.NegfOp, args: PythonValues):
        return (-args[0],)

    @impl(arith.MaxnumfOp)
    def run_maxnumf(self, interpreter: Interpreter, op: arith.MaxnumfOp, args: PythonValues):
        a, b = args
        return (b if math.isnan(a) else a if math.isnan(b) else max(a, b),)

    @impl(arith.MinnumfOp)
    def run_minnumf(self, interpreter: Interpreter, op: arith.MinnumfOp, args: PythonValues):
        a, b = args
        return (b if math.isnan(a) else a if math.isnan(b) else min(a, b),)

    @impl(arith.MaxSIOp)
    def run_maxsi(self, interpreter: Interpreter, op: arith.MaxSIOp, args: PythonValues):
        bits = _bits(interpreter, op.result.type)
        return (max(_signed(args[0], bits), _signed(args[1], bits)),)

    @impl(arith.MinSIOp)
    def run_minsi(self, interpreter: Interpreter, op: arith.MinSIOp, args: PythonValues):
        bits = _bits(interpreter, op.result.type)
        return (min(_signed(args[0], bits), _signed(args[1], bits)),)

    @impl(arith.MaxUIOp)
    def run_maxui(self, interpreter: Interpreter, op: arith.MaxUIOp, args: PythonValues):
        bits = _bits(interpreter, op.result.type)
        a, b = _unsigned(args[0], bits), _unsigned(args[1], bits)
        return (_signed(max(a, b), bits),)

    @impl(arith.MinUIOp)
    def run_minui(self, interpreter: Interpreter, op: arith.MinUIOp, args: PythonValues):
        bits = _bits(interpreter, op.result.type)
        a, b = _unsigned(args[0], bits), _unsigned(args[1], bits)
        return (_signed(min(a, b), bits),)

    @impl(arith.DivUIOp)
    def run_divui(self, interpreter: Interpreter, op: arith.DivUIOp, args: PythonValues):
        bits = _bits(interpreter, op.result.type)
        return (_signed(_unsigned(args[0], bits) // _unsigned(args[1], bits), bits),)

    @impl(arith.RemUIOp)
    def run_remui(self, interpreter: Interpreter, op: arith.RemUIOp, args: PythonValues):
        bits = _bits(interpreter, op.result.type)
        return (_signed(_unsigned(args[0], bits) % _unsigned(args[1], bits), bits),)

    @impl(arith.CeilDivSIOp)
    def run_ceildivsi(
        self, interpreter: Interpreter, op: arith.CeilDivSIOp, args: PythonValues
    ):
        bits = _bits(interpreter, op.result.type)
        a, b = _signed(args[0], bits), _signed(args[1], bits)
        return (_signed(-((-a) // b), bits),)

    @impl(arith.ShRUIOp)
    def run_shrui(self, interpreter: Interpreter, op: arith.ShRUIOp, args: PythonValues):
        bits = _bits(interpreter, op.result.type)
        return (_signed(_unsigned(args[0], bits) >> args[1], bits),)

    @impl(arith.SIToFPOp)
    def run_sitofp(self, interpreter: Interpreter, op: arith.SIToFPOp, args: PythonValues):
        bits = _bits(interpreter, op.input.type)
        return (_round_to(op.result.type, float(_signed(args[0], bits))),)

    @impl(arith.UIToFPOp)
    def run_uitofp(self, interpreter: Interpreter, op: arith.UIToFPOp, args: PythonValues):
        bits = _bits(interpreter, op.input.type)
        return (_round_to(op.result.type, float(_unsigned(args[0], bits))),)

    @impl(arith.FPToSIOp)
    def run_fptosi(self, interpreter: Interpreter, op: arith.FPToSIOp, args: PythonValues):
        # Saturating, as the C target's (like llvm.fptosi.sat) and requantize's reference.
        bits = _bits(interpreter, op.result.type)
        value = float(args[0])
        if value != value:
            return (0,)
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        return (int(min(max(value, low), high)),)

    @impl(arith.FPToUIOp)
    def run_fptoui(self, interpreter: Interpreter, op: arith.FPToUIOp, args: PythonValues):
        bits = _bits(interpreter, op.result.type)
        return (_signed(int(args[0]), bits),)

    @impl(arith.ExtFOp)
    def run_extf(self, interpreter: Interpreter, op: arith.ExtFOp, args: PythonValues):
        return (args[0],)

    @impl(arith.TruncFOp)
    def run_truncf(self, interpreter: Interpreter, op: arith.TruncFOp, args: PythonValues):
        return (_round_to(op.result.type, args[0]),)

    @impl(arith.ExtSIOp)
    def run_extsi(self, interpreter: Interpreter, op: arith.ExtSIOp, args: PythonValues):
        return (_signed(args[0], _bits(interpreter, op.input.type)),)

    @impl(arith.ExtUIOp)
    def run_extui(self, interpreter: Interpreter, op: arith.ExtUIOp, args: PythonValues):
        return (_unsigned(args[0], _bits(interpreter, op.input.type)),)

    @impl(arith.TruncIOp)
    def run_trunci(self, interpreter: Interpreter, op: arith.TruncIOp, args: PythonValues):
        return (_signed(args[0], _bits(interpreter, op.result.type)),)

    @impl(memref.CopyOp)
    def run_copy(self, interpreter: Interpreter, op: memref.CopyOp, args: PythonValues):
        source, destination = args
        assert isinstance(source, ShapedArray) and isinstance(destination, ShapedArray)
        count = math.prod(source.shape) * source.data_ptr.size
        src, dst = source.data_ptr.raw, destination.data_ptr.raw
        dst.memory[dst.offset : dst.offset + count] = src.memory[src.offset : src.offset + count]
        return ()

    run_tanh = impl(mathd.TanhOp)(_unary(math.tanh))
    run_absf = impl(mathd.AbsFOp)(_unary(abs))
    run_rsqrt = impl(mathd.RsqrtOp)(
        _unary(_safe(lambda x: math.inf if x == 0 else 1.0 / math.sqrt(x)))
    )
    run_erf = impl(mathd.ErfOp)(_unary(math.erf))
    run_sin = impl(mathd.SinOp)(_unary(_safe(math.sin)))
    run_cos = impl(mathd.CosOp)(_unary(_safe(math.cos)))
    run_tan = impl(mathd.TanOp)(_unary(_safe(math.tan)))
    run_atan = impl(mathd.AtanOp)(_unary(math.atan))
    run_sinh = impl(mathd.SinhOp)(_unary(_safe(math.sinh)))
    run_cosh = impl(mathd.CoshOp)(_unary(_safe(math.cosh)))
    run_floor = impl(mathd.FloorOp)(_unary(lambda x: float(math.floor(x)) if math.isfinite(x) else x))
    run_ceil = impl(mathd.CeilOp)(_unary(lambda x: float(math.ceil(x)) if math.isfinite(x) else x))
    run_trunc = impl(mathd.TruncOp)(_unary(lambda x: float(math.trunc(x)) if math.isfinite(x) else x))
    run_round_even = impl(mathd.RoundEvenOp)(
        _unary(lambda x: float(round(x)) if math.isfinite(x) else x)
    )
    run_exp2 = impl(mathd.Exp2Op)(_unary(_safe(lambda x: 2.0**x)))
    run_expm1 = impl(mathd.ExpM1Op)(_unary(_safe(math.expm1)))
    run_log2 = impl(mathd.Log2Op)(_unary(_safe(math.log2)))
    run_log10 = impl(mathd.Log10Op)(_unary(_safe(math.log10)))
    run_log1p = impl(mathd.Log1pOp)(_unary(_safe(math.log1p)))

    @impl(mathd.PowFOp)
    def run_powf(self, interpreter: Interpreter, op: mathd.PowFOp, args: PythonValues):
        try:
            value = math.pow(args[0], args[1])
        except (ValueError, OverflowError, ZeroDivisionError):
            value = math.nan
        return (_round_to(op.result.type, value),)

    @impl(mathd.FmaOp)
    def run_fma(self, interpreter: Interpreter, op: mathd.FmaOp, args: PythonValues):
        return (_round_to(op.result.type, args[0] * args[1] + args[2]),)

    @impl(mathd.AbsIOp)
    def run_absi(self, interpreter: Interpreter, op: mathd.AbsIOp, args: PythonValues):
        bits = _bits(interpreter, op.result.type)
        return (_signed(abs(_signed(args[0], bits)), bits),)


def _check_in_bounds(op: Operation, shaped: ShapedArray[Any], indices: Sequence[int]) -> None:
    if len(indices) != len(shaped.shape) or not all(
        0 <= i < n for i, n in zip(indices, shaped.shape)
    ):
        where = SourceLoc.of(op)
        at = f" at {where.filename}:{where.line}:{where.column}" if where else ""
        raise InterpretationError(
            f"{op.name}{at}: index {list(indices)} out of bounds for shape {shaped.shape}"
        )


@register_impls
class CheckedMemRefFunctions(InterpreterFunctions):
    """`memref.load`/`memref.store` that fail on an index out of bounds (xDSL's wrap a
    negative index around, Python-style, hiding the bug)."""

    @impl(memref.LoadOp)
    def run_load(self, interpreter: Interpreter, op: memref.LoadOp, args: PythonValues):
        shaped, *indices = args
        _check_in_bounds(op, shaped, indices)
        return (shaped.load(tuple(indices)),)

    @impl(memref.StoreOp)
    def run_store(self, interpreter: Interpreter, op: memref.StoreOp, args: PythonValues):
        value, shaped, *indices = args
        _check_in_bounds(op, shaped, indices)
        shaped.store(tuple(indices), value)
        return ()


def make_interpreter(module: ModuleOp) -> Interpreter:
    """An interpreter for `module` that knows every op loop-level IR uses."""
    interpreter = Interpreter(module)
    for functions in (
        FuncFunctions(),
        ScfFunctions(),
        ArithFunctions(),
        MathFunctions(),
        MemRefFunctions(),
        AffineFunctions(),
        BuiltinFunctions(),
    ):
        interpreter.register_implementations(functions)
    interpreter.register_implementations(ExtraFunctions())
    interpreter.register_implementations(CheckedMemRefFunctions(), override=True)
    return interpreter


def run_loops(
    module: ModuleOp, func_name: str, inputs: Sequence[np.ndarray | float | int]
) -> list[np.ndarray]:
    """Call `@func_name` of loop-level `module` on `inputs` and return its results.

    `inputs` are the function's arguments other than its `{tessera.out}` output buffers, in
    order: arrays for memrefs, Python numbers for scalars. The output buffers are allocated
    (zeroed) from the signature. Returns the output buffers, in order, followed by any
    scalar results, all as NumPy arrays.
    """
    fn = SymbolTable.lookup_symbol(module, func_name)
    if not isinstance(fn, func.FuncOp):
        raise ValueError(f"no function @{func_name} in the module")
    arg_types = fn.function_type.inputs.data
    out_indices = [i for i in range(len(arg_types)) if is_out_param(fn, i)]
    in_indices = [i for i in range(len(arg_types)) if i not in out_indices]
    if len(inputs) != len(in_indices):
        raise ValueError(
            f"@{func_name} takes {len(in_indices)} input(s), {len(inputs)} given"
        )
    args: list[Any] = [None] * len(arg_types)
    for index, value in zip(in_indices, inputs, strict=True):
        typ = arg_types[index]
        if isinstance(typ, MemRefType):
            args[index] = to_shaped_array(np.asarray(value), typ)
        else:
            args[index] = _scalar(value, typ)
    for index in out_indices:
        typ = arg_types[index]
        assert isinstance(typ, MemRefType)
        dtype = numpy_dtype(typ.get_element_type())
        args[index] = to_shaped_array(np.zeros(typ.get_shape(), dtype=dtype), typ)

    results = make_interpreter(module).call_op(fn, tuple(args))

    outputs = [
        from_shaped_array(args[i], arg_types[i].get_element_type()) for i in out_indices
    ]
    for value, typ in zip(results, fn.function_type.outputs.data, strict=True):
        if isinstance(typ, MemRefType):
            outputs.append(from_shaped_array(value, typ.get_element_type()))
        else:
            outputs.append(np.asarray(value, dtype=numpy_dtype(typ)))
    return outputs
