// RUN: tessera-opt %s -p linalg-to-loops | filecheck %s

// permutation = [2, 0, 1]: out[i, j, k] = in[j, k, i]; the loops run over the output.

// CHECK-LABEL: func.func @transpose(
// CHECK-SAME: %[[X:.*]]: memref<2x3x4xf32>, %[[OUT:.*]]: memref<4x2x3xf32> {tessera.out}) {
// CHECK-NEXT: %[[B0:.*]] = arith.constant 4 : index
// CHECK-NEXT: %[[B1:.*]] = arith.constant 2 : index
// CHECK-NEXT: %[[B2:.*]] = arith.constant 3 : index
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %[[B0]]
// CHECK-NEXT: scf.for %[[J:.*]] = %{{.*}} to %[[B1]]
// CHECK-NEXT: scf.for %[[K:.*]] = %{{.*}} to %[[B2]]
// CHECK-NEXT: %[[V:.*]] = memref.load %[[X]][%[[J]], %[[K]], %[[I]]] : memref<2x3x4xf32>
// CHECK-NEXT: memref.store %[[V]], %[[OUT]][%[[I]], %[[J]], %[[K]]] : memref<4x2x3xf32>
func.func @transpose(%x: memref<2x3x4xf32>, %out: memref<4x2x3xf32> {tessera.out}) {
  linalg.transpose ins(%x : memref<2x3x4xf32>) outs(%out : memref<4x2x3xf32>) permutation = [2, 0, 1]
  func.return
}
