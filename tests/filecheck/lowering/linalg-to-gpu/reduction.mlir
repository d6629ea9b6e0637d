// RUN: tessera-opt %s -p 'linalg-to-gpu{threads=128}' | filecheck %s

// A row maximum over 1000 elements is a block reduction: one block per row (8 blocks), 128
// threads folding a strided share each, then a shared-memory tree with a barrier per level.

func.func @row_max(%x: memref<8x1000xf32>, %m: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<8x1000xf32>) outs(%m : memref<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.maximumf %acc, %in : f32
    linalg.yield %r : f32
  }
  func.return
}

// CHECK-LABEL: func.func @row_max
// CHECK-DAG:     %[[ROWS:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[T:.*]] = arith.constant 128 : index
// CHECK:         "gpu.launch"(%[[ROWS]], %[[ONE]], %[[ONE]], %[[T]], %[[ONE]], %[[ONE]])
// CHECK-NEXT:    ^{{.*}}(%[[BX:[^:]*]]: index, %{{[^:]*}}: index, %{{[^:]*}}: index, %[[TX:[^:]*]]: index,
// The partial starts at -inf; each thread strides by 128 from its own index.
// CHECK:           %[[NEG:.*]] = arith.constant 0xff800000 : f32
// CHECK:           %[[PART:.*]] = scf.for %[[E:.*]] = %[[TX]] to %{{.*}} step %{{.*}} iter_args(%[[P:.*]] = %[[NEG]]) -> (f32) {
// CHECK:             %[[V:.*]] = memref.load %x[%[[BX]], %[[E]]]
// CHECK:             %[[NEW:.*]] = arith.maximumf %[[P]], %[[V]] : f32
// CHECK:             scf.yield %[[NEW]] : f32
// CHECK:           %[[TREE:.*]] = memref.alloca() : memref<128xf32, 3 : i64>
// CHECK:           memref.store %[[PART]], %[[TREE]][%[[TX]]]
// CHECK-NEXT:      "gpu.barrier"
// Seven levels: 64, 32, ..., 1.
// CHECK-COUNT-7:   "gpu.barrier"
// CHECK-NOT:       "gpu.barrier"
// Thread 0 folds the root into the output.
// CHECK:           scf.if
// CHECK:             memref.load %m[%[[BX]]]
// CHECK:             arith.maximumf
// CHECK:             memref.store %{{.*}}, %m[%[[BX]]]
// CHECK:           "gpu.terminator"

// A short reduction (4 elements a row) stays pointwise: one thread per row, looping.
func.func @short_sum(%x: memref<64x4xf32>, %s: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<64x4xf32>) outs(%s : memref<64xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %acc, %in : f32
    linalg.yield %r : f32
  }
  func.return
}

// CHECK-LABEL: func.func @short_sum
// CHECK-NOT:     memref.alloca
// CHECK:         "gpu.launch"
// CHECK:           scf.if
// CHECK:             scf.for
// CHECK:               arith.addf
// CHECK-NOT:     "gpu.barrier"
