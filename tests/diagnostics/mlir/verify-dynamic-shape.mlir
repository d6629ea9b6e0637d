// EXPECT: verify-dynamic-shape.mlir:3:3: error: 'graph.relu' needs static shapes, got tensor<?xf32>
func.func @f(%a: tensor<?xf32>) -> tensor<?xf32> {
  %0 = graph.relu %a : tensor<?xf32> -> tensor<?xf32>
  func.return %0 : tensor<?xf32>
}
