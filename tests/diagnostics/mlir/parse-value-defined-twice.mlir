// EXPECT: parse-value-defined-twice.mlir:5:3
// EXPECT-LAST: SSA value %0 is already defined
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.relu %a : tensor<4xf32> -> tensor<4xf32>
  %0 = graph.exp %a : tensor<4xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
