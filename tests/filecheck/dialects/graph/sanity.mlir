// RUN: tessera-opt %s | filecheck %s

// CHECK-LABEL: func.func @f
// CHECK: %[[S:.*]] = graph.sum %{{.*}} {axes = array<i64: 1>, keepdims = true} : tensor<4x3xf32> -> tensor<4x1xf32>
func.func @f(%a: tensor<4x3xf32>) -> tensor<4x1xf32> {
  %s = graph.sum %a {axes = array<i64: 1>, keepdims = true} : tensor<4x3xf32> -> tensor<4x1xf32>
  func.return %s : tensor<4x1xf32>
}
