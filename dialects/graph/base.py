"""What every graph op shares: the shape-rule helpers and the `GraphOp` base, whose
`verify_` runs the op's rule."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from xdsl.dialects.builtin import (
    DenseArrayBase,
    Float32Type,
    Float64Type,
    IntegerType,
    TensorType,
    i64,
)
from xdsl.ir import Attribute
from xdsl.irdl import IRDLOperation
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


def same_element_type(op: str, types: Sequence[TensorType]) -> Attribute:
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
