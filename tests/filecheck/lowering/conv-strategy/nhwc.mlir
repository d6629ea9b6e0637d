// RUN: tessera-opt %s -p 'conv-strategy{strategy=direct layout=nhwc}' | filecheck %s

// Direct in NHWC: linalg.conv_2d_nhwc_hwcf (channels innermost, the filters the output's
// innermost dimension: what the C schedule vectorizes) between an NHWC copy of the input,
// an HWCF copy of the weights and a copy of the result back to NCHW.

// The padding copy graph-to-linalg wrote is rebuilt to write NHWC (pad value and offsets
// kept): the input is still copied once, and the NCHW padded buffer is gone.
// CHECK-LABEL: func.func @padded(
// CHECK-SAME: %[[X:.*]]: tensor<1x3x7x9xf32>, %[[W:.*]]: tensor<5x3x3x3xf32>) -> tensor<1x5x7x9xf32> {
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[PE:.*]] = tensor.empty() : tensor<1x9x11x3xf32>
// CHECK-NEXT: %[[PF:.*]] = linalg.fill {tessera.conv_strategy = "direct", tessera.conv_layout = "nhwc"} ins(%[[ZERO]] : f32) outs(%[[PE]] : tensor<1x9x11x3xf32>) -> tensor<1x9x11x3xf32>
// CHECK-NEXT: %[[P:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, (d2 + 1), (d3 + 1), d1)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<1x3x7x9xf32>) outs(%[[PF]] : tensor<1x9x11x3xf32>) attrs = {tessera.conv_strategy = "direct", tessera.conv_layout = "nhwc"} {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK-NEXT: } -> tensor<1x9x11x3xf32>
// CHECK-NEXT: %[[WE:.*]] = tensor.empty() : tensor<3x3x3x5xf32>
// CHECK-NEXT: %[[WT:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d3, d1, d0)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[W]] : tensor<5x3x3x3xf32>) outs(%[[WE]] : tensor<3x3x3x5xf32>) attrs = {tessera.conv_strategy = "direct", tessera.conv_layout = "nhwc"} {
// CHECK: } -> tensor<3x3x3x5xf32>
// CHECK-NEXT: %[[YE:.*]] = tensor.empty() : tensor<1x7x9x5xf32>
// CHECK-NEXT: %[[YF:.*]] = linalg.fill {tessera.conv_strategy = "direct", tessera.conv_layout = "nhwc"} ins(%[[ZERO]] : f32) outs(%[[YE]] : tensor<1x7x9x5xf32>) -> tensor<1x7x9x5xf32>
// CHECK-NEXT: %[[Y:.*]] = linalg.conv_2d_nhwc_hwcf {tessera.conv_strategy = "direct", tessera.conv_layout = "nhwc", strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%[[P]], %[[WT]] : tensor<1x9x11x3xf32>, tensor<3x3x3x5xf32>) outs(%[[YF]] : tensor<1x7x9x5xf32>) -> tensor<1x7x9x5xf32>
// CHECK-NEXT: %[[OE:.*]] = tensor.empty() : tensor<1x5x7x9xf32>
// CHECK-NEXT: %[[OUT:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[Y]] : tensor<1x7x9x5xf32>) outs(%[[OE]] : tensor<1x5x7x9xf32>) attrs = {tessera.conv_strategy = "direct", tessera.conv_layout = "nhwc"} {
// CHECK: } -> tensor<1x5x7x9xf32>
// CHECK-NEXT: func.return %[[OUT]] : tensor<1x5x7x9xf32>
func.func @padded(%x: tensor<1x3x7x9xf32>, %w: tensor<5x3x3x3xf32>) -> tensor<1x5x7x9xf32> {
  %pe = tensor.empty() : tensor<1x3x9x11xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %pf = linalg.fill ins(%zero : f32) outs(%pe : tensor<1x3x9x11xf32>) -> tensor<1x3x9x11xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, (d2 + 1), (d3 + 1))>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x3x7x9xf32>) outs(%pf : tensor<1x3x9x11xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x3x9x11xf32>
  %e = tensor.empty() : tensor<1x5x7x9xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x5x7x9xf32>) -> tensor<1x5x7x9xf32>
  %y = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%p, %w : tensor<1x3x9x11xf32>, tensor<5x3x3x3xf32>) outs(%f : tensor<1x5x7x9xf32>) -> tensor<1x5x7x9xf32>
  func.return %y : tensor<1x5x7x9xf32>
}

// No padding copy to rebuild: a transposing copy of the input. Strides and dilations carry
// over; integer convs too.
// CHECK-LABEL: func.func @unpadded_strided(
// CHECK-SAME: %[[X:.*]]: tensor<2x4x9x9xi32>, %{{.*}}: tensor<6x4x3x3xi32>) -> tensor<2x6x4x4xi32> {
// CHECK-NEXT: %{{.*}} = arith.constant 0 : i32
// CHECK-NEXT: %[[PE:.*]] = tensor.empty() : tensor<2x9x9x4xi32>
// CHECK-NEXT: %[[P:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<2x4x9x9xi32>) outs(%[[PE]] : tensor<2x9x9x4xi32>)
// CHECK: linalg.conv_2d_nhwc_hwcf {tessera.conv_strategy = "direct", tessera.conv_layout = "nhwc", strides = dense<2> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%[[P]], %{{.*}} : tensor<2x9x9x4xi32>, tensor<3x3x4x6xi32>) outs(%{{.*}} : tensor<2x4x4x6xi32>) -> tensor<2x4x4x6xi32>
func.func @unpadded_strided(%x: tensor<2x4x9x9xi32>, %w: tensor<6x4x3x3xi32>) -> tensor<2x6x4x4xi32> {
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<2x6x4x4xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<2x6x4x4xi32>) -> tensor<2x6x4x4xi32>
  %y = linalg.conv_2d_nchw_fchw {strides = dense<2> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<2x4x9x9xi32>, tensor<6x4x3x3xi32>) outs(%f : tensor<2x6x4x4xi32>) -> tensor<2x6x4x4xi32>
  func.return %y : tensor<2x6x4x4xi32>
}

// The padded input is also returned: its copy stays, and the NHWC copy is made from the
// unpadded input beside it.
// CHECK-LABEL: func.func @padding_kept(
// CHECK: %[[P:.*]] = linalg.generic {{.*}} -> (d0, d1, (d2 + 1), (d3 + 1))>
// CHECK: linalg.generic {{.*}} -> (d0, (d2 + 1), (d3 + 1), d1)>
// CHECK: func.return %{{.*}}, %[[P]] :
func.func @padding_kept(%x: tensor<1x2x3x3xf32>, %w: tensor<4x2x3x3xf32>) -> (tensor<1x4x3x3xf32>, tensor<1x2x5x5xf32>) {
  %pe = tensor.empty() : tensor<1x2x5x5xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %pf = linalg.fill ins(%zero : f32) outs(%pe : tensor<1x2x5x5xf32>) -> tensor<1x2x5x5xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, (d2 + 1), (d3 + 1))>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x2x3x3xf32>) outs(%pf : tensor<1x2x5x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x5x5xf32>
  %e = tensor.empty() : tensor<1x4x3x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %y = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%p, %w : tensor<1x2x5x5xf32>, tensor<4x2x3x3xf32>) outs(%f : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  func.return %y, %p : tensor<1x4x3x3xf32>, tensor<1x2x5x5xf32>
}
