"""Index notation: `graph.contract` and its body terminator `graph.yield`."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    AffineMapAttr,
    ArrayAttr,
    StringAttr,
    TensorType,
)
from xdsl.ir import (
    Attribute,
    Block,
    Region,
    SSAValue,
)
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
from xdsl.traits import (
    HasParent,
    IsTerminator,
    Pure,
)

from tessera.dialects.graph.base import (
    I64_ARRAY,
    GraphOp,
    ShapeError,
    fmt_shape,
    i64_array,
    int_values,
    shape_of,
)

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
