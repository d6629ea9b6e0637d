// RUN: tessera-opt %s -p bufferize
// EXPECT: lower-bufferize-on-graph-ops.mlir:4:3: error: bufferize: cannot bufferize 'graph.relu' on tensors
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.relu %a : tensor<4xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
