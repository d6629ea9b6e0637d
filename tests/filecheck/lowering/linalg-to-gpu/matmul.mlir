// RUN: tessera-opt %s -p 'linalg-to-gpu{block=32,32 thread=4,2 k_tile=8}' | filecheck %s
// RUN: tessera-opt %s -p 'linalg-to-gpu{block=32,32 thread=4,2 k_tile=8 stage=false}' | filecheck %s --check-prefix=DIRECT

// A ragged matmul (100x37x53: no size a multiple of its tile) becomes one tiled GEMM launch:
// a 32x32 block tile of 4x2-thread tiles (16x8 threads), grid 2x4 (columns, rows).

func.func @matmul(%a: memref<100x53xf32>, %b: memref<53x37xf32>, %c: memref<100x37xf32>) {
  linalg.matmul ins(%a, %b : memref<100x53xf32>, memref<53x37xf32>) outs(%c : memref<100x37xf32>)
  func.return
}

// CHECK-LABEL: func.func @matmul
// CHECK-DAG:     %[[GX:.*]] = arith.constant 2 : index
// CHECK-DAG:     %[[GY:.*]] = arith.constant 4 : index
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[TX:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[TY:.*]] = arith.constant 8 : index
// CHECK:         "gpu.launch"(%[[GX]], %[[GY]], %[[ONE]], %[[TX]], %[[TY]], %[[ONE]])
// The register tiles: 4x2 accumulators, 4 A and 2 B fragments.
// CHECK:           memref.alloca() : memref<8xf32>
// CHECK:           memref.alloca() : memref<4xf32>
// CHECK:           memref.alloca() : memref<2xf32>
// Accumulators start from C, rows beyond 100 and columns beyond 37 read as zero.
// CHECK:           scf.if
// CHECK:             memref.load %c
// CHECK:           } {tessera.unroll}
// Shared tiles: A transposed (k-major, rows padded by one), B as is.
// CHECK:           %[[AS:.*]] = memref.alloca() : memref<8x33xf32, 3 : i64>
// CHECK:           %[[BS:.*]] = memref.alloca() : memref<8x32xf32, 3 : i64>
// CHECK:           scf.for %[[K0:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:             memref.load %a
// CHECK:             memref.store %{{.*}}, %[[AS]]
// CHECK:             memref.load %b
// CHECK:             memref.store %{{.*}}, %[[BS]]
// CHECK:             "gpu.barrier"() : () -> ()
// CHECK:             memref.load %[[AS]]
// CHECK:             memref.load %[[BS]]
// CHECK:             arith.mulf
// CHECK:             arith.addf
// CHECK:             "gpu.barrier"() : () -> ()
// CHECK:           }
// Stores are guarded too.
// CHECK:           scf.if
// CHECK:             memref.store %{{.*}}, %c
// CHECK:           "gpu.terminator"() : () -> ()
// CHECK-NOT:     linalg.matmul

// Without staging, no shared memory and no barrier: each thread reads A and B itself.
// DIRECT-LABEL: func.func @matmul
// DIRECT-NOT:     memref<{{.*}}, 3 : i64>
// DIRECT-NOT:     gpu.barrier
// DIRECT:         memref.load %a
// DIRECT:         memref.load %b
// DIRECT-NOT:     gpu.barrier
