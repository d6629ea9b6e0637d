// RUN: tessera-opt %s -p graph-to-linalg | filecheck %s

// graph.conv2d is the named linalg.conv_2d_nchw_fchw on a zero-filled output. Padding is an
// explicit copy of the input into the interior of a filled buffer (an offset output map).
// Pooling is a generic over (n, c, oh, ow, kh, kw) with a window operand (an empty
// kernel-shaped tensor that only gives kh and kw their extent).

// No padding: no copy, the input goes straight to the conv.
// CHECK-LABEL: func.func @conv(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x7x9xf32>, %[[W:.*]]: tensor<5x3x3x3xf32>) -> tensor<2x5x5x7xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2x5x5x7xf32>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<2x5x5x7xf32>) -> tensor<2x5x5x7xf32>
// CHECK-NEXT: %[[C:.*]] = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%[[X]], %[[W]] : tensor<2x3x7x9xf32>, tensor<5x3x3x3xf32>) outs(%[[F]] : tensor<2x5x5x7xf32>) -> tensor<2x5x5x7xf32>
// CHECK-NEXT: func.return %[[C]] : tensor<2x5x5x7xf32>
func.func @conv(%x: tensor<2x3x7x9xf32>, %w: tensor<5x3x3x3xf32>) -> tensor<2x5x5x7xf32> {
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<2x3x7x9xf32>, tensor<5x3x3x3xf32>) -> tensor<2x5x5x7xf32>
  func.return %0 : tensor<2x5x5x7xf32>
}

// Padding (1, 2): the input 7x9 is copied at offset (1, 2) into a zero-filled 9x13 buffer,
// which the conv reads; strides and dilations are (H, W) pairs.
// CHECK-LABEL: func.func @conv_padded(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x7x9xf32>, %[[W:.*]]: tensor<5x3x3x3xf32>) -> tensor<2x5x3x4xf32> {
// CHECK-NEXT: %[[PE:.*]] = tensor.empty() : tensor<2x3x9x13xf32>
// CHECK-NEXT: %[[PZ:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[PF:.*]] = linalg.fill ins(%[[PZ]] : f32) outs(%[[PE]] : tensor<2x3x9x13xf32>) -> tensor<2x3x9x13xf32>
// CHECK-NEXT: %[[P:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, (d2 + 1), (d3 + 2))>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<2x3x7x9xf32>) outs(%[[PF]] : tensor<2x3x9x13xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK-NEXT: } -> tensor<2x3x9x13xf32>
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2x5x3x4xf32>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<2x5x3x4xf32>) -> tensor<2x5x3x4xf32>
// CHECK-NEXT: %[[C:.*]] = linalg.conv_2d_nchw_fchw {strides = dense<[2, 3]> : tensor<2xi64>, dilations = dense<[2, 1]> : tensor<2xi64>} ins(%[[P]], %[[W]] : tensor<2x3x9x13xf32>, tensor<5x3x3x3xf32>) outs(%[[F]] : tensor<2x5x3x4xf32>) -> tensor<2x5x3x4xf32>
// CHECK-NEXT: func.return %[[C]] : tensor<2x5x3x4xf32>
func.func @conv_padded(%x: tensor<2x3x7x9xf32>, %w: tensor<5x3x3x3xf32>) -> tensor<2x5x3x4xf32> {
  %0 = graph.conv2d %x, %w {dilation = array<i64: 2, 1>, padding = array<i64: 1, 2>, stride = array<i64: 2, 3>} : (tensor<2x3x7x9xf32>, tensor<5x3x3x3xf32>) -> tensor<2x5x3x4xf32>
  func.return %0 : tensor<2x5x3x4xf32>
}

