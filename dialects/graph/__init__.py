"""The `graph` dialect: Tessera's high-level tensor operations.

Every operation of the DSL has one op here. Values are builtin tensors (value semantics,
static shapes); each op carries the source location of the DSL expression that produced it
as its MLIR location (`loc("file.tsr":line:col)`), so that errors at any level point back at
the user's line.

Each op states its shape rule once, as a static `infer_type` method. The frontend calls it to
type the program it builds (turning `ShapeError`s into located diagnostics) and the op's
`verify_` calls it to check that the result type agrees, so a hand-written `.mlir` file is
held to the same rules as the DSL.

The ops are grouped by kind: `elementwise`, `nn` (matmul, convolution, pooling, softmax,
reductions), `movement` and `contract` (index notation); `base` holds the shape-rule helpers
and the `GraphOp` base. The NumPy reference semantics of every op live in
`tessera.dialects.graph_interp`.
"""

from xdsl.ir import Dialect

from tessera.dialects.graph.base import (
    ELEMENT_TYPES,
    I64_ARRAY,
    GraphOp,
    ShapeError,
    broadcast_shapes,
    fmt_shape,
    i64_array,
    int_values,
    is_float,
    normalize_axes,
    same_element_type,
    shape_of,
    tensor,
    type_name,
)
from tessera.dialects.graph.contract import CONTRACT_KINDS, ContractOp, YieldOp, contract_body
from tessera.dialects.graph.elementwise import (
    AddOp,
    ConstantOp,
    DivOp,
    ElementwiseBinaryOp,
    ElementwiseUnaryOp,
    ExpOp,
    LogOp,
    MaximumOp,
    MinimumOp,
    MulOp,
    NegOp,
    ReluOp,
    RequantizeOp,
    SigmoidOp,
    SqrtOp,
    StepOp,
    SubOp,
    TanhOp,
    WidenOp,
)
from tessera.dialects.graph.movement import (
    BroadcastToOp,
    ConcatOp,
    PadOp,
    ReshapeOp,
    SliceOp,
    TransposeOp,
)
from tessera.dialects.graph.nn import (
    AvgPool2dOp,
    Conv2dOp,
    MatmulOp,
    MaxOp,
    MaxPool2dOp,
    MeanOp,
    Pool2dOp,
    ReductionOp,
    SoftmaxOp,
    SumOp,
    window_extent,
)

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
        StepOp,
        WidenOp,
        RequantizeOp,
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
        SliceOp,
        PadOp,
        ContractOp,
        YieldOp,
    ],
    [],
)

__all__ = [
    "Graph", "ELEMENT_TYPES", "I64_ARRAY", "GraphOp", "ShapeError", "broadcast_shapes",
    "fmt_shape", "i64_array", "int_values", "is_float", "normalize_axes", "same_element_type",
    "shape_of", "tensor", "type_name", "CONTRACT_KINDS", "ContractOp", "YieldOp",
    "contract_body", "AddOp", "ConstantOp", "DivOp", "ElementwiseBinaryOp",
    "ElementwiseUnaryOp", "ExpOp", "LogOp", "MaximumOp", "MinimumOp", "MulOp", "NegOp",
    "ReluOp", "RequantizeOp", "SigmoidOp", "SqrtOp", "StepOp", "SubOp", "TanhOp", "WidenOp",
    "BroadcastToOp", "ConcatOp", "PadOp", "SliceOp",
    "ReshapeOp", "TransposeOp", "AvgPool2dOp", "Conv2dOp", "MatmulOp", "MaxOp", "MaxPool2dOp",
    "MeanOp", "Pool2dOp", "ReductionOp", "SoftmaxOp", "SumOp", "window_extent",
]
