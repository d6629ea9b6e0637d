// EXPECT: parse-unknown-op.mlir:4:25
// EXPECT-LAST: Operation graph.frobnicate is not registered
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.frobnicate %a : tensor<4xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
