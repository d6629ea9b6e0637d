// RUN: tessera-opt %s -p 'linalg-to-gpu{block=16,32 thread=2,2 k_tile=8}' | filecheck %s

// A convolution is an implicit GEMM: M = 6 filters, N = 2 images x 4x4 pixels = 32,
// K = 3 channels x 3x3 window = 27. The image tile's indices are computed where each
// element is loaded (channel k / 9, window row (k % 9) / 3, column k % 3; image column / 16,
// pixel row (column % 16) / 4, pixel column % 4), with stride 2.

func.func @conv(%x: memref<2x3x9x9xf32>, %w: memref<6x3x3x3xf32>, %y: memref<2x6x4x4xf32>) {
  linalg.conv_2d_nchw_fchw {strides = dense<2> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : memref<2x3x9x9xf32>, memref<6x3x3x3xf32>) outs(%y : memref<2x6x4x4xf32>)
  func.return
}

// CHECK-LABEL: func.func @conv
// One block: N = 32 columns, M = 6 rows in a 16-row tile; 16x8 threads.
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[TX:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[TY:.*]] = arith.constant 8 : index
// CHECK:         "gpu.launch"(%[[ONE]], %[[ONE]], %[[ONE]], %[[TX]], %[[TY]], %[[ONE]])
// CHECK:           memref.alloca() : memref<8x17xf32, 3 : i64>
// CHECK:           memref.alloca() : memref<8x32xf32, 3 : i64>
// The weights' tile (filter, channel, window row, window column), then the image's, whose
// rows and columns are stride 2 times the pixel plus the window position.
// CHECK:           memref.load %w[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<6x3x3x3xf32>
// CHECK:           arith.muli %{{.*}}, %[[S:.*]] : index
// CHECK:           arith.muli %{{.*}}, %[[S2:.*]] : index
// CHECK:           memref.load %x[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<2x3x9x9xf32>
// CHECK:           "gpu.barrier"
// Results go back to NCHW: (image, filter, pixel row, pixel column).
// CHECK:           memref.store %{{.*}}, %y[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK-NOT:     linalg.conv_2d_nchw_fchw
