// RUN: tessera-opt %s -p 'schedule{tiles=2,16,6 order=0,1,2,5,3,4 unroll=3,2,4,2 vector=8},canonicalize' | filecheck %s

// Unroll-and-jam into a register tile: the point loops d0 (2 rows, unrolled twice) and d1
// (16 columns = 2 vectors of 8, unrolled twice) sit inside the reduction d2, so their four
// accumulators are loaded once, carried through d2 as iter_args, and stored once. Each A
// element is broadcast once and used by both vectors of its row; each B vector by both rows.

// CHECK-LABEL: func.func @mm(
// CHECK-SAME: %[[A:.*]]: memref<4x6xf32>, %[[B:.*]]: memref<6x16xf32>, %[[C:.*]]: memref<4x16xf32> {tessera.out}) {
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: %[[R0:.*]] = arith.muli %[[T]], %{{.*}} : index
// CHECK-COUNT-2: vector.load %[[C]][%[[R0]], %{{.*}}] : memref<4x16xf32>, vector<8xf32>
// CHECK: %[[R1:.*]] = arith.addi %[[R0]], %{{.*}} : index
// CHECK-COUNT-2: vector.load %[[C]][%[[R1]], %{{.*}}] : memref<4x16xf32>, vector<8xf32>
// CHECK-NEXT: %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC0:.*]] = %{{.*}}, %[[ACC1:.*]] = %{{.*}}, %[[ACC2:.*]] = %{{.*}}, %[[ACC3:.*]] = %{{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK-NEXT: %[[X0:.*]] = memref.load %[[A]][%[[R0]], %[[K]]]
// CHECK-NEXT: %[[X0V:.*]] = vector.broadcast %[[X0]]
// CHECK-NEXT: %[[Y0:.*]] = vector.load %[[B]][%[[K]], %{{.*}}]
// CHECK-NEXT: %[[M0:.*]] = arith.mulf %[[X0V]], %[[Y0]] : vector<8xf32>
// CHECK-NEXT: %[[S0:.*]] = arith.addf %[[M0]], %[[ACC0]] : vector<8xf32>
// CHECK-NEXT: %[[Y1:.*]] = vector.load %[[B]][%[[K]], %{{.*}}]
// CHECK-NEXT: %[[M1:.*]] = arith.mulf %[[X0V]], %[[Y1]] : vector<8xf32>
// CHECK-NEXT: %[[S1:.*]] = arith.addf %[[M1]], %[[ACC1]] : vector<8xf32>
// CHECK-NEXT: %[[X1:.*]] = memref.load %[[A]][%[[R1]], %[[K]]]
// CHECK-NEXT: %[[X1V:.*]] = vector.broadcast %[[X1]]
// CHECK-NEXT: %[[M2:.*]] = arith.mulf %[[X1V]], %[[Y0]] : vector<8xf32>
// CHECK-NEXT: %[[S2:.*]] = arith.addf %[[M2]], %[[ACC2]] : vector<8xf32>
// CHECK-NEXT: %[[M3:.*]] = arith.mulf %[[X1V]], %[[Y1]] : vector<8xf32>
// CHECK-NEXT: %[[S3:.*]] = arith.addf %[[M3]], %[[ACC3]] : vector<8xf32>
// CHECK-NEXT: scf.yield %[[S0]], %[[S1]], %[[S2]], %[[S3]]
// CHECK-COUNT-4: vector.store
func.func @mm(%a: memref<4x6xf32>, %b: memref<6x16xf32>, %c: memref<4x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<4x6xf32>, memref<6x16xf32>) outs(%c : memref<4x16xf32>)
  func.return
}
