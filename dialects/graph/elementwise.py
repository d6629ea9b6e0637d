"""Constants and elementwise ops (NumPy broadcasting)."""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerType,
    TensorType,
    f64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from tessera.dialects.graph.base import (
    GraphOp,
    ShapeError,
    same_element_type,
    broadcast_shapes,
    is_float,
    shape_of,
    tensor,
    type_name,
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
        el = same_element_type(op, [lhs, rhs])
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


@irdl_op_definition
class StepOp(ElementwiseUnaryOp):
    """The unit step elementwise: 1 where x > 0, else 0 (NaN gives 0), in the input's type.

    relu's derivative, and the building block of comparison masks: x >= y is
    1 - step(y - x).
    """

    name = "graph.step"
    FLOATS_ONLY: ClassVar[bool] = False


# --------------------------------------------------------------------------------------
# Quantization: int8 tensors multiplied with int32 accumulation, then scaled back to int8
# --------------------------------------------------------------------------------------


@irdl_op_definition
class WidenOp(GraphOp):
    """An integer tensor as i32, value for value (sign extension): the accumulator type an
    i8 matmul or convolution computes in, `i32 = widen(a) @ widen(b)`."""

    name = "graph.widen"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue):
        super().__init__(operands=[input], result_types=[self.infer_type(input.type)])

    @staticmethod
    def infer_type(input: Attribute) -> TensorType:
        assert isinstance(input, TensorType)
        if is_float(input.element_type):
            raise ShapeError(f"widen: needs an integer tensor, got "
                             f"{type_name(input.element_type)}")
        return tensor(shape_of(input), IntegerType(32))

    def inferred_type(self) -> TensorType:
        return self.infer_type(self.input.type)


@irdl_op_definition
class RequantizeOp(GraphOp):
    """An integer tensor scaled back to i8: saturate(round_half_even(x · scale)), the way an
    int8 accelerator stores its i32 accumulators (`scale` > 0)."""

    name = "graph.requantize"
    input = operand_def(TensorType)
    scale = prop_def(FloatAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, input: SSAValue, scale: float):
        super().__init__(operands=[input], properties={"scale": FloatAttr(scale, f64)},
                         result_types=[self.infer_type(input.type, scale)])

    @staticmethod
    def infer_type(input: Attribute, scale: float = 1.0) -> TensorType:
        assert isinstance(input, TensorType)
        if is_float(input.element_type):
            raise ShapeError(f"requantize: needs an integer tensor, got "
                             f"{type_name(input.element_type)}")
        if not scale > 0:
            raise ShapeError(f"requantize: the scale must be positive, got {scale}")
        return tensor(shape_of(input), IntegerType(8))

    def inferred_type(self) -> TensorType:
        return self.infer_type(self.input.type, self.scale.value.data)
