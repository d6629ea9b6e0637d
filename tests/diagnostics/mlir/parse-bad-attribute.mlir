// EXPECT: parse-bad-attribute.mlir:4:49
// EXPECT-LAST: Expected integer literal
func.func @f(%a: tensor<4x3xf32>) -> tensor<3x4xf32> {
  %0 = graph.transpose %a {perm = array<i64: 1, x>} : tensor<4x3xf32> -> tensor<3x4xf32>
  func.return %0 : tensor<3x4xf32>
}
