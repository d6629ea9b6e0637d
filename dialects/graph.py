"""The `graph` dialect: Tessera's high-level tensor operations.

Every operation of the DSL has one op here. Values are builtin tensors (value semantics,
static shapes); each op carries the source location of the DSL expression that produced it
as its MLIR location (`loc("file.tsr":line:col)`), so that errors at any level point back at
the user's line.

Each op states its shape rule once, as a static `infer_type` method. The frontend calls it to
type the program it builds (turning `ShapeError`s into located diagnostics) and the op's
`verify_` calls it to check that the result type agrees, so a hand-written `.mlir` file is
held to the same rules as the DSL.

The NumPy reference semantics of every op live in `tessera.dialects.graph_interp`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    AffineMapAttr,
    ArrayAttr,
    BoolAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float32Type,
    Float64Type,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Block, Dialect, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    prop_def,
    region_def,
    result_def,
    lazy_traits_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import HasParent, IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException

ELEMENT_TYPES = ("f32", "f64", "i32", "i8")
I64_ARRAY = DenseArrayBase.constr(i64)


class ShapeError(Exception):
    """A shape or type rule of an op is violated; the message names the op and the shapes."""


# --------------------------------------------------------------------------------------
# Small helpers shared by the shape rules
# --------------------------------------------------------------------------------------


def fmt_shape(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def shape_of(t: Attribute) -> tuple[int, ...]:
    assert isinstance(t, TensorType)
    return tuple(t.get_shape())


def tensor(shape: Sequence[int], element_type: Attribute) -> TensorType:
    return TensorType(element_type, list(shape))


def is_float(element_type: Attribute) -> bool:
    return isinstance(element_type, Float32Type | Float64Type)


def type_name(element_type: Attribute) -> str:
    if isinstance(element_type, Float32Type):
        return "f32"
    if isinstance(element_type, Float64Type):
        return "f64"
    if isinstance(element_type, IntegerType):
        return f"i{element_type.width.data}"
    return str(element_type)


def _same_element_type(op: str, types: Sequence[TensorType]) -> Attribute:
    first = types[0].element_type
    for t in types[1:]:
        if t.element_type != first:
            raise ShapeError(
                f"{op}: operand element types differ "
                f"({type_name(first)} vs {type_name(t.element_type)})"
            )
    return first


def broadcast_shapes(op: str, a: Sequence[int], b: Sequence[int]) -> tuple[int, ...]:
    """NumPy broadcasting of two shapes, or a ShapeError naming the op."""
    out: list[int] = []
    for i in range(max(len(a), len(b))):
        da = a[len(a) - 1 - i] if i < len(a) else 1
        db = b[len(b) - 1 - i] if i < len(b) else 1
        if da != db and da != 1 and db != 1:
            raise ShapeError(
                f"{op}: shapes {fmt_shape(a)} and {fmt_shape(b)} do not broadcast "
                f"(dimension {da} vs {db})"
            )
        out.append(max(da, db) if 1 not in (da, db) else da * db)
    return tuple(reversed(out))


def normalize_axes(op: str, axes: Sequence[int], rank: int) -> tuple[int, ...]:
    out: list[int] = []
    for a in axes:
        if not -rank <= a < rank:
            raise ShapeError(f"{op}: axis {a} is out of range for a tensor of rank {rank}")
        a = a % rank if rank else 0
        if a in out:
            raise ShapeError(f"{op}: axis {a} is repeated")
        out.append(a)
    return tuple(sorted(out))


def pair(values: Sequence[int]) -> tuple[int, int]:
    return (values[0], values[1])


def i64_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


def int_values(attr: DenseArrayBase) -> tuple[int, ...]:
    return tuple(int(v) for v in attr.get_values())


class GraphOp(IRDLOperation, ABC):
    """Base of the graph ops: verification runs the op's shape rule."""

    @abstractmethod
    def inferred_type(self) -> TensorType:
        """The result type the op's shape rule gives for its operands and properties."""

    @classmethod
    def short_name(cls) -> str:
        """The op's name as the DSL spells it, used in shape-rule messages."""
        return cls.name.removeprefix("graph.")

    def verify_(self) -> None:
        for v in (*self.operands, *self.results):
            if isinstance(v.type, TensorType) and any(d < 0 for d in v.type.get_shape()):
                raise VerifyException(f"'{self.name}' needs static shapes, got {v.type}")
        try:
            expected = self.inferred_type()
        except ShapeError as e:
            # The rule's message starts with the DSL's name of the op; the prefix names it.
            message = str(e).removeprefix(f"{self.short_name()}: ")
            raise VerifyException(f"'{self.name}' {message}") from e
        actual = self.results[0].type
        if expected != actual:
            raise VerifyException(
                f"'{self.name}' result type {actual} differs from the inferred {expected}"
            )


