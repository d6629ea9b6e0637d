// EXPECT: parse-bad-element-type.mlir:3:27
// EXPECT-LAST: Expected shape type.
func.func @f(%a: tensor<4xq32>) -> tensor<4xf32> {
  func.return %a : tensor<4xf32>
}
