// RUN: tessera-opt %s -p graph-to-linalg | filecheck %s

// widen is a sign extension; requantize computes in f64 (exact for i32), rounds half to
// even and converts with a saturating fptosi.

// CHECK-LABEL: func.func @requantize(
// CHECK:      linalg.generic
// CHECK:      arith.extsi %{{.*}} : i8 to i32
// CHECK:      linalg.generic
// CHECK:      %[[F:.*]] = arith.sitofp %{{.*}} : i32 to f64
// CHECK-NEXT: %[[S:.*]] = arith.constant 2.500000e-01 : f64
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[F]], %[[S]] : f64
// CHECK-NEXT: %[[R:.*]] = math.roundeven %[[M]] : f64
// CHECK-NEXT: %[[Q:.*]] = arith.fptosi %[[R]] : f64 to i8
// CHECK-NEXT: linalg.yield %[[Q]] : i8
func.func @requantize(%a: tensor<8xi8>) -> tensor<8xi8> {
  %0 = graph.widen %a : tensor<8xi8> -> tensor<8xi32>
  %1 = graph.requantize %0 {scale = 0.25 : f64} : tensor<8xi32> -> tensor<8xi8>
  func.return %1 : tensor<8xi8>
}
