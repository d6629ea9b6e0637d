// EXPECT: parse-bad-token.mlir:4:55
// EXPECT-LAST: Unexpected character: ~
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.relu %a : tensor<4xf32> -> tensor<4xf32> ~
  func.return %0 : tensor<4xf32>
}
