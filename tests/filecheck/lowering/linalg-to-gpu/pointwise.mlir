// RUN: tessera-opt %s -p linalg-to-gpu | filecheck %s

// Elementwise ops and fills are elementwise kernels: one thread per element, the flat index
// split row-major (the last dimension fastest across consecutive threads), guarded by the
// element count when the last block is partial (6 x 50 = 300 elements, 2 blocks of 256).

func.func @bias_relu(%x: memref<6x50xf32>, %b: memref<50xf32>, %y: memref<6x50xf32>) {
  %zero = arith.constant 0.000000e+00 : f32
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %b : memref<6x50xf32>, memref<50xf32>) outs(%y : memref<6x50xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  func.return
}

// CHECK-LABEL: func.func @bias_relu
// CHECK-DAG:     %[[TWO:.*]] = arith.constant 2 : index
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[T:.*]] = arith.constant 256 : index
// CHECK:         "gpu.launch"(%[[TWO]], %[[ONE]], %[[ONE]], %[[T]], %[[ONE]], %[[ONE]])
// CHECK-NEXT:    ^{{.*}}(%[[BX:[^:]*]]: index, %{{[^:]*}}: index, %{{[^:]*}}: index, %[[TX:[^:]*]]: index,
// CHECK:           %[[BASE:.*]] = arith.muli %[[BX]], %{{.*}} : index
// CHECK:           %[[G:.*]] = arith.addi %[[BASE]], %[[TX]] : index
// CHECK:           %[[IN:.*]] = arith.cmpi ult, %[[G]], %{{.*}} : index
// CHECK:           scf.if %[[IN]] {
// CHECK:             %[[J:.*]] = arith.remui %[[G]], %{{.*}} : index
// CHECK:             %[[I:.*]] = arith.divui %[[G]], %{{.*}} : index
// CHECK:             memref.load %x[%[[I]], %[[J]]]
// CHECK:             memref.load %b[%[[J]]]
// CHECK:             arith.addf
// CHECK:             arith.maximumf %{{.*}}, %zero
// CHECK:             memref.store %{{.*}}, %y[%[[I]], %[[J]]]
// CHECK:           "gpu.terminator"

func.func @fill(%y: memref<64xf32>) {
  %one = arith.constant 1.000000e+00 : f32
  linalg.fill ins(%one : f32) outs(%y : memref<64xf32>)
  func.return
}

// 64 elements: one block of 64 threads.
// CHECK-LABEL: func.func @fill
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[T:.*]] = arith.constant 64 : index
// CHECK:         "gpu.launch"(%[[ONE]], %[[ONE]], %[[ONE]], %[[T]], %[[ONE]], %[[ONE]])
// CHECK:           memref.store %one, %y

// A transpose into an offset window (as padding writes it) is not a one-to-one elementwise
// op: it stays a pointwise kernel over its own loop nest.
func.func @pad(%x: memref<4x4xf32>, %y: memref<6x6xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1 + 1, d0 + 1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<4x4xf32>) outs(%y : memref<6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  func.return
}

// CHECK-LABEL: func.func @pad
// CHECK:         "gpu.launch"
// CHECK:           scf.if
// CHECK:             %[[I:.*]] = memref.load %x
// CHECK:             affine.apply
// CHECK:             memref.store %[[I]], %y
