// EXPECT: verify-error-in-second-function.mlir:9:3: error: 'graph.sub' shapes [4, 3] and [5, 3] do not broadcast (dimension 4 vs 5)
func.func @ok(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.relu %a : tensor<4xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

func.func @bad(%a: tensor<4x3xf32>, %b: tensor<5x3xf32>) -> tensor<4x3xf32> {
  %0 = graph.relu %a : tensor<4x3xf32> -> tensor<4x3xf32>
  %1 = graph.sub %0, %b : (tensor<4x3xf32>, tensor<5x3xf32>) -> tensor<4x3xf32>
  func.return %1 : tensor<4x3xf32>
}
