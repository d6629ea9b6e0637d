// RUN: tessera-opt %s -p lower-to-linalg -t transform
// EXPECT: target-transform-on-tensors.mlir:4:3: error: transform target: run lower-to-buffers first (schedules apply to linalg on memrefs)
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.relu %a : tensor<4xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
