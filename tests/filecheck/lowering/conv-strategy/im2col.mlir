// RUN: tessera-opt %s -p 'conv-strategy{strategy=im2col layout=nchw}' | filecheck %s
// RUN: tessera-opt %s -p 'conv-strategy{strategy=im2col layout=nhwc}' | filecheck %s --check-prefix=NHWC

// im2col: the patches gathered into a column matrix by one generic whose maps are
// affine-linear (row c*KH*KW + kh*KW + kw, column n*OH*OW + oh*OW + ow: no floordiv/mod),
// the weights copied to [F, K], one linalg.matmul (the images of the batch are columns of
// the one GEMM), and the result copied back to NCHW. The gather's loops take their extents
// from two empty operands the body never reads ([KH, KW] and [OH, OW]). Every op but the
// matmul (an ordinary GEMM, so it shares tuned matmul schedules) names the strategy.

// N = 2, stride (2, 1), dilation (1, 2): x 2x3x9x10, w 4x3x2x3 -> 2x4x4x6; K = 3*2*3 = 18,
// N*OH*OW = 2*4*6 = 48. The gather loops are (c, kh, kw, n, oh, ow): the column matrix's
// row-major order.
// CHECK-LABEL: func.func @strided_dilated_batch(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x9x10xf32>, %[[W:.*]]: tensor<4x3x2x3xf32>) -> tensor<2x4x4x6xf32> {
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[WINDOW:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK-NEXT: %[[PIXELS:.*]] = tensor.empty() : tensor<4x6xf32>
// CHECK-NEXT: %[[CE:.*]] = tensor.empty() : tensor<18x48xf32>
// CHECK-NEXT: %[[COL:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, ((d4 * 2) + d1), (d5 + (d2 * 2)))>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d2)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> ((((d0 * 6) + (d1 * 3)) + d2), (((d3 * 24) + (d4 * 6)) + d5))>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%[[X]], %[[WINDOW]], %[[PIXELS]] : tensor<2x3x9x10xf32>, tensor<2x3xf32>, tensor<4x6xf32>) outs(%[[CE]] : tensor<18x48xf32>) attrs = {tessera.conv_strategy = "im2col", tessera.conv_layout = "nchw"} {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK-NEXT: } -> tensor<18x48xf32>
// CHECK-NEXT: %[[WE:.*]] = tensor.empty() : tensor<4x18xf32>
// CHECK-NEXT: %[[W2:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, (((d1 * 6) + (d2 * 3)) + d3))>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[W]] : tensor<4x3x2x3xf32>) outs(%[[WE]] : tensor<4x18xf32>) attrs = {tessera.conv_strategy = "im2col", tessera.conv_layout = "nchw"} {
// CHECK: } -> tensor<4x18xf32>
// CHECK-NEXT: %[[YE:.*]] = tensor.empty() : tensor<4x48xf32>
// CHECK-NEXT: %[[YF:.*]] = linalg.fill {tessera.conv_strategy = "im2col", tessera.conv_layout = "nchw"} ins(%[[ZERO]] : f32) outs(%[[YE]] : tensor<4x48xf32>) -> tensor<4x48xf32>
// CHECK-NEXT: %[[Y:.*]] = linalg.matmul ins(%[[W2]], %[[COL]] : tensor<4x18xf32>, tensor<18x48xf32>) outs(%[[YF]] : tensor<4x48xf32>) -> tensor<4x48xf32>
// CHECK-NEXT: %[[OE:.*]] = tensor.empty() : tensor<2x4x4x6xf32>
// CHECK-NEXT: %[[OUT:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, (((d0 * 24) + (d2 * 6)) + d3))>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[Y]] : tensor<4x48xf32>) outs(%[[OE]] : tensor<2x4x4x6xf32>) attrs = {tessera.conv_strategy = "im2col", tessera.conv_layout = "nchw"} {
// CHECK: } -> tensor<2x4x4x6xf32>
// CHECK-NEXT: func.return %[[OUT]] : tensor<2x4x4x6xf32>
// CHECK-NOT: linalg.conv

// nhwc: the transposed GEMM [N*OH*OW, K] x [K, F], its vector dimension the filters; the
// gather loops are (n, oh, ow, c, kh, kw), again the column matrix's row-major order.
// NHWC-LABEL: func.func @strided_dilated_batch(
// NHWC: %[[COL:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, ((d1 * 2) + d4), (d2 + (d5 * 2)))>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d2)>, affine_map<(d0, d1, d2, d3, d4, d5) -> ((((d0 * 24) + (d1 * 6)) + d2), (((d3 * 6) + (d4 * 3)) + d5))>]
// NHWC-SAME: outs(%{{.*}} : tensor<48x18xf32>) attrs = {tessera.conv_strategy = "im2col", tessera.conv_layout = "nhwc"}
// NHWC: %[[W2:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> ((((d1 * 6) + (d2 * 3)) + d3), d0)>]
// NHWC-SAME: outs(%{{.*}} : tensor<18x4xf32>)
// NHWC: %[[Y:.*]] = linalg.matmul ins(%[[COL]], %[[W2]] : tensor<48x18xf32>, tensor<18x4xf32>) outs(%{{.*}} : tensor<48x4xf32>) -> tensor<48x4xf32>
// NHWC: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> ((((d0 * 24) + (d2 * 6)) + d3), d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]
// NHWC-SAME: ins(%[[Y]] : tensor<48x4xf32>) outs(%{{.*}} : tensor<2x4x4x6xf32>)
func.func @strided_dilated_batch(%x: tensor<2x3x9x10xf32>, %w: tensor<4x3x2x3xf32>) -> tensor<2x4x4x6xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<2x4x4x6xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4x6xf32>) -> tensor<2x4x4x6xf32>
  %y = linalg.conv_2d_nchw_fchw {strides = dense<[2, 1]> : tensor<2xi64>, dilations = dense<[1, 2]> : tensor<2xi64>} ins(%x, %w : tensor<2x3x9x10xf32>, tensor<4x3x2x3xf32>) outs(%init : tensor<2x4x4x6xf32>) -> tensor<2x4x4x6xf32>
  func.return %y : tensor<2x4x4x6xf32>
}

