// RUN: tessera-opt %s -p 'schedule{order=0,2,1 vector=8},canonicalize' | filecheck %s

// The innermost loop d1 (extent 20) runs 8 lanes at a time: two vector iterations, then
// four scalar ones unrolled. B and C are contiguous along d1 (vector.load/store), A does
// not depend on d1 (a scalar load, broadcast).

// CHECK-LABEL: func.func @mm(
// CHECK-SAME: %[[A:.*]]: memref<5x3xf32>, %[[B:.*]]: memref<3x20xf32>, %[[C:.*]]: memref<5x20xf32> {tessera.out}) {
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.for %[[V:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: %[[J:.*]] = arith.muli %[[V]], %{{.*}} : index
// CHECK-NEXT: %[[X:.*]] = memref.load %[[A]][%[[I]], %[[K]]] : memref<5x3xf32>
// CHECK-NEXT: %[[XS:.*]] = vector.broadcast %[[X]] : f32 to vector<8xf32>
// CHECK-NEXT: %[[Y:.*]] = vector.load %[[B]][%[[K]], %[[J]]] : memref<3x20xf32>, vector<8xf32>
// CHECK-NEXT: %[[Z:.*]] = vector.load %[[C]][%[[I]], %[[J]]] : memref<5x20xf32>, vector<8xf32>
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[XS]], %[[Y]] : vector<8xf32>
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[M]], %[[Z]] : vector<8xf32>
// CHECK-NEXT: vector.store %[[S]], %[[C]][%[[I]], %[[J]]] : memref<5x20xf32>, vector<8xf32>
// CHECK-NEXT: }
// The scalar tail: columns 16..19.
// CHECK-COUNT-4: memref.store %{{.*}}, %[[C]][%[[I]], %{{.*}}] : memref<5x20xf32>
func.func @mm(%a: memref<5x3xf32>, %b: memref<3x20xf32>, %c: memref<5x20xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<5x3xf32>, memref<3x20xf32>) outs(%c : memref<5x20xf32>)
  func.return
}
