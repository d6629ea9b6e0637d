// RUN: tessera-opt %s | filecheck %s
// RUN: tessera-opt %s | tessera-opt | filecheck %s
// RUN: tessera-opt %s --print-op-generic | tessera-opt | filecheck %s

// graph.softmax and the reductions sum, max and mean. Negative axes count from the end and
// print as written.

// CHECK-LABEL: func.func @softmax(%x: tensor<2x3x5xf32>, %y: tensor<7xf64>) -> tensor<2x3x5xf32> {
// CHECK-NEXT:    %0 = graph.softmax %x {axis = 2 : i64} : tensor<2x3x5xf32> -> tensor<2x3x5xf32>
// CHECK-NEXT:    %1 = graph.softmax %x {axis = -3 : i64} : tensor<2x3x5xf32> -> tensor<2x3x5xf32>
// CHECK-NEXT:    %2 = graph.softmax %y {axis = 0 : i64} : tensor<7xf64> -> tensor<7xf64>
// CHECK-NEXT:    func.return %0 : tensor<2x3x5xf32>
func.func @softmax(%x: tensor<2x3x5xf32>, %y: tensor<7xf64>) -> tensor<2x3x5xf32> {
  %0 = graph.softmax %x {axis = 2 : i64} : tensor<2x3x5xf32> -> tensor<2x3x5xf32>
  %1 = graph.softmax %x {axis = -3 : i64} : tensor<2x3x5xf32> -> tensor<2x3x5xf32>
  %2 = graph.softmax %y {axis = 0 : i64} : tensor<7xf64> -> tensor<7xf64>
  func.return %0 : tensor<2x3x5xf32>
}

// CHECK-LABEL: func.func @reduce(%x: tensor<2x3x5xf32>, %i: tensor<4x6xi32>) -> tensor<3xf32> {
// CHECK-NEXT:    %0 = graph.sum %x {axes = array<i64: 0, 2>, keepdims = false} : tensor<2x3x5xf32> -> tensor<3xf32>
// CHECK-NEXT:    %1 = graph.sum %x {axes = array<i64: 0, 2>, keepdims = true} : tensor<2x3x5xf32> -> tensor<1x3x1xf32>
// CHECK-NEXT:    %2 = graph.max %x {axes = array<i64: -1>, keepdims = false} : tensor<2x3x5xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    %3 = graph.mean %x {axes = array<i64: 0, 1, 2>, keepdims = false} : tensor<2x3x5xf32> -> tensor<f32>
// CHECK-NEXT:    %4 = graph.mean %x {axes = array<i64: 1>, keepdims = true} : tensor<2x3x5xf32> -> tensor<2x1x5xf32>
// CHECK-NEXT:    %5 = graph.sum %i {axes = array<i64>, keepdims = false} : tensor<4x6xi32> -> tensor<4x6xi32>
// CHECK-NEXT:    %6 = graph.max %i {axes = array<i64: 1, 0>, keepdims = true} : tensor<4x6xi32> -> tensor<1x1xi32>
// CHECK-NEXT:    func.return %0 : tensor<3xf32>
func.func @reduce(%x: tensor<2x3x5xf32>, %i: tensor<4x6xi32>) -> tensor<3xf32> {
  %0 = graph.sum %x {axes = array<i64: 0, 2>, keepdims = false} : tensor<2x3x5xf32> -> tensor<3xf32>
  %1 = graph.sum %x {axes = array<i64: 0, 2>, keepdims = true} : tensor<2x3x5xf32> -> tensor<1x3x1xf32>
  %2 = graph.max %x {axes = array<i64: -1>, keepdims = false} : tensor<2x3x5xf32> -> tensor<2x3xf32>
  %3 = graph.mean %x {axes = array<i64: 0, 1, 2>, keepdims = false} : tensor<2x3x5xf32> -> tensor<f32>
  %4 = graph.mean %x {axes = array<i64: 1>, keepdims = true} : tensor<2x3x5xf32> -> tensor<2x1x5xf32>
  // No axes: the identity.
  %5 = graph.sum %i {axes = array<i64>, keepdims = false} : tensor<4x6xi32> -> tensor<4x6xi32>
  %6 = graph.max %i {axes = array<i64: 1, 0>, keepdims = true} : tensor<4x6xi32> -> tensor<1x1xi32>
  func.return %0 : tensor<3xf32>
}
