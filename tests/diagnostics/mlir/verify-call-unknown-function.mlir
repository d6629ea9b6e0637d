// EXPECT: verify-call-unknown-function.mlir:3:3: error: 'func.call' '@g' could not be found in symbol table
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @g(%a) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
