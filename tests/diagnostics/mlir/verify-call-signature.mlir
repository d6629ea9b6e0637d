// EXPECT: verify-call-signature.mlir:6:3: error: 'func.call' operand type mismatch: expected operand type tensor<4xf32>, but provided tensor<3xf32> for operand number 0
func.func @g(%a: tensor<4xf32>) -> tensor<4xf32> {
  func.return %a : tensor<4xf32>
}
func.func @f(%a: tensor<3xf32>) -> tensor<3xf32> {
  %0 = func.call @g(%a) : (tensor<3xf32>) -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}