# --------------------------------------------------------------------------------------
# Constants and elementwise ops
# --------------------------------------------------------------------------------------


@irdl_op_definition
class ConstantOp(IRDLOperation):
    """A constant tensor: `%c = graph.constant dense<2.0> : tensor<f32>`."""

    name = "graph.constant"
    value = prop_def(DenseIntOrFPElementsAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def __init__(self, value: DenseIntOrFPElementsAttr):
        super().__init__(properties={"value": value}, result_types=[value.type])

    @classmethod
    def scalar(cls, number: float | int, element_type: Attribute) -> ConstantOp:
        t = TensorType(element_type, [])
        if is_float(element_type):
            return cls(DenseIntOrFPElementsAttr.from_list(t, [float(number)]))
        return cls(DenseIntOrFPElementsAttr.from_list(t, [int(number)]))

    def verify_(self) -> None:
        if self.value.type != self.result.type:
            raise VerifyException(
                f"'graph.constant' value type {self.value.type} differs from the "
                f"result type {self.result.type}"
            )

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_attribute(self.value)

    @classmethod
    def parse(cls, parser: Parser) -> ConstantOp:
        value = parser.parse_attribute()
        if not isinstance(value, DenseIntOrFPElementsAttr):
            parser.raise_error("graph.constant expects a dense elements attribute")
        return cls(value)


class ElementwiseBinaryOp(GraphOp):
    """`lhs op rhs` with NumPy broadcasting; both operands of one element type."""

    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = (
        "$lhs `,` $rhs attr-dict `:` `(` type($lhs) `,` type($rhs) `)` `->` type($result)"
    )

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        t = self.infer_type(self.short_name(), lhs.type, rhs.type)
        super().__init__(operands=[lhs, rhs], result_types=[t])

    @staticmethod
    def infer_type(op: str, lhs: Attribute, rhs: Attribute) -> TensorType:
        assert isinstance(lhs, TensorType) and isinstance(rhs, TensorType)
        el = _same_element_type(op, [lhs, rhs])
        return tensor(broadcast_shapes(op, shape_of(lhs), shape_of(rhs)), el)

    def inferred_type(self) -> TensorType:
        return self.infer_type(self.short_name(), self.lhs.type, self.rhs.type)


@irdl_op_definition
class AddOp(ElementwiseBinaryOp):
    """Elementwise sum with broadcasting."""

    name = "graph.add"


@irdl_op_definition
class SubOp(ElementwiseBinaryOp):
    """Elementwise difference with broadcasting."""

    name = "graph.sub"


@irdl_op_definition
class MulOp(ElementwiseBinaryOp):
    """Elementwise product with broadcasting."""

    name = "graph.mul"


@irdl_op_definition
class DivOp(ElementwiseBinaryOp):
    """Elementwise quotient with broadcasting (integer division truncates toward zero)."""

    name = "graph.div"


@irdl_op_definition
class MaximumOp(ElementwiseBinaryOp):
    """Elementwise maximum with broadcasting."""

    name = "graph.maximum"


@irdl_op_definition
class MinimumOp(ElementwiseBinaryOp):
    """Elementwise minimum with broadcasting."""

    name = "graph.minimum"


class ElementwiseUnaryOp(GraphOp):
    """A unary function applied to every element; the result has the operand's type."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"
    FLOATS_ONLY: ClassVar[bool] = True

    def __init__(self, input: SSAValue):
        t = self.infer_type(self.short_name(), input.type)
        super().__init__(operands=[input], result_types=[t])

    @classmethod
    def infer_type(cls, op: str, input: Attribute) -> TensorType:
        assert isinstance(input, TensorType)
        if cls.FLOATS_ONLY and not is_float(input.element_type):
            raise ShapeError(
                f"{op}: needs a floating-point tensor, got {type_name(input.element_type)}"
            )
        return input

    def inferred_type(self) -> TensorType:
        return self.infer_type(self.short_name(), self.input.type)


@irdl_op_definition
class NegOp(ElementwiseUnaryOp):
    """Elementwise negation."""

    name = "graph.neg"
    FLOATS_ONLY: ClassVar[bool] = False


@irdl_op_definition
class ReluOp(ElementwiseUnaryOp):
    """max(x, 0) elementwise."""

    name = "graph.relu"
    FLOATS_ONLY: ClassVar[bool] = False


@irdl_op_definition
class SigmoidOp(ElementwiseUnaryOp):
    """1 / (1 + exp(-x)) elementwise."""

    name = "graph.sigmoid"


@irdl_op_definition
class TanhOp(ElementwiseUnaryOp):
    """Hyperbolic tangent elementwise."""

    name = "graph.tanh"


@irdl_op_definition
class ExpOp(ElementwiseUnaryOp):
    """Natural exponential elementwise."""

    name = "graph.exp"


@irdl_op_definition
class LogOp(ElementwiseUnaryOp):
    """Natural logarithm elementwise."""

    name = "graph.log"


@irdl_op_definition
class SqrtOp(ElementwiseUnaryOp):
    """Square root elementwise."""

    name = "graph.sqrt"


# --------------------------------------------------------------------------------------
# Contractions, convolution and pooling
# --------------------------------------------------------------------------------------


@irdl_op_definition
class MatmulOp(GraphOp):
    """Matrix product `[..., M, K] x [..., K, N] -> [..., M, N]`; batch dims broadcast."""

    name = "graph.matmul"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = (
        "$lhs `,` $rhs attr-dict `:` `(` type($lhs) `,` type($rhs) `)` `->` type($result)"
    )

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs], result_types=[self.infer_type(lhs.type, rhs.type)])

    @staticmethod
    def infer_type(lhs: Attribute, rhs: Attribute) -> TensorType:
        assert isinstance(lhs, TensorType) and isinstance(rhs, TensorType)
        el = _same_element_type("matmul", [lhs, rhs])
        a, b = shape_of(lhs), shape_of(rhs)
        if len(a) < 2 or len(b) < 2:
            raise ShapeError(
                f"matmul: operands must have rank >= 2, got {fmt_shape(a)} and {fmt_shape(b)}"
            )
        if a[-1] != b[-2]:
            raise ShapeError(
                f"matmul: inner dimensions differ ({a[-1]} vs {b[-2]}) "
                f"in {fmt_shape(a)} @ {fmt_shape(b)}"
            )
        try:
            batch = broadcast_shapes("matmul", a[:-2], b[:-2])
        except ShapeError:
            raise ShapeError(
                f"matmul: batch dimensions {fmt_shape(a[:-2])} and {fmt_shape(b[:-2])} do not "
                f"broadcast in {fmt_shape(a)} @ {fmt_shape(b)}"
            ) from None
        return tensor((*batch, a[-2], b[-1]), el)

    def inferred_type(self) -> TensorType:
        return self.infer_type(self.lhs.type, self.rhs.type)


def window_extent(op: str, size: int, kernel: int, stride: int, pad: int, dilation: int) -> int:
    """Output extent of a sliding window, PyTorch's formula (floor mode)."""
    span = dilation * (kernel - 1) + 1
    if size + 2 * pad < span:
        raise ShapeError(
            f"{op}: window of extent {span} does not fit the padded input extent {size + 2 * pad}"
        )
    return (size + 2 * pad - span) // stride + 1


def _check_positive(op: str, what: str, values: Sequence[int], allow_zero: bool = False):
    for v in values:
        if v < 0 or (v == 0 and not allow_zero):
            raise ShapeError(f"{op}: {what} must be {'>= 0' if allow_zero else '> 0'}, got {v}")


@irdl_op_definition
class Conv2dOp(GraphOp):
    """2-D convolution: input NCHW, weight OIHW (O output channels, I = C), no bias.

    `stride`, `padding` (zero padding on both sides) and `dilation` are (H, W) pairs.
    """

    name = "graph.conv2d"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    result = result_def(TensorType)
    stride = prop_def(I64_ARRAY)
    padding = prop_def(I64_ARRAY)
    dilation = prop_def(I64_ARRAY)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $weight attr-dict `:` `(` type($input) `,` type($weight) `)` "
        "`->` type($result)"
    )

    def __init__(self, input: SSAValue, weight: SSAValue, stride, padding, dilation):
        t = self.infer_type(input.type, weight.type, stride, padding, dilation)
        super().__init__(
            operands=[input, weight],
            result_types=[t],
            properties={
                "stride": i64_array(stride),
                "padding": i64_array(padding),
                "dilation": i64_array(dilation),
            },
        )

    @staticmethod
    def infer_type(input, weight, stride, padding, dilation) -> TensorType:
        el = _same_element_type("conv2d", [input, weight])
        x, w = shape_of(input), shape_of(weight)
        if len(x) != 4:
            raise ShapeError(f"conv2d: input must be NCHW (rank 4), got {fmt_shape(x)}")
        if len(w) != 4:
            raise ShapeError(f"conv2d: weight must be OIHW (rank 4), got {fmt_shape(w)}")
        for what, v in (("stride", stride), ("padding", padding), ("dilation", dilation)):
            if len(v) != 2:
                raise ShapeError(f"conv2d: {what} needs 2 values (H, W), got {len(v)}")
        _check_positive("conv2d", "stride", stride)
        _check_positive("conv2d", "dilation", dilation)
        _check_positive("conv2d", "padding", padding, allow_zero=True)
        if x[1] != w[1]:
            raise ShapeError(
                f"conv2d: input channels differ ({x[1]} in input {fmt_shape(x)} vs "
                f"{w[1]} in weight {fmt_shape(w)})"
            )
        h = window_extent("conv2d", x[2], w[2], stride[0], padding[0], dilation[0])
        wd = window_extent("conv2d", x[3], w[3], stride[1], padding[1], dilation[1])
        return tensor((x[0], w[0], h, wd), el)

    def inferred_type(self) -> TensorType:
        return self.infer_type(
            self.input.type,
            self.weight.type,
            int_values(self.stride),
            int_values(self.padding),
            int_values(self.dilation),
        )


