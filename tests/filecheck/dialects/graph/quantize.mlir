// RUN: tessera-opt %s | filecheck %s
// RUN: tessera-opt %s | tessera-opt | filecheck %s

// The quantization ops: widen (an integer tensor as i32) and requantize (an integer tensor
// scaled back to i8, rounded half to even and saturated).

// CHECK-LABEL: func.func @quantized_matmul
// CHECK-NEXT: %0 = graph.widen %a : tensor<4x3xi8> -> tensor<4x3xi32>
// CHECK-NEXT: %1 = graph.widen %b : tensor<3x2xi8> -> tensor<3x2xi32>
// CHECK-NEXT: %2 = graph.matmul %0, %1 : (tensor<4x3xi32>, tensor<3x2xi32>) -> tensor<4x2xi32>
// CHECK-NEXT: %3 = graph.requantize %2 {scale = 1.250000e-01 : f64} : tensor<4x2xi32> -> tensor<4x2xi8>
func.func @quantized_matmul(%a: tensor<4x3xi8>, %b: tensor<3x2xi8>) -> tensor<4x2xi8> {
  %0 = graph.widen %a : tensor<4x3xi8> -> tensor<4x3xi32>
  %1 = graph.widen %b : tensor<3x2xi8> -> tensor<3x2xi32>
  %2 = graph.matmul %0, %1 : (tensor<4x3xi32>, tensor<3x2xi32>) -> tensor<4x2xi32>
  %3 = graph.requantize %2 {scale = 0.125 : f64} : tensor<4x2xi32> -> tensor<4x2xi8>
  func.return %3 : tensor<4x2xi8>
}
