// RUN: tessera-opt %s -p 'schedule{order=2,0,1 unroll=0,2 vector=8 parallel=0},canonicalize' | filecheck %s

// d0, unrolled by 2, runs on OpenMP threads: its scf.for carries {tessera.parallel}, which
// the C target prints as `#pragma omp parallel for`. It sits inside the reduction d2, which
// is fine: the threads write disjoint rows.

// CHECK-LABEL: func.func @mm(
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: vector.store
// CHECK: vector.store
// CHECK-NEXT: }
// CHECK-NEXT: } {tessera.parallel}
// CHECK-NEXT: }
func.func @mm(%a: memref<4x6xf32>, %b: memref<6x16xf32>, %c: memref<4x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<4x6xf32>, memref<6x16xf32>) outs(%c : memref<4x16xf32>)
  func.return
}