class Pool2dOp(GraphOp):
    """2-D pooling over an NCHW tensor with a (H, W) `kernel`, `stride` and `padding`."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    kernel = prop_def(I64_ARRAY)
    stride = prop_def(I64_ARRAY)
    padding = prop_def(I64_ARRAY)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, kernel, stride, padding):
        t = self.infer_type(self.name, input.type, kernel, stride, padding)
        super().__init__(
            operands=[input],
            result_types=[t],
            properties={
                "kernel": i64_array(kernel),
                "stride": i64_array(stride),
                "padding": i64_array(padding),
            },
        )

    @staticmethod
    def infer_type(op: str, input, kernel, stride, padding) -> TensorType:
        short = op.removeprefix("graph.")
        x = shape_of(input)
        if len(x) != 4:
            raise ShapeError(f"{short}: input must be NCHW (rank 4), got {fmt_shape(x)}")
        for what, v in (("kernel", kernel), ("stride", stride), ("padding", padding)):
            if len(v) != 2:
                raise ShapeError(f"{short}: {what} needs 2 values (H, W), got {len(v)}")
        _check_positive(short, "kernel", kernel)
        _check_positive(short, "stride", stride)
        _check_positive(short, "padding", padding, allow_zero=True)
        for k, p in zip(kernel, padding):
            if 2 * p > k:
                raise ShapeError(f"{short}: padding {p} exceeds half the kernel size {k}")
        h = window_extent(short, x[2], kernel[0], stride[0], padding[0], 1)
        w = window_extent(short, x[3], kernel[1], stride[1], padding[1], 1)
        return tensor((x[0], x[1], h, w), input.element_type)

    def inferred_type(self) -> TensorType:
        return self.infer_type(
            self.name, self.input.type, int_values(self.kernel), int_values(self.stride), int_values(self.padding)
        )


@irdl_op_definition
class MaxPool2dOp(Pool2dOp):
    """Max pooling; padded positions never win (they count as -inf)."""

    name = "graph.maxpool2d"


@irdl_op_definition
class AvgPool2dOp(Pool2dOp):
    """Average pooling; padded zeros count in the divisor (PyTorch's count_include_pad)."""

    name = "graph.avgpool2d"


# --------------------------------------------------------------------------------------
# Softmax and reductions
# --------------------------------------------------------------------------------------


@irdl_op_definition
class SoftmaxOp(GraphOp):
    """exp(x - max(x)) / sum(exp(x - max(x))) along `axis`."""

    name = "graph.softmax"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    axis = prop_def(IntegerAttr)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, axis: int):
        t = self.infer_type(input.type, axis)
        axis = normalize_axes("softmax", [axis], len(shape_of(input.type)))[0]
        super().__init__(
            operands=[input], result_types=[t], properties={"axis": IntegerAttr(axis, i64)}
        )

    @staticmethod
    def infer_type(input, axis: int) -> TensorType:
        if not is_float(input.element_type):
            raise ShapeError(
                f"softmax: needs a floating-point tensor, got {type_name(input.element_type)}"
            )
        rank = len(shape_of(input))
        if rank == 0:
            raise ShapeError("softmax: needs a tensor of rank >= 1")
        normalize_axes("softmax", [axis], rank)
        return input

    def inferred_type(self) -> TensorType:
        return self.infer_type(self.input.type, self.axis.value.data)


