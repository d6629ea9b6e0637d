// RUN: tessera-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Each shape rule of graph.conv2d, graph.maxpool2d and graph.avgpool2d, violated once.

func.func @conv_channels_differ(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 3]]:3: error: 'graph.conv2d' input channels differ (3 in input [1, 3, 8, 8] vs 2 in weight [4, 2, 3, 3])
  // CHECK-NEXT: %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  // CHECK-NEXT: {{^ *\^$}}
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_input_rank(%x: tensor<3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<4x6x6xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.conv2d' input must be NCHW (rank 4), got [3, 8, 8]
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<4x6x6xf32>
  func.return %0 : tensor<4x6x6xf32>
}

// -----

func.func @conv_weight_rank(%x: tensor<1x3x8x8xf32>, %w: tensor<3x3x3xf32>) -> tensor<1x3x6x6xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.conv2d' weight must be OIHW (rank 4), got [3, 3, 3]
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<3x3x3xf32>) -> tensor<1x3x6x6xf32>
  func.return %0 : tensor<1x3x6x6xf32>
}

// -----

func.func @conv_element_types_differ(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf64>) -> tensor<1x4x6x6xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.conv2d' operand element types differ (f32 vs f64)
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf64>) -> tensor<1x4x6x6xf32>
  func.return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_stride_arity(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.conv2d' stride needs 2 values (H, W), got 1
  %0 = graph.conv2d %x, %w {stride = array<i64: 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_padding_arity(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.conv2d' padding needs 2 values (H, W), got 4
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_zero_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.conv2d' stride must be > 0, got 0
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 0>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_zero_dilation(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.conv2d' dilation must be > 0, got 0
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 0, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_negative_padding(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.conv2d' padding must be >= 0, got -1
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: -1, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_window_too_large(%x: tensor<1x3x4x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x1x6xf32> {
  // The dilated window spans 2 * (3 - 1) + 1 = 5 rows; the input has 4.
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.conv2d' window of extent 5 does not fit the padded input extent 4
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 2, 1>} : (tensor<1x3x4x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x6xf32>
  func.return %0 : tensor<1x4x1x6xf32>
}

// -----

func.func @conv_wrong_result(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.conv2d' result type tensor<1x4x8x8xf32> differs from the inferred tensor<1x4x6x6xf32>
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  func.return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @conv_missing_property(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.conv2d' property 'dilation' expected in operation 'graph.conv2d'
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @pool_input_rank(%x: tensor<2x8x8xf32>) -> tensor<2x4x4xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.maxpool2d' input must be NCHW (rank 4), got [2, 8, 8]
  %0 = graph.maxpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<2x8x8xf32> -> tensor<2x4x4xf32>
  func.return %0 : tensor<2x4x4xf32>
}

// -----

func.func @pool_kernel_arity(%x: tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.avgpool2d' kernel needs 2 values (H, W), got 3
  %0 = graph.avgpool2d %x {kernel = array<i64: 2, 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x8x8xf32> -> tensor<1x2x4x4xf32>
  func.return %0 : tensor<1x2x4x4xf32>
}

// -----

func.func @pool_zero_kernel(%x: tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.maxpool2d' kernel must be > 0, got 0
  %0 = graph.maxpool2d %x {kernel = array<i64: 0, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x8x8xf32> -> tensor<1x2x4x4xf32>
  func.return %0 : tensor<1x2x4x4xf32>
}

// -----

func.func @pool_negative_stride(%x: tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.avgpool2d' stride must be > 0, got -2
  %0 = graph.avgpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, -2>, padding = array<i64: 0, 0>} : tensor<1x2x8x8xf32> -> tensor<1x2x4x4xf32>
  func.return %0 : tensor<1x2x4x4xf32>
}

// -----

func.func @pool_negative_padding(%x: tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.maxpool2d' padding must be >= 0, got -1
  %0 = graph.maxpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, -1>} : tensor<1x2x8x8xf32> -> tensor<1x2x4x4xf32>
  func.return %0 : tensor<1x2x4x4xf32>
}

// -----

func.func @pool_padding_over_half_kernel(%x: tensor<1x2x8x8xf32>) -> tensor<1x2x5x5xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.maxpool2d' padding 2 exceeds half the kernel size 3
  %0 = graph.maxpool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 2>} : tensor<1x2x8x8xf32> -> tensor<1x2x5x5xf32>
  func.return %0 : tensor<1x2x5x5xf32>
}

// -----

func.func @pool_window_too_large(%x: tensor<1x2x8x3xf32>) -> tensor<1x2x2x1xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.avgpool2d' window of extent 4 does not fit the padded input extent 3
  %0 = graph.avgpool2d %x {kernel = array<i64: 4, 4>, stride = array<i64: 4, 4>, padding = array<i64: 0, 0>} : tensor<1x2x8x3xf32> -> tensor<1x2x2x1xf32>
  func.return %0 : tensor<1x2x2x1xf32>
}

// -----

func.func @pool_wrong_result(%x: tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.maxpool2d' result type tensor<1x2x4x4xf32> differs from the inferred tensor<1x2x7x7xf32>
  %0 = graph.maxpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x2x8x8xf32> -> tensor<1x2x4x4xf32>
  func.return %0 : tensor<1x2x4x4xf32>
}

// -----

func.func @pool_wrong_element(%x: tensor<1x2x8x8xi8>) -> tensor<1x2x4x4xi32> {
  // CHECK: conv_pool-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.avgpool2d' result type tensor<1x2x4x4xi32> differs from the inferred tensor<1x2x4x4xi8>
  %0 = graph.avgpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x8x8xi8> -> tensor<1x2x4x4xi32>
  func.return %0 : tensor<1x2x4x4xi32>
}
