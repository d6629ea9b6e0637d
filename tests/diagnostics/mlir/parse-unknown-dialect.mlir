// EXPECT: parse-unknown-dialect.mlir:4:21
// EXPECT-LAST: Operation nodialect.op is not registered
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nodialect.op %a : (tensor<4xf32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
