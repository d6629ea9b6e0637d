// RUN: tessera-opt %s -p conv-strategy | filecheck %s
// RUN: tessera-opt %s -p conv-strategy,conv-strategy | filecheck %s

// `auto` (lowering/conv_strategy.py: choose, fitted to bench/conv_strategy.py's table), on
// shapes whose choice is the same for 4, 8 and 16 vector lanes. Running it twice changes
// nothing: a decided conv carries its decision, a rewritten one is no longer an NCHW conv.

// LeNet-5's first conv (3->6, 32x32, 5x5): the output width vectorizes and 6 filters do
// not, and a GEMM of 6 rows does not pay for its gather: direct, NCHW.
// CHECK-LABEL: func.func @lenet5_conv1(
// CHECK-NEXT: linalg.conv_2d_nchw_fchw {tessera.conv_strategy = "direct", tessera.conv_layout = "nchw"
func.func @lenet5_conv1(%x: tensor<1x3x32x32xf32>, %w: tensor<6x3x5x5xf32>, %o: tensor<1x6x28x28xf32>) -> tensor<1x6x28x28xf32> {
  %y = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x3x32x32xf32>, tensor<6x3x5x5xf32>) outs(%o : tensor<1x6x28x28xf32>) -> tensor<1x6x28x28xf32>
  func.return %y : tensor<1x6x28x28xf32>
}

// Stride 2 (a strided width does not vectorize in NCHW), 64 filters: direct, NHWC.
// CHECK-LABEL: func.func @strided_stem(
// CHECK: linalg.conv_2d_nhwc_hwcf {tessera.conv_strategy = "direct", tessera.conv_layout = "nhwc", strides = dense<2> : tensor<2xi64>
func.func @strided_stem(%x: tensor<1x3x18x18xf32>, %w: tensor<64x3x3x3xf32>, %o: tensor<1x64x8x8xf32>) -> tensor<1x64x8x8xf32> {
  %y = linalg.conv_2d_nchw_fchw {strides = dense<2> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x3x18x18xf32>, tensor<64x3x3x3xf32>) outs(%o : tensor<1x64x8x8xf32>) -> tensor<1x64x8x8xf32>
  func.return %y : tensor<1x64x8x8xf32>
}

// A 1x1 kernel: the conv is a GEMM and the gather a plain copy: im2col.
// CHECK-LABEL: func.func @pointwise(
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<32x256xf32>) attrs = {tessera.conv_strategy = "im2col", tessera.conv_layout = "nchw"}
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<32x32xf32>, tensor<32x256xf32>)
func.func @pointwise(%x: tensor<1x32x16x16xf32>, %w: tensor<32x32x1x1xf32>, %o: tensor<1x32x16x16xf32>) -> tensor<1x32x16x16xf32> {
  %y = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x32x16x16xf32>, tensor<32x32x1x1xf32>) outs(%o : tensor<1x32x16x16xf32>) -> tensor<1x32x16x16xf32>
  func.return %y : tensor<1x32x16x16xf32>
}

// 2.25 MiB of weights (256->256, 3x3): more than the direct nest can keep in cache; the
// GEMM is blocked for it: im2col.
// CHECK-LABEL: func.func @wide(
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<256x2304xf32>, tensor<2304x16xf32>)
func.func @wide(%x: tensor<1x256x6x6xf32>, %w: tensor<256x256x3x3xf32>, %o: tensor<1x256x4x4xf32>) -> tensor<1x256x4x4xf32> {
  %y = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x256x6x6xf32>, tensor<256x256x3x3xf32>) outs(%o : tensor<1x256x4x4xf32>) -> tensor<1x256x4x4xf32>
  func.return %y : tensor<1x256x4x4xf32>
}