class ReductionOp(GraphOp):
    """Reduces `axes` of the input; `keepdims` keeps them as extent-1 dimensions."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    axes = prop_def(I64_ARRAY)
    keepdims = prop_def(BoolAttr)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, axes: Sequence[int] | None, keepdims: bool):
        rank = len(shape_of(input.type))
        axes = list(range(rank)) if axes is None else axes
        t = self.infer_type(self.name, input.type, axes, keepdims)
        super().__init__(
            operands=[input],
            result_types=[t],
            properties={
                "axes": i64_array(normalize_axes(self.name, axes, rank)),
                "keepdims": BoolAttr.from_bool(keepdims),
            },
        )

    @staticmethod
    def infer_type(op: str, input, axes, keepdims: bool) -> TensorType:
        short = op.removeprefix("graph.")
        x = shape_of(input)
        norm = normalize_axes(short, axes, len(x))
        if short == "mean" and not is_float(input.element_type):
            raise ShapeError(
                f"mean: needs a floating-point tensor, got {type_name(input.element_type)}"
            )
        if keepdims:
            shape = tuple(1 if i in norm else d for i, d in enumerate(x))
        else:
            shape = tuple(d for i, d in enumerate(x) if i not in norm)
        return tensor(shape, input.element_type)

    @property
    def reduced_axes(self) -> tuple[int, ...]:
        return int_values(self.axes)

    def inferred_type(self) -> TensorType:
        return self.infer_type(
            self.name, self.input.type, self.reduced_axes, bool(self.keepdims.value.data)
        )


@irdl_op_definition
class SumOp(ReductionOp):
    """Sum over `axes`."""

    name = "graph.sum"


@irdl_op_definition
class MaxOp(ReductionOp):
    """Maximum over `axes`."""

    name = "graph.max"


@irdl_op_definition
class MeanOp(ReductionOp):
    """Arithmetic mean over `axes`."""

    name = "graph.mean"


# --------------------------------------------------------------------------------------
# Data movement
# --------------------------------------------------------------------------------------


@irdl_op_definition
class TransposeOp(GraphOp):
    """Permutes dimensions: result dim i is input dim perm[i]."""

    name = "graph.transpose"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    perm = prop_def(I64_ARRAY)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, perm: Sequence[int]):
        t = self.infer_type(input.type, perm)
        super().__init__(
            operands=[input], result_types=[t], properties={"perm": i64_array(perm)}
        )

    @staticmethod
    def infer_type(input, perm: Sequence[int]) -> TensorType:
        x = shape_of(input)
        if sorted(perm) != list(range(len(x))):
            raise ShapeError(
                f"transpose: perm {list(perm)} is not a permutation of the {len(x)} "
                f"dimensions of {fmt_shape(x)}"
            )
        return tensor(tuple(x[p] for p in perm), input.element_type)

    def inferred_type(self) -> TensorType:
        return self.infer_type(self.input.type, int_values(self.perm))


@irdl_op_definition
class ReshapeOp(GraphOp):
    """Reinterprets the elements (row-major order) with the result type's shape."""

    name = "graph.reshape"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, shape: Sequence[int]):
        t = self.infer_type(input.type, shape)
        super().__init__(operands=[input], result_types=[t])

    @staticmethod
    def infer_type(input, shape: Sequence[int]) -> TensorType:
        x = shape_of(input)
        if any(d < 0 for d in shape) or math.prod(shape) != math.prod(x):
            raise ShapeError(
                f"reshape: cannot reshape {fmt_shape(x)} ({math.prod(x)} elements) "
                f"to {fmt_shape(shape)}"
            )
        return tensor(shape, input.element_type)

    def inferred_type(self) -> TensorType:
        return self.infer_type(self.input.type, shape_of(self.result.type))


