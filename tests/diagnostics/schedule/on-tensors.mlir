// RUN: tessera-opt %s -p 'lower-to-linalg,schedule{vector=4}'
// EXPECT: on-tensors.mlir:4:3: error: schedule: 'linalg.generic' works on tensors; run bufferize first
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.relu %a : tensor<4xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
