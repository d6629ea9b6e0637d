// RUN: tessera-opt %s -p 'linalg-to-gpu{block=32,32 thread=2,2 k_tile=8 vector=4}' | filecheck %s

// Wide staging loads: where the tiles divide the problem, each thread moves four contiguous
// elements per load; A's (along K) are spread over four rows of its transposed tile, B's
// (along N) stored whole.

func.func @matmul(%a: memref<64x64xf32>, %b: memref<64x32xf32>, %c: memref<64x32xf32>) {
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x32xf32>) outs(%c : memref<64x32xf32>)
  func.return
}

// CHECK-LABEL: func.func @matmul
// CHECK:         %[[AS:.*]] = memref.alloca() : memref<8x33xf32, 3 : i64>
// CHECK:         %[[BS:.*]] = memref.alloca() : memref<8x32xf32, 3 : i64>
// CHECK:         %[[VA:.*]] = vector.load %a[%{{.*}}, %{{.*}}] : memref<64x64xf32>, vector<4xf32>
// CHECK-COUNT-4: vector.extract %[[VA]][{{[0-3]}}] : f32 from vector<4xf32>
// CHECK:         %[[VB:.*]] = vector.load %b[%{{.*}}, %{{.*}}] : memref<64x32xf32>, vector<4xf32>
// CHECK-NEXT:    vector.store %[[VB]], %[[BS]][%{{.*}}, %{{.*}}] : memref<8x32xf32, 3 : i64>, vector<4xf32>
// CHECK:         "gpu.barrier"

// A ragged matmul keeps scalar, guarded loads.
func.func @ragged(%a: memref<60x64xf32>, %b: memref<64x30xf32>, %c: memref<60x30xf32>) {
  linalg.matmul ins(%a, %b : memref<60x64xf32>, memref<64x30xf32>) outs(%c : memref<60x30xf32>)
  func.return
}

// CHECK-LABEL: func.func @ragged
// CHECK-NOT:     vector.load
// CHECK:         "gpu.barrier"
