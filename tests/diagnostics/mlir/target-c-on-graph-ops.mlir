// RUN: tessera-opt %s -t c
// EXPECT: target-c-on-graph-ops.mlir:3:1: error: c target: @f returns values; only functions that return nothing can be emitted (results become {tessera.out} arguments)
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.relu %a : tensor<4xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
