// RUN: tessera-opt %s -p linalg-to-loops | filecheck %s

// fill: one store per element. matmul: (i, j, k) loops, the accumulator loaded, updated and
// stored in the innermost loop.

// CHECK-LABEL: func.func @matmul(
// CHECK-SAME: %[[A:.*]]: memref<2x3xf32>, %[[B:.*]]: memref<3x4xf32>, %[[OUT:.*]]: memref<2x4xf32> {tessera.out}) {
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[M:.*]] = arith.constant 2 : index
// CHECK-NEXT: %[[N:.*]] = arith.constant 4 : index
// CHECK-NEXT: %[[LB:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[STEP:.*]] = arith.constant 1 : index
// CHECK-NEXT: scf.for %[[I:.*]] = %[[LB]] to %[[M]] step %[[STEP]] {
// CHECK-NEXT:   scf.for %[[J:.*]] = %[[LB]] to %[[N]] step %[[STEP]] {
// CHECK-NEXT:     memref.store %[[ZERO]], %[[OUT]][%[[I]], %[[J]]] : memref<2x4xf32>
// CHECK-NEXT:   }
// CHECK-NEXT: }
// CHECK-NEXT: %[[M2:.*]] = arith.constant 2 : index
// CHECK-NEXT: %[[N2:.*]] = arith.constant 4 : index
// CHECK-NEXT: %[[K2:.*]] = arith.constant 3 : index
// CHECK-NEXT: %[[LB2:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[STEP2:.*]] = arith.constant 1 : index
// CHECK-NEXT: scf.for %[[I2:.*]] = %[[LB2]] to %[[M2]] step %[[STEP2]] {
// CHECK-NEXT:   scf.for %[[J2:.*]] = %[[LB2]] to %[[N2]] step %[[STEP2]] {
// CHECK-NEXT:     scf.for %[[K:.*]] = %[[LB2]] to %[[K2]] step %[[STEP2]] {
// CHECK-NEXT:       %[[X:.*]] = memref.load %[[A]][%[[I2]], %[[K]]] : memref<2x3xf32>
// CHECK-NEXT:       %[[Y:.*]] = memref.load %[[B]][%[[K]], %[[J2]]] : memref<3x4xf32>
// CHECK-NEXT:       %[[ACC:.*]] = memref.load %[[OUT]][%[[I2]], %[[J2]]] : memref<2x4xf32>
// CHECK-NEXT:       %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT:       %[[S:.*]] = arith.addf %[[P]], %[[ACC]] : f32
// CHECK-NEXT:       memref.store %[[S]], %[[OUT]][%[[I2]], %[[J2]]] : memref<2x4xf32>
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT: }
// CHECK-NEXT: func.return
// CHECK-NOT: linalg.
func.func @matmul(%a: memref<2x3xf32>, %b: memref<3x4xf32>, %out: memref<2x4xf32> {tessera.out}) {
  %zero = arith.constant 0.000000e+00 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<2x4xf32>)
  linalg.matmul ins(%a, %b : memref<2x3xf32>, memref<3x4xf32>) outs(%out : memref<2x4xf32>)
  func.return
}
