// RUN: tessera-opt %s -p linalg-to-loops | filecheck %s

// linalg.broadcast has no loop lowering in xDSL: it becomes a generic whose input map leaves
// out the added dimensions, then loops. dimensions = [0, 2]: out[i, j, k] = in[j].

// CHECK-LABEL: func.func @broadcast(
// CHECK-SAME: %[[X:.*]]: memref<3xf32>, %[[OUT:.*]]: memref<2x3x4xf32> {tessera.out}) {
// CHECK-NEXT: %[[B0:.*]] = arith.constant 2 : index
// CHECK-NEXT: %[[B1:.*]] = arith.constant 3 : index
// CHECK-NEXT: %[[B2:.*]] = arith.constant 4 : index
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %[[B0]]
// CHECK-NEXT: scf.for %[[J:.*]] = %{{.*}} to %[[B1]]
// CHECK-NEXT: scf.for %[[K:.*]] = %{{.*}} to %[[B2]]
// CHECK-NEXT: %[[V:.*]] = memref.load %[[X]][%[[J]]] : memref<3xf32>
// CHECK-NEXT: memref.store %[[V]], %[[OUT]][%[[I]], %[[J]], %[[K]]] : memref<2x3x4xf32>
// CHECK-NOT: linalg.
func.func @broadcast(%x: memref<3xf32>, %out: memref<2x3x4xf32> {tessera.out}) {
  linalg.broadcast ins(%x : memref<3xf32>) outs(%out : memref<2x3x4xf32>) dimensions = [0, 2]
  func.return
}
