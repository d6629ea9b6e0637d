// EXPECT: parse-missing-closing-brace.mlir:6:1
// EXPECT-LAST: in block definition
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.relu %a : tensor<4xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
