// RUN: tessera-opt %s -p 'schedule{tiles=4,8,3,2,4,3 order=1,2,0,4,3,5,8,6,7 pack=1,2,0,3},canonicalize' | filecheck %s

// BLIS packing. B is packed inside d1.0 and d2.0 (depth 2): its tile, 3 x 8, laid out in
// the order the loops inside visit it, d1.1 (2 slots of 4 columns), d2 (3), d1 (4), so each
// micro-panel is contiguous. A is packed inside d0.0 as d0.1 (2 slots of 2 rows), d2, d0.
// K = 7 leaves a remainder tile of one column of A / row of B whose pack is guarded.

// CHECK-LABEL: func.func @mm(
// CHECK-SAME: %[[A:.*]]: memref<8x7xf32>, %[[B:.*]]: memref<7x8xf32>, %[[C:.*]]: memref<8x8xf32> {tessera.out}) {
// CHECK-DAG: %[[PB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x3x4xf32>
// CHECK-DAG: %[[PA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x3x2xf32>
// CHECK: scf.for %[[KT:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: scf.for %[[PJT:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.for %[[PK:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.for %[[PJ:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: %[[BV:.*]] = memref.load %[[B]]
// CHECK-NEXT: memref.store %[[BV]], %[[PB]][%[[PJT]], %[[PK]], %[[PJ]]] : memref<2x3x4xf32>
// CHECK: %[[AV:.*]] = memref.load %[[A]]
// CHECK-NEXT: memref.store %[[AV]], %[[PA]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<2x3x2xf32>
// The micro-kernel reads the packed buffers only.
// CHECK: memref.load %[[PA]]
// CHECK: memref.load %[[PB]]
// The remainder's pack is guarded where its tile is partial.
// CHECK: arith.cmpi ult
// CHECK: scf.if
// CHECK: memref.dealloc %[[PB]]
// CHECK: memref.dealloc %[[PA]]
func.func @mm(%a: memref<8x7xf32>, %b: memref<7x8xf32>, %c: memref<8x8xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x7xf32>, memref<7x8xf32>) outs(%c : memref<8x8xf32>)
  func.return
}
