"""Matmul, convolution, pooling, softmax and reductions."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    BoolAttr,
    IntegerAttr,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure

from tessera.dialects.graph.base import (
    I64_ARRAY,
    GraphOp,
    ShapeError,
    same_element_type,
    broadcast_shapes,
    fmt_shape,
    i64_array,
    int_values,
    is_float,
    normalize_axes,
    shape_of,
    tensor,
    type_name,
)

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
        el = same_element_type("matmul", [lhs, rhs])
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
        el = same_element_type("conv2d", [input, weight])
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
