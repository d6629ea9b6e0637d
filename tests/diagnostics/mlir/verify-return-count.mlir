// EXPECT: verify-return-count.mlir:3:3: error: 'func.return' Expected arguments to have the same types as the function output types: expected [tensor<4xf32>, tensor<4xf32>], got [tensor<4xf32>]
func.func @f(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  func.return %a : tensor<4xf32>
}
