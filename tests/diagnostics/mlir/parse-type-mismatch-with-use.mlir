// EXPECT: parse-type-mismatch-with-use.mlir:4:19
// EXPECT-LAST: operand is used with type tensor<3xf32>, but has been previously used or defined with type tensor<4xf32>
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.relu %a : tensor<3xf32> -> tensor<3xf32>
  func.return %0 : tensor<4xf32>
}
