// EXPECT: verify-return-type.mlir:4:3: error: 'func.return' Expected arguments to have the same types as the function output types: expected [tensor<3xf32>], got [tensor<4xf32>]
func.func @f(%a: tensor<4xf32>) -> tensor<3xf32> {
  %0 = graph.relu %a : tensor<4xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
