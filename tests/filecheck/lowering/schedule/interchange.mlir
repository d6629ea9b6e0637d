// RUN: tessera-opt %s -p 'schedule{order=2,0,1},canonicalize' | filecheck %s

// Any permutation of the loops is legal: with the reduction d2 outermost, every iteration
// of it updates the whole output, loaded and stored in the innermost body.

// CHECK-LABEL: func.func @mm(
// CHECK-SAME: %[[A:.*]]: memref<8x6xf32>, %[[B:.*]]: memref<6x16xf32>, %[[C:.*]]: memref<8x16xf32> {tessera.out}) {
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: %[[X:.*]] = memref.load %[[A]][%[[I]], %[[K]]]
// CHECK-NEXT: %[[Y:.*]] = memref.load %[[B]][%[[K]], %[[J]]]
// CHECK-NEXT: %[[Z:.*]] = memref.load %[[C]][%[[I]], %[[J]]]
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[M]], %[[Z]] : f32
// CHECK-NEXT: memref.store %[[S]], %[[C]][%[[I]], %[[J]]]
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
