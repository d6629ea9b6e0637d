// RUN: tessera-opt %s | filecheck %s
// RUN: tessera-opt %s | tessera-opt | filecheck %s
// RUN: tessera-opt %s --print-op-generic | tessera-opt | filecheck %s

// graph.conv2d (NCHW x OIHW) and the two poolings. Output extents follow PyTorch's floor
// formula: (size + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1.

// CHECK-LABEL: func.func @conv(%x: tensor<2x3x7x9xf32>, %w: tensor<5x3x3x3xf32>) -> tensor<2x5x5x7xf32> {
// CHECK-NEXT:    %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<2x3x7x9xf32>, tensor<5x3x3x3xf32>) -> tensor<2x5x5x7xf32>
// CHECK-NEXT:    %1 = graph.conv2d %x, %w {dilation = array<i64: 2, 1>, padding = array<i64: 1, 2>, stride = array<i64: 2, 3>} : (tensor<2x3x7x9xf32>, tensor<5x3x3x3xf32>) -> tensor<2x5x3x4xf32>
// CHECK-NEXT:    func.return %0 : tensor<2x5x5x7xf32>
func.func @conv(%x: tensor<2x3x7x9xf32>, %w: tensor<5x3x3x3xf32>) -> tensor<2x5x5x7xf32> {
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<2x3x7x9xf32>, tensor<5x3x3x3xf32>) -> tensor<2x5x5x7xf32>
  // H: (7 + 2 - 5) / 2 + 1 = 3; W: (9 + 4 - 3) / 3 + 1 = 4. Properties print in the order
  // they are written.
  %1 = graph.conv2d %x, %w {dilation = array<i64: 2, 1>, padding = array<i64: 1, 2>, stride = array<i64: 2, 3>} : (tensor<2x3x7x9xf32>, tensor<5x3x3x3xf32>) -> tensor<2x5x3x4xf32>
  func.return %0 : tensor<2x5x5x7xf32>
}

// A window exactly as large as the padded input gives extent 1.
// CHECK-LABEL: func.func @conv_int(%x: tensor<1x1x3x3xi8>, %w: tensor<4x1x5x5xi8>) -> tensor<1x4x1x1xi8> {
// CHECK-NEXT:    %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x1x3x3xi8>, tensor<4x1x5x5xi8>) -> tensor<1x4x1x1xi8>
func.func @conv_int(%x: tensor<1x1x3x3xi8>, %w: tensor<4x1x5x5xi8>) -> tensor<1x4x1x1xi8> {
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x1x3x3xi8>, tensor<4x1x5x5xi8>) -> tensor<1x4x1x1xi8>
  func.return %0 : tensor<1x4x1x1xi8>
}

// CHECK-LABEL: func.func @pools(%x: tensor<1x2x7x8xf32>) -> tensor<1x2x3x4xf32> {
// CHECK-NEXT:    %0 = graph.maxpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x7x8xf32> -> tensor<1x2x3x4xf32>
// CHECK-NEXT:    %1 = graph.avgpool2d %x {kernel = array<i64: 3, 2>, stride = array<i64: 2, 1>, padding = array<i64: 1, 1>} : tensor<1x2x7x8xf32> -> tensor<1x2x4x9xf32>
// CHECK-NEXT:    %2 = graph.maxpool2d %x {kernel = array<i64: 7, 1>, stride = array<i64: 1, 3>, padding = array<i64: 0, 0>} : tensor<1x2x7x8xf32> -> tensor<1x2x1x3xf32>
// CHECK-NEXT:    func.return %0 : tensor<1x2x3x4xf32>
func.func @pools(%x: tensor<1x2x7x8xf32>) -> tensor<1x2x3x4xf32> {
  %0 = graph.maxpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x7x8xf32> -> tensor<1x2x3x4xf32>
  // H: (7 + 2 - 3) / 2 + 1 = 4; W: (8 + 2 - 2) / 1 + 1 = 9
  %1 = graph.avgpool2d %x {kernel = array<i64: 3, 2>, stride = array<i64: 2, 1>, padding = array<i64: 1, 1>} : tensor<1x2x7x8xf32> -> tensor<1x2x4x9xf32>
  %2 = graph.maxpool2d %x {kernel = array<i64: 7, 1>, stride = array<i64: 1, 3>, padding = array<i64: 0, 0>} : tensor<1x2x7x8xf32> -> tensor<1x2x1x3xf32>
  func.return %0 : tensor<1x2x3x4xf32>
}

// CHECK-LABEL: func.func @pools_int(%x: tensor<3x1x4x4xi32>) -> tensor<3x1x2x2xi32> {
// CHECK-NEXT:    %0 = graph.avgpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<3x1x4x4xi32> -> tensor<3x1x2x2xi32>
func.func @pools_int(%x: tensor<3x1x4x4xi32>) -> tensor<3x1x2x2xi32> {
  %0 = graph.avgpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<3x1x4x4xi32> -> tensor<3x1x2x2xi32>
  func.return %0 : tensor<3x1x2x2xi32>
}
