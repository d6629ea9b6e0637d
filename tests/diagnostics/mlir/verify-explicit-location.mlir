// EXPECT: model.tsr:7:12: error: 'graph.matmul' inner dimensions differ (3 vs 4) in [4, 3] @ [4, 3]
func.func @f(%a: tensor<4x3xf32>, %b: tensor<3x4xf32>) -> tensor<4x3xf32> {
  %0 = graph.matmul %a, %a : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32> loc("model.tsr":7:12)
  func.return %0 : tensor<4x3xf32>
}