// Integer conv: integer zeros for both the padding and the output.
// CHECK-LABEL: func.func @conv_int(
// CHECK: arith.constant 0 : i8
// CHECK: linalg.fill ins(%{{.*}} : i8) outs(%{{.*}} : tensor<1x1x5x5xi8>)
// CHECK: affine_map<(d0, d1, d2, d3) -> (d0, d1, (d2 + 1), (d3 + 1))>
// CHECK: arith.constant 0 : i8
// CHECK: linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%{{.*}}, %{{.*}} : tensor<1x1x5x5xi8>, tensor<4x1x5x5xi8>) outs(%{{.*}} : tensor<1x4x1x1xi8>) -> tensor<1x4x1x1xi8>
func.func @conv_int(%x: tensor<1x1x3x3xi8>, %w: tensor<4x1x5x5xi8>) -> tensor<1x4x1x1xi8> {
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x1x3x3xi8>, tensor<4x1x5x5xi8>) -> tensor<1x4x1x1xi8>
  func.return %0 : tensor<1x4x1x1xi8>
}

// Max pooling with padding: the padding is -inf (0xff800000), so it never wins; the window
// generic's input map is (oh * sh + kh, ow * sw + kw); the output starts at -inf too.
// CHECK-LABEL: func.func @maxpool_padded(
// CHECK-SAME: %[[X:.*]]: tensor<1x2x7x8xf32>) -> tensor<1x2x4x9xf32> {
// CHECK-NEXT: %[[PE:.*]] = tensor.empty() : tensor<1x2x9x10xf32>
// CHECK-NEXT: %[[NINF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: %[[PF:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%[[PE]] : tensor<1x2x9x10xf32>) -> tensor<1x2x9x10xf32>
// CHECK-NEXT: %[[P:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, (d2 + 1), (d3 + 1))>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<1x2x7x8xf32>) outs(%[[PF]] : tensor<1x2x9x10xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK-NEXT: } -> tensor<1x2x9x10xf32>
// CHECK-NEXT: %[[WIN:.*]] = tensor.empty() : tensor<3x2xf32>
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<1x2x4x9xf32>
// CHECK-NEXT: %[[NINF2:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[NINF2]] : f32) outs(%[[E]] : tensor<1x2x4x9xf32>) -> tensor<1x2x4x9xf32>
// CHECK-NEXT: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, ((d2 * 2) + d4), (d3 + d5))>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%[[P]], %[[WIN]] : tensor<1x2x9x10xf32>, tensor<3x2xf32>) outs(%[[F]] : tensor<1x2x4x9xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[V:.*]]: f32, %{{.*}}: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[M:.*]] = arith.maximumf %[[ACC]], %[[V]] : f32
// CHECK-NEXT: linalg.yield %[[M]] : f32
// CHECK-NEXT: } -> tensor<1x2x4x9xf32>
// CHECK-NEXT: func.return %[[R]] : tensor<1x2x4x9xf32>
func.func @maxpool_padded(%x: tensor<1x2x7x8xf32>) -> tensor<1x2x4x9xf32> {
  %0 = graph.maxpool2d %x {kernel = array<i64: 3, 2>, stride = array<i64: 2, 1>, padding = array<i64: 1, 1>} : tensor<1x2x7x8xf32> -> tensor<1x2x4x9xf32>
  func.return %0 : tensor<1x2x4x9xf32>
}

