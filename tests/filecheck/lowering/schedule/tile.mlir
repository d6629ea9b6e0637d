// RUN: tessera-opt %s -p 'schedule{tiles=3,16,6},canonicalize' | filecheck %s

// Tiling d0 (extent 8) by 3 does not divide: two full tiles run in a loop, the last two
// rows as a remainder nest with constant extents (no guards, no dynamic bounds). Tiles of
// d1 and d2 cover their extents, so those tile loops vanish. The reduction d2 is innermost,
// so each output element is accumulated in an iter_arg and stored once.

// CHECK-LABEL: func.func @mm(
// CHECK-SAME: %[[A:.*]]: memref<8x6xf32>, %[[B:.*]]: memref<6x16xf32>, %[[C:.*]]: memref<8x16xf32> {tessera.out}) {
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %[[C2]] step %{{.*}} {
// CHECK-NEXT: %[[BASE:.*]] = arith.muli %[[T]], %[[C3]] : index
// CHECK-NEXT: scf.for %[[I:.*]] = %{{.*}} to %[[C3]] step %{{.*}} {
// CHECK-NEXT: %[[ROW:.*]] = arith.addi %[[BASE]], %[[I]] : index
// CHECK-NEXT: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: %[[INIT:.*]] = memref.load %[[C]][%[[ROW]], %[[J]]]
// CHECK-NEXT: %[[SUM:.*]] = scf.for %{{.*}} = %{{.*}} to %[[C6]] step %{{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (f32) {
// CHECK: memref.store %[[SUM]], %[[C]][%[[ROW]], %[[J]]]
// The remainder: rows 6 and 7.
// CHECK: scf.for %[[R:.*]] = %{{.*}} to %[[C2]] step %{{.*}} {
// CHECK: %[[ROW2:.*]] = arith.addi %[[R]], %[[C6]] : index
// CHECK: memref.load %[[C]][%[[ROW2]],
// CHECK-NOT: linalg.matmul
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
