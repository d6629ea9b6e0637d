// RUN: tessera-opt %s -p graph-to-linalg | filecheck %s

// graph.constant becomes arith.constant with the same dense value and tensor type. A
// constant that feeds no elementwise op (here: the function's result, a matmul, a reshape)
// is used as a tensor value, not inlined.

// CHECK-LABEL: func.func @returned() -> (tensor<2x2xf32>, tensor<i32>, tensor<3xf64>) {
// CHECK-NEXT: %[[A:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT: %[[B:.*]] = arith.constant dense<-7> : tensor<i32>
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<5.000000e-01> : tensor<3xf64>
// CHECK-NEXT: func.return %[[A]], %[[B]], %[[C]] : tensor<2x2xf32>, tensor<i32>, tensor<3xf64>
// CHECK-NOT: graph.
func.func @returned() -> (tensor<2x2xf32>, tensor<i32>, tensor<3xf64>) {
  %a = graph.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = graph.constant dense<-7> : tensor<i32>
  %c = graph.constant dense<0.5> : tensor<3xf64>
  func.return %a, %b, %c : tensor<2x2xf32>, tensor<i32>, tensor<3xf64>
}

// A splat constant is an operand of ops that are not elementwise.
// CHECK-LABEL: func.func @operand(
// CHECK-SAME: %[[X:.*]]: tensor<2x3xi8>) -> tensor<6xi8> {
// CHECK-NEXT: %[[W:.*]] = arith.constant dense<1> : tensor<3x2xi8>
// CHECK: linalg.matmul ins(%[[X]], %[[W]] : tensor<2x3xi8>, tensor<3x2xi8>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x2xi8>)
// CHECK: ins(%[[W]] : tensor<3x2xi8>) outs(%{{.*}} : tensor<6xi8>)
func.func @operand(%x: tensor<2x3xi8>) -> tensor<6xi8> {
  %w = graph.constant dense<1> : tensor<3x2xi8>
  %0 = graph.matmul %x, %w : (tensor<2x3xi8>, tensor<3x2xi8>) -> tensor<2x2xi8>
  %1 = graph.reshape %0 : tensor<2x2xi8> -> tensor<4xi8>
  %2 = graph.reshape %w : tensor<3x2xi8> -> tensor<6xi8>
  func.return %2 : tensor<6xi8>
}