@irdl_op_definition
class BroadcastToOp(GraphOp):
    """Broadcasts the input to the result type's shape (NumPy rules)."""

    name = "graph.broadcast_to"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, shape: Sequence[int]):
        super().__init__(operands=[input], result_types=[self.infer_type(input.type, shape)])

    @staticmethod
    def infer_type(input, shape: Sequence[int]) -> TensorType:
        x = shape_of(input)
        ok = len(shape) >= len(x) and all(
            d == 1 or d == s for d, s in zip(reversed(x), reversed(shape))
        )
        if not ok:
            raise ShapeError(f"broadcast_to: cannot broadcast {fmt_shape(x)} to {fmt_shape(shape)}")
        return tensor(shape, input.element_type)

    def inferred_type(self) -> TensorType:
        return self.infer_type(self.input.type, shape_of(self.result.type))


@irdl_op_definition
class ConcatOp(GraphOp):
    """Joins tensors along `axis`; all other dimensions must agree."""

    name = "graph.concat"
    inputs = var_operand_def(TensorType)
    result = result_def(TensorType)
    axis = prop_def(IntegerAttr)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$inputs attr-dict `:` `(` type($inputs) `)` `->` type($result)"

    def __init__(self, inputs: Sequence[SSAValue], axis: int):
        t = self.infer_type([v.type for v in inputs], axis)
        axis = normalize_axes("concat", [axis], len(shape_of(inputs[0].type)))[0]
        super().__init__(
            operands=[inputs], result_types=[t], properties={"axis": IntegerAttr(axis, i64)}
        )

    @staticmethod
    def infer_type(inputs: Sequence[Attribute], axis: int) -> TensorType:
        if not inputs:
            raise ShapeError("concat: needs at least one tensor")
        el = _same_element_type("concat", inputs)
        shapes = [shape_of(t) for t in inputs]
        rank = len(shapes[0])
        if rank == 0:
            raise ShapeError("concat: cannot concatenate rank-0 tensors")
        (ax,) = normalize_axes("concat", [axis], rank)
        for s in shapes[1:]:
            if len(s) != rank or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0])) if i != ax):
                raise ShapeError(
                    f"concat: shapes {fmt_shape(shapes[0])} and {fmt_shape(s)} differ "
                    f"outside axis {ax}"
                )
        out = list(shapes[0])
        out[ax] = sum(s[ax] for s in shapes)
        return tensor(out, el)

    def inferred_type(self) -> TensorType:
        return self.infer_type([v.type for v in self.inputs], self.axis.value.data)


