// A schedule printed as a transform script replays to exactly the IR its record gives.
// RUN: tessera-opt %s -p 'transform-interpreter{script="%S/inputs/matmul_schedule.mlir"}' > %t.replayed
// RUN: tessera-opt %s -p 'schedule{tiles=4,8,3,2,4,3 order=1,2,0,4,3,5,8,6,7 pack=1,2,0,3 vector=4 unroll=6,2 parallel=0}' > %t.record
// RUN: diff %t.replayed %t.record
// RUN: filecheck %s < %t.replayed

// CHECK-LABEL: func.func @mm(
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<2x3x4xf32>
// CHECK: scf.for
// CHECK: vector.load
// CHECK: } {tessera.parallel}
// CHECK-NOT: transform.
func.func @mm(%a: memref<8x7xf32>, %b: memref<7x8xf32>, %c: memref<8x8xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x7xf32>, memref<7x8xf32>) outs(%c : memref<8x8xf32>)
  func.return
}
