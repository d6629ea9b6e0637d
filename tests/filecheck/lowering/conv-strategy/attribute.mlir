// RUN: tessera-opt %s -p conv-strategy | filecheck %s
// RUN: tessera-opt %s -p 'conv-strategy{strategy=direct}' | filecheck %s --check-prefix=OPTION

// A conv's own `tessera.conv_strategy` / `tessera.conv_layout` attributes win over `auto`
// (here on a conv small enough that `auto` alone would leave it direct in NCHW); the pass
// options win over both. What was decided replaces what was asked for on the result.

// CHECK-LABEL: func.func @by_attribute(
// CHECK: %[[COL:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<18x9xf32>) attrs = {tessera.conv_strategy = "im2col", tessera.conv_layout = "nchw"}
// CHECK: %[[W2:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<3x18xf32>) attrs = {tessera.conv_strategy = "im2col", tessera.conv_layout = "nchw"}
// CHECK: linalg.matmul ins(%[[W2]], %[[COL]] : tensor<3x18xf32>, tensor<18x9xf32>)
// CHECK-NOT: linalg.conv
// CHECK-LABEL: func.func @layout_attribute(
// CHECK: linalg.conv_2d_nhwc_hwcf {tessera.conv_strategy = "direct", tessera.conv_layout = "nhwc", strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%{{.*}}, %{{.*}} : tensor<1x5x5x2xf32>, tensor<3x3x2x3xf32>)
// CHECK-LABEL: func.func @auto(
// CHECK-NEXT: %[[Y:.*]] = linalg.conv_2d_nchw_fchw {tessera.conv_strategy = "direct", tessera.conv_layout = "nchw", strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(
// CHECK-NEXT: func.return %[[Y]]

// OPTION-LABEL: func.func @by_attribute(
// OPTION-NEXT: %[[Y:.*]] = linalg.conv_2d_nchw_fchw {tessera.conv_strategy = "direct", tessera.conv_layout = "nchw", strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(
// OPTION-NEXT: func.return %[[Y]]
// OPTION-LABEL: func.func @layout_attribute(
// OPTION: linalg.conv_2d_nhwc_hwcf {tessera.conv_strategy = "direct", tessera.conv_layout = "nhwc"
func.func @by_attribute(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>, %o: tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %y = linalg.conv_2d_nchw_fchw {tessera.conv_strategy = "im2col", strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) outs(%o : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  func.return %y : tensor<1x3x3x3xf32>
}
func.func @layout_attribute(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>, %o: tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %y = linalg.conv_2d_nchw_fchw {tessera.conv_layout = "nhwc", strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) outs(%o : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  func.return %y : tensor<1x3x3x3xf32>
}
func.func @auto(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>, %o: tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %y = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) outs(%o : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  func.return %y : tensor<1x3x3x3xf32>
}