// Integer max pooling without padding: no copy; the identity is the smallest i8.
// CHECK-LABEL: func.func @maxpool_int(
// CHECK-SAME: %[[X:.*]]: tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi8> {
// CHECK-NEXT: %[[WIN:.*]] = tensor.empty() : tensor<2x2xi8>
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<1x2x2x2xi8>
// CHECK-NEXT: %[[MIN:.*]] = arith.constant -128 : i8
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[MIN]] : i8) outs(%[[E]] : tensor<1x2x2x2xi8>) -> tensor<1x2x2x2xi8>
// CHECK-NEXT: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, ((d2 * 2) + d4), ((d3 * 2) + d5))>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%[[X]], %[[WIN]] : tensor<1x2x4x4xi8>, tensor<2x2xi8>) outs(%[[F]] : tensor<1x2x2x2xi8>) {
// CHECK-NEXT: ^{{.*}}(%[[V:.*]]: i8, %{{.*}}: i8, %[[ACC:.*]]: i8):
// CHECK-NEXT: %[[M:.*]] = arith.maxsi %[[ACC]], %[[V]] : i8
// CHECK-NEXT: linalg.yield %[[M]] : i8
func.func @maxpool_int(%x: tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi8> {
  %0 = graph.maxpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x4x4xi8> -> tensor<1x2x2x2xi8>
  func.return %0 : tensor<1x2x2x2xi8>
}

// Average pooling: zero padding, a window sum from 0, then a parallel generic dividing by the
// kernel area (3 * 2 = 6; padded zeros count, as PyTorch's count_include_pad).
// CHECK-LABEL: func.func @avgpool_padded(
// CHECK-SAME: %[[X:.*]]: tensor<1x2x7x8xf32>) -> tensor<1x2x4x9xf32> {
// CHECK-NEXT: %[[PE:.*]] = tensor.empty() : tensor<1x2x9x10xf32>
// CHECK-NEXT: %[[PZ:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[PF:.*]] = linalg.fill ins(%[[PZ]] : f32) outs(%[[PE]] : tensor<1x2x9x10xf32>) -> tensor<1x2x9x10xf32>
// CHECK-NEXT: %[[P:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, (d2 + 1), (d3 + 1))>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<1x2x7x8xf32>) outs(%[[PF]] : tensor<1x2x9x10xf32>) {
// CHECK: } -> tensor<1x2x9x10xf32>
// CHECK-NEXT: %[[WIN:.*]] = tensor.empty() : tensor<3x2xf32>
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<1x2x4x9xf32>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<1x2x4x9xf32>) -> tensor<1x2x4x9xf32>
// CHECK-NEXT: %[[SUM:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, ((d2 * 2) + d4), (d3 + d5))>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%[[P]], %[[WIN]] : tensor<1x2x9x10xf32>, tensor<3x2xf32>) outs(%[[F]] : tensor<1x2x4x9xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[V:.*]]: f32, %{{.*}}: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[A:.*]] = arith.addf %[[ACC]], %[[V]] : f32
// CHECK-NEXT: linalg.yield %[[A]] : f32
// CHECK-NEXT: } -> tensor<1x2x4x9xf32>
// CHECK-NEXT: %[[E2:.*]] = tensor.empty() : tensor<1x2x4x9xf32>
// CHECK-NEXT: %[[AVG:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[SUM]] : tensor<1x2x4x9xf32>) outs(%[[E2]] : tensor<1x2x4x9xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[AREA:.*]] = arith.constant 6.000000e+00 : f32
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[S]], %[[AREA]] : f32
// CHECK-NEXT: linalg.yield %[[Q]] : f32
// CHECK-NEXT: } -> tensor<1x2x4x9xf32>
// CHECK-NEXT: func.return %[[AVG]] : tensor<1x2x4x9xf32>
func.func @avgpool_padded(%x: tensor<1x2x7x8xf32>) -> tensor<1x2x4x9xf32> {
  %0 = graph.avgpool2d %x {kernel = array<i64: 3, 2>, stride = array<i64: 2, 1>, padding = array<i64: 1, 1>} : tensor<1x2x7x8xf32> -> tensor<1x2x4x9xf32>
  func.return %0 : tensor<1x2x4x9xf32>
}

// Integer average pooling divides with divsi by an integer area.
// CHECK-LABEL: func.func @avgpool_int(
// CHECK-NOT: 0xff800000
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT: linalg.fill ins(%[[ZERO]] : i32) outs(%{{.*}} : tensor<3x1x2x2xi32>)
// CHECK: arith.addi
// CHECK: %[[AREA:.*]] = arith.constant 4 : i32
// CHECK-NEXT: arith.divsi %{{.*}}, %[[AREA]] : i32
func.func @avgpool_int(%x: tensor<3x1x4x4xi32>) -> tensor<3x1x2x2xi32> {
  %0 = graph.avgpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<3x1x4x4xi32> -> tensor<3x1x2x2xi32>
  func.return %0 : tensor<3x1x2x2xi32>
}
