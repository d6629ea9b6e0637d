// RUN: tessera-opt %s -p 'conv-strategy{strategy=direct layout=nchw}' | filecheck %s

// direct in NCHW is what graph-to-linalg wrote: the conv stays as it is, only marked with
// the decision (so running the pass again keeps it).
// CHECK-LABEL: func.func @direct(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x9x10xf32>, %[[W:.*]]: tensor<4x3x2x3xf32>) -> tensor<2x4x4x6xf32> {
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2x4x4x6xf32>
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<2x4x4x6xf32>) -> tensor<2x4x4x6xf32>
// CHECK-NEXT: %[[Y:.*]] = linalg.conv_2d_nchw_fchw {tessera.conv_strategy = "direct", tessera.conv_layout = "nchw", strides = dense<[2, 1]> : tensor<2xi64>, dilations = dense<[1, 2]> : tensor<2xi64>} ins(%[[X]], %[[W]] : tensor<2x3x9x10xf32>, tensor<4x3x2x3xf32>) outs(%[[F]] : tensor<2x4x4x6xf32>) -> tensor<2x4x4x6xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<2x4x4x6xf32>
func.func @direct(%x: tensor<2x3x9x10xf32>, %w: tensor<4x3x2x3xf32>) -> tensor<2x4x4x6xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<2x4x4x6xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4x6xf32>) -> tensor<2x4x4x6xf32>
  %y = linalg.conv_2d_nchw_fchw {strides = dense<[2, 1]> : tensor<2xi64>, dilations = dense<[1, 2]> : tensor<2xi64>} ins(%x, %w : tensor<2x3x9x10xf32>, tensor<4x3x2x3xf32>) outs(%init : tensor<2x4x4x6xf32>) -> tensor<2x4x4x6xf32>
  func.return %y : tensor<2x4x4x6xf32>
}
