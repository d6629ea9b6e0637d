"""Data movement: transpose, reshape, broadcast_to, concat, slice, pad."""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.dialects.builtin import (
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
    var_operand_def,
)
from xdsl.traits import Pure

from tessera.dialects.graph.base import (
    I64_ARRAY,
    GraphOp,
    ShapeError,
    same_element_type,
    fmt_shape,
    i64_array,
    int_values,
    normalize_axes,
    shape_of,
    tensor,
)

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
        el = same_element_type("concat", inputs)
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


def _per_dimension(op: str, x: Sequence[int], **arrays: Sequence[int]) -> None:
    """Every array of an op's properties has one value per dimension of the input `x`, each
    an int64 (what the properties hold)."""
    for what, values in arrays.items():
        if len(values) != len(x):
            raise ShapeError(
                f"{op}: {what} {list(values)} needs one value per dimension of "
                f"{fmt_shape(x)} ({len(x)}), got {len(values)}"
            )
        for v in values:
            if not -(1 << 63) <= v < (1 << 63):
                raise ShapeError(f"{op}: {what} value {v} is out of range for int64")


@irdl_op_definition
class SliceOp(GraphOp):
    """A strided window of the input: result[i0, i1, ...] =
    input[starts[0] + i0 * strides[0], starts[1] + i1 * strides[1], ...]; the result shape is
    `sizes`.

    Strides are non-zero and may be negative: stride -1 from start n - 1 reverses a
    dimension (how a convolution's weights are flipped for its input gradient). Every index
    the slice reads is in range, and sizes are positive like every shape of the dialect.
    """

    name = "graph.slice"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    starts = prop_def(I64_ARRAY)
    sizes = prop_def(I64_ARRAY)
    strides = prop_def(I64_ARRAY)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(
        self,
        input: SSAValue,
        starts: Sequence[int],
        sizes: Sequence[int],
        strides: Sequence[int] | None = None,
    ):
        strides = [1] * len(sizes) if strides is None else strides
        t = self.infer_type(input.type, starts, sizes, strides)
        super().__init__(
            operands=[input],
            result_types=[t],
            properties={
                "starts": i64_array(starts),
                "sizes": i64_array(sizes),
                "strides": i64_array(strides),
            },
        )

    @staticmethod
    def infer_type(
        input, starts: Sequence[int], sizes: Sequence[int], strides: Sequence[int]
    ) -> TensorType:
        x = shape_of(input)
        _per_dimension("slice", x, starts=starts, sizes=sizes, strides=strides)
        for d, (extent, start, size, stride) in enumerate(zip(x, starts, sizes, strides)):
            if stride == 0:
                raise ShapeError(f"slice: the stride of dimension {d} must be non-zero, got 0")
            if size <= 0:
                raise ShapeError(f"slice: the size of dimension {d} must be > 0, got {size}")
            last = start + (size - 1) * stride
            # The indices read are start, start + stride, ..., last: monotone, so checking
            # both ends checks them all.
            if not (0 <= start < extent and 0 <= last < extent):
                raise ShapeError(
                    f"slice: dimension {d} reads indices {start} to {last} (start {start}, "
                    f"size {size}, stride {stride}), out of range for extent {extent} of "
                    f"{fmt_shape(x)}"
                )
        return tensor(sizes, input.element_type)

    def inferred_type(self) -> TensorType:
        return self.infer_type(
            self.input.type, int_values(self.starts), int_values(self.sizes),
            int_values(self.strides),
        )


@irdl_op_definition
class PadOp(GraphOp):
    """Zero padding (XLA's pad without negative amounts): per dimension d, `low[d]` zeros
    before the elements, `high[d]` after, and `interior[d]` between consecutive elements.

    Result extent = low + high + size + (size - 1) * interior; the fill is the zero of the
    element type. It is the adjoint of a positive-stride slice, and dilates a gradient for
    strided convolutions.
    """

    name = "graph.pad"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    low = prop_def(I64_ARRAY)
    high = prop_def(I64_ARRAY)
    interior = prop_def(I64_ARRAY)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(
        self,
        input: SSAValue,
        low: Sequence[int],
        high: Sequence[int],
        interior: Sequence[int] | None = None,
    ):
        interior = [0] * len(low) if interior is None else interior
        t = self.infer_type(input.type, low, high, interior)
        super().__init__(
            operands=[input],
            result_types=[t],
            properties={
                "low": i64_array(low),
                "high": i64_array(high),
                "interior": i64_array(interior),
            },
        )

    @staticmethod
    def infer_type(
        input, low: Sequence[int], high: Sequence[int], interior: Sequence[int]
    ) -> TensorType:
        x = shape_of(input)
        _per_dimension("pad", x, low=low, high=high, interior=interior)
        for what, values in (("low", low), ("high", high), ("interior", interior)):
            for d, v in enumerate(values):
                if v < 0:
                    raise ShapeError(
                        f"pad: {what} padding of dimension {d} must be >= 0, got {v} "
                        f"(input {fmt_shape(x)})"
                    )
        out = [
            lo + hi + size + max(size - 1, 0) * inner
            for size, lo, hi, inner in zip(x, low, high, interior)
        ]
        return tensor(out, input.element_type)

    def inferred_type(self) -> TensorType:
        return self.infer_type(
            self.input.type, int_values(self.low), int_values(self.high),
            int_values(self.interior),
        )