# --------------------------------------------------------------------------------------
# Index notation
# --------------------------------------------------------------------------------------

CONTRACT_KINDS = ("assign", "add", "mul", "max", "min")


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Terminates a `graph.contract` body with the scalar to combine into the output."""

    name = "graph.yield"
    value = operand_def()
    traits = lazy_traits_def(lambda: (IsTerminator(), Pure(), HasParent(ContractOp)))
    assembly_format = "$value attr-dict `:` type($value)"

    def __init__(self, value: SSAValue):
        super().__init__(operands=[value])


@irdl_op_definition
class ContractOp(GraphOp):
    """A Tensor-Comprehensions style comprehension, `c[i, j] +=! a[i, k] * b[k, j]`.

    The iteration space has the output's dimensions first (identity-mapped to the output),
    then the reduction dimensions; `indexing_maps` holds one map per input from the
    iteration space to that input's indices. The body receives one scalar per input and
    yields the value that `kind` combines into the output: `assign` (no reduction
    dimensions) or the reductions `add`, `mul`, `max`, `min`, each initialised with its
    identity. `dims` holds the extent of every iteration dimension.
    """

    name = "graph.contract"
    inputs = var_operand_def(TensorType)
    result = result_def(TensorType)
    indexing_maps = prop_def(ArrayAttr[AffineMapAttr])
    dims = prop_def(I64_ARRAY)
    kind = prop_def(StringAttr)
    body = region_def("single_block")
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$inputs attr-dict `:` `(` type($inputs) `)` `->` type($result) $body"
    )

    def __init__(
        self,
        inputs: Sequence[SSAValue],
        maps: Sequence[AffineMap],
        dims: Sequence[int],
        kind: str,
        result_type: TensorType,
        body: Region,
    ):
        super().__init__(
            operands=[inputs],
            result_types=[result_type],
            properties={
                "indexing_maps": ArrayAttr([AffineMapAttr(m) for m in maps]),
                "dims": i64_array(dims),
                "kind": StringAttr(kind),
            },
            regions=[body],
        )

    @property
    def extents(self) -> tuple[int, ...]:
        return int_values(self.dims)

    @property
    def maps(self) -> list[AffineMap]:
        return [m.data for m in self.indexing_maps]

    @property
    def output_rank(self) -> int:
        return len(shape_of(self.result.type))

    def inferred_type(self) -> TensorType:
        kind = self.kind.data
        if kind not in CONTRACT_KINDS:
            raise ShapeError(
                f"contract: unknown kind '{kind}' (expected one of {', '.join(CONTRACT_KINDS)})"
            )
        extents = self.extents
        out = shape_of(self.result.type)
        if len(extents) < len(out) or tuple(extents[: len(out)]) != out:
            raise ShapeError(
                f"contract: leading dims {list(extents)} do not match the output {fmt_shape(out)}"
            )
        if kind == "assign" and len(extents) != len(out):
            raise ShapeError("contract: 'assign' has no reduction dimensions")
        if len(self.maps) != len(self.inputs):
            raise ShapeError(
                f"contract: {len(self.maps)} indexing maps for {len(self.inputs)} inputs"
            )
        for i, (m, v) in enumerate(zip(self.maps, self.inputs)):
            s = shape_of(v.type)
            if m.num_dims != len(extents) or len(m.results) != len(s):
                raise ShapeError(
                    f"contract: indexing map {m} of input {i} does not fit "
                    f"{len(extents)} dims and shape {fmt_shape(s)}"
                )
            for r, size in zip(m.results, s):
                if not isinstance(r, AffineDimExpr):
                    raise ShapeError(
                        f"contract: indexing map {m} of input {i} must use plain dimensions, "
                        f"got {r}"
                    )
                if extents[r.position] != size:
                    raise ShapeError(
                        f"contract: input {i} of shape {fmt_shape(s)} disagrees with "
                        f"dims {list(extents)} through map {m}"
                    )
        used = {r.position for m in self.maps for r in m.results if isinstance(r, AffineDimExpr)}
        for d in range(len(out), len(extents)):
            if d not in used:
                raise ShapeError(
                    f"contract: reduction dimension d{d} is indexed by no input"
                )
        block = self.body.block
        if len(block.args) != len(self.inputs):
            raise ShapeError("contract: the body needs one scalar argument per input")
        for arg, v in zip(block.args, self.inputs):
            if arg.type != v.type.element_type:
                raise ShapeError(
                    f"contract: body argument type {arg.type} differs from "
                    f"the element type of {v.type}"
                )
        term = block.last_op
        if not isinstance(term, YieldOp) or term.value.type != self.result.type.element_type:
            raise ShapeError("contract: the body must yield one scalar of the result element type")
        return self.result.type


def contract_body(arg_types: Sequence[Attribute]) -> tuple[Region, Block]:
    block = Block(arg_types=list(arg_types))
    return Region(block), block


Graph = Dialect(
    "graph",
    [
        ConstantOp,
        AddOp,
        SubOp,
        MulOp,
        DivOp,
        MaximumOp,
        MinimumOp,
        NegOp,
        ReluOp,
        SigmoidOp,
        TanhOp,
        ExpOp,
        LogOp,
        SqrtOp,
        MatmulOp,
        Conv2dOp,
        MaxPool2dOp,
        AvgPool2dOp,
        SoftmaxOp,
        SumOp,
        MaxOp,
        MeanOp,
        TransposeOp,
        ReshapeOp,
        BroadcastToOp,
        ConcatOp,
        ContractOp,
        YieldOp,
    ],
    [],
)


def graph_ops() -> list[type[Operation]]:
    return list(Graph.operations)