// An i8 conv accumulating in i32 (what linalg.conv_2d_nchw_fchw allows): the gather and the
// weight copy sign-extend, so the matmul is i32 x i32 -> i32.
// CHECK-LABEL: func.func @widening(
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x2x4x4xi8>, tensor<1x1xi8>, tensor<4x4xi8>) outs(%{{.*}} : tensor<2x16xi32>)
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: i8, %{{.*}}: i8, %{{.*}}: i8, %{{.*}}: i32):
// CHECK-NEXT: %[[WIDE:.*]] = arith.extsi %[[IN]] : i8 to i32
// CHECK-NEXT: linalg.yield %[[WIDE]] : i32
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<3x2x1x1xi8>) outs(%{{.*}} : tensor<3x2xi32>)
// CHECK-NEXT: ^{{.*}}(%[[WIN:.*]]: i8, %{{.*}}: i32):
// CHECK-NEXT: %[[WWIDE:.*]] = arith.extsi %[[WIN]] : i8 to i32
// CHECK: linalg.fill {{.*}} ins(%{{.*}} : i32) outs(%{{.*}} : tensor<3x16xi32>)
// CHECK-NEXT: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<3x2xi32>, tensor<2x16xi32>) outs(%{{.*}} : tensor<3x16xi32>) -> tensor<3x16xi32>
func.func @widening(%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x1x1xi8>) -> tensor<1x3x4x4xi32> {
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x3x4x4xi32>
  %init = linalg.fill ins(%zero : i32) outs(%e : tensor<1x3x4x4xi32>) -> tensor<1x3x4x4xi32>
  %y = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x4x4xi8>, tensor<3x2x1x1xi8>) outs(%init : tensor<1x3x4x4xi32>) -> tensor<1x3x4x4xi32>
  func.return %y : tensor<1x3x4x4xi32>
}

// A conv that accumulates into values (not a fill): they are copied into the GEMM's layout
// first, with the same affine-linear map the result is copied back with.
// CHECK-LABEL: func.func @accumulating(
// CHECK-SAME: %[[ACC:[^:]*]]: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
// CHECK: %[[INIT:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d1, (((d0 * 4) + (d2 * 2)) + d3))>]
// CHECK-SAME: ins(%[[ACC]] : tensor<1x2x2x2xf32>) outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: %[[Y:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x4xf32>, tensor<4x4xf32>) outs(%[[INIT]] : tensor<2x4xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, (((d0 * 4) + (d2 * 2)) + d3))>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]
// CHECK-SAME: ins(%[[Y]] : tensor<2x4xf32>)
func.func @accumulating(%x: tensor<1x1x3x3xf32>, %w: tensor<2x1x2x2xf32>, %acc: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %y = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x1x3x3xf32>, tensor<2x1x2x2xf32>) outs(%acc : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  func.return %y : tensor<1x2x2x2xf32>
}
