// RUN: tessera-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Each shape rule of graph.softmax and the reductions, violated once.

func.func @softmax_of_int(%x: tensor<4x3xi32>) -> tensor<4x3xi32> {
  // CHECK: reductions-invalid.mlir:[[# @LINE + 3]]:3: error: 'graph.softmax' needs a floating-point tensor, got i32
  // CHECK-NEXT: %0 = graph.softmax %x {axis = 1 : i64} : tensor<4x3xi32> -> tensor<4x3xi32>
  // CHECK-NEXT: {{^ *\^$}}
  %0 = graph.softmax %x {axis = 1 : i64} : tensor<4x3xi32> -> tensor<4x3xi32>
  func.return %0 : tensor<4x3xi32>
}

// -----

func.func @softmax_axis_out_of_range(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  // CHECK: reductions-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.softmax' axis 2 is out of range for a tensor of rank 2
  %0 = graph.softmax %x {axis = 2 : i64} : tensor<4x3xf32> -> tensor<4x3xf32>
  func.return %0 : tensor<4x3xf32>
}

// -----

func.func @softmax_negative_axis_out_of_range(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  // CHECK: reductions-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.softmax' axis -3 is out of range for a tensor of rank 2
  %0 = graph.softmax %x {axis = -3 : i64} : tensor<4x3xf32> -> tensor<4x3xf32>
  func.return %0 : tensor<4x3xf32>
}

// -----

func.func @softmax_rank_zero(%x: tensor<f32>) -> tensor<f32> {
  // CHECK: reductions-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.softmax' needs a tensor of rank >= 1
  %0 = graph.softmax %x {axis = 0 : i64} : tensor<f32> -> tensor<f32>
  func.return %0 : tensor<f32>
}

// -----

func.func @softmax_wrong_result(%x: tensor<4x3xf32>) -> tensor<4x1xf32> {
  // CHECK: reductions-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.softmax' result type tensor<4x1xf32> differs from the inferred tensor<4x3xf32>
  %0 = graph.softmax %x {axis = 1 : i64} : tensor<4x3xf32> -> tensor<4x1xf32>
  func.return %0 : tensor<4x1xf32>
}

// -----

func.func @sum_axis_out_of_range(%x: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: reductions-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.sum' axis 2 is out of range for a tensor of rank 2
  %0 = graph.sum %x {axes = array<i64: 2>, keepdims = false} : tensor<4x3xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// -----

func.func @max_axis_repeated(%x: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: reductions-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.max' axis 1 is repeated
  %0 = graph.max %x {axes = array<i64: 1, -1>, keepdims = false} : tensor<4x3xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// -----

func.func @mean_of_int(%x: tensor<4x3xi8>) -> tensor<4xi8> {
  // CHECK: reductions-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.mean' needs a floating-point tensor, got i8
  %0 = graph.mean %x {axes = array<i64: 1>, keepdims = false} : tensor<4x3xi8> -> tensor<4xi8>
  func.return %0 : tensor<4xi8>
}

// -----

func.func @keepdims_ignored(%x: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: reductions-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.sum' result type tensor<4xf32> differs from the inferred tensor<4x1xf32>
  %0 = graph.sum %x {axes = array<i64: 1>, keepdims = true} : tensor<4x3xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// -----

func.func @wrong_axis_reduced(%x: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: reductions-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.mean' result type tensor<4xf32> differs from the inferred tensor<3xf32>
  %0 = graph.mean %x {axes = array<i64: 0>, keepdims = false} : tensor<4x3xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// -----

func.func @missing_keepdims(%x: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: reductions-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.sum' property 'keepdims' expected in operation 'graph.sum'
  %0 = graph.sum %x {axes = array<i64: 1>} : tensor<4x3xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
