// RUN: tessera-opt %s -p linalg-to-loops | filecheck %s

// xDSL's linalg.pooling_nchw_max takes the max of the input and the *window* operand; the
// right body is max(running output, input). It is rebuilt as a generic before lowering.

// CHECK-LABEL: func.func @pool(
// CHECK-SAME: %[[X:.*]]: memref<1x1x4x4xf32>, %[[WIN:.*]]: memref<2x2xf32>, %[[OUT:.*]]: memref<1x1x2x2xf32> {tessera.out}) {
// CHECK-NOT: memref.load %[[WIN]]
// CHECK: %[[IN:.*]] = memref.load %[[X]]
// CHECK-NEXT: %[[ACC:.*]] = memref.load %[[OUT]]
// CHECK-NEXT: %[[M:.*]] = arith.maximumf %[[ACC]], %[[IN]] : f32
// CHECK-NEXT: memref.store %[[M]], %[[OUT]]
// CHECK-NOT: linalg.
func.func @pool(%x: memref<1x1x4x4xf32>, %win: memref<2x2xf32>, %out: memref<1x1x2x2xf32> {tessera.out}) {
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %win : memref<1x1x4x4xf32>, memref<2x2xf32>) outs(%out : memref<1x1x2x2xf32>)
  func.return
}
