// Illegal schedules are rejected with the op's location and the step that is wrong.
// RUN: not tessera-opt %s -p 'schedule{tiles=0,4,4}' 2>&1 | filecheck %s --check-prefix=ZERO
// RUN: not tessera-opt %s -p 'schedule{tiles=4,4}' 2>&1 | filecheck %s --check-prefix=COUNT
// RUN: not tessera-opt %s -p 'schedule{order=0,1,1}' 2>&1 | filecheck %s --check-prefix=PERM
// RUN: not tessera-opt %s -p 'schedule{tiles=4,4,4 order=3,0,1,2,4,5}' 2>&1 | filecheck %s --check-prefix=NEST
// RUN: not tessera-opt %s -p 'schedule{parallel=2}' 2>&1 | filecheck %s --check-prefix=REDUCTION
// RUN: not tessera-opt %s -p 'schedule{vector=8}' 2>&1 | filecheck %s --check-prefix=VECTOR
// RUN: not tessera-opt %s -p 'schedule{vector=3 order=0,2,1}' 2>&1 | filecheck %s --check-prefix=WIDTH
// RUN: not tessera-opt %s -p 'schedule{pack=2,0}' 2>&1 | filecheck %s --check-prefix=PACK
// RUN: not tessera-opt %s -p 'schedule{unroll=9,2}' 2>&1 | filecheck %s --check-prefix=UNROLL
// RUN: not tessera-opt %s -p 'schedule{fuse=1}' 2>&1 | filecheck %s --check-prefix=FUSE
// RUN: not tessera-opt %s -p 'schedule{unroll=1}' 2>&1 | filecheck %s --check-prefix=PAIRS

// ZERO: errors.mlir:[[# @LINE + 19]]:3: error: schedule of 'linalg.matmul': tile: size 0 for d0 at level 0 (sizes must be at least 1; use the extent 8 to leave d0 untiled)
// ZERO-NEXT: linalg.matmul
// ZERO-NEXT: ^
// COUNT: error: schedule of 'linalg.matmul': tile: 2 sizes for 3 loop dimensions (give 3 sizes per level)
// PERM: error: schedule of 'linalg.matmul': interchange: order [0, 1, 1] is not a permutation of the 3 loops 0..2
// NEST: error: schedule of 'linalg.matmul': interchange: loop d0 is placed outside d0.0, the tile loop that contains it
// REDUCTION: error: schedule of 'linalg.matmul': parallelize: loop d2 iterates over a reduction dimension, and its updates have no combiner; parallelize a parallel dimension
// VECTOR: error: schedule of 'linalg.matmul': vectorize: the innermost loop d2 is a reduction; interchange a parallel loop inside it
// WIDTH: error: schedule of 'linalg.matmul': vectorize: width 3 is not one of [1, 2, 4, 8, 16, 32, 64]
// PACK: error: schedule of 'linalg.matmul': pack: operand 2 is not an input (the op has 2)
// UNROLL: error: schedule of 'linalg.matmul': unroll: loop 9 does not exist (loops are 0..2)
// FUSE: error: schedule of 'linalg.matmul': fuse: only 0 elementwise consumer(s) follow the op and read its result element by element; cannot fuse 1
// PAIRS: error: schedule of 'linalg.matmul': unroll: expected pairs, got an odd number of values

// Nothing but the diagnostic: no traceback.
// ZERO-NOT: Traceback
// FUSE-NOT: Traceback

func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
