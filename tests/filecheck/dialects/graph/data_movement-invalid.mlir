// RUN: tessera-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Each shape rule of the data-movement ops, violated once.

func.func @perm_repeats(%x: tensor<2x3x5xf32>) -> tensor<3x3x5xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 3]]:3: error: 'graph.transpose' perm [1, 1, 2] is not a permutation of the 3 dimensions of [2, 3, 5]
  // CHECK-NEXT: %0 = graph.transpose %x {perm = array<i64: 1, 1, 2>} : tensor<2x3x5xf32> -> tensor<3x3x5xf32>
  // CHECK-NEXT: {{^ *\^$}}
  %0 = graph.transpose %x {perm = array<i64: 1, 1, 2>} : tensor<2x3x5xf32> -> tensor<3x3x5xf32>
  func.return %0 : tensor<3x3x5xf32>
}

// -----

func.func @perm_too_short(%x: tensor<2x3x5xf32>) -> tensor<3x2xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.transpose' perm [1, 0] is not a permutation of the 3 dimensions of [2, 3, 5]
  %0 = graph.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3x5xf32> -> tensor<3x2xf32>
  func.return %0 : tensor<3x2xf32>
}

// -----

func.func @perm_out_of_range(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.transpose' perm [2, 0] is not a permutation of the 2 dimensions of [2, 3]
  %0 = graph.transpose %x {perm = array<i64: 2, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  func.return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_wrong_result(%x: tensor<2x3x5xf32>) -> tensor<5x3x2xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.transpose' result type tensor<5x3x2xf32> differs from the inferred tensor<5x2x3xf32>
  %0 = graph.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<2x3x5xf32> -> tensor<5x3x2xf32>
  func.return %0 : tensor<5x3x2xf32>
}

// -----

func.func @reshape_element_count(%x: tensor<2x3x5xf32>) -> tensor<4x8xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.reshape' cannot reshape [2, 3, 5] (30 elements) to [4, 8]
  %0 = graph.reshape %x : tensor<2x3x5xf32> -> tensor<4x8xf32>
  func.return %0 : tensor<4x8xf32>
}

// -----

func.func @reshape_element_type(%x: tensor<6xf32>) -> tensor<2x3xf64> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.reshape' result type tensor<2x3xf64> differs from the inferred tensor<2x3xf32>
  %0 = graph.reshape %x : tensor<6xf32> -> tensor<2x3xf64>
  func.return %0 : tensor<2x3xf64>
}

// -----

func.func @broadcast_dim_mismatch(%x: tensor<3x2xf32>) -> tensor<4x3x4xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.broadcast_to' cannot broadcast [3, 2] to [4, 3, 4]
  %0 = graph.broadcast_to %x : tensor<3x2xf32> -> tensor<4x3x4xf32>
  func.return %0 : tensor<4x3x4xf32>
}

// -----

func.func @broadcast_to_lower_rank(%x: tensor<1x3xf32>) -> tensor<3xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.broadcast_to' cannot broadcast [1, 3] to [3]
  %0 = graph.broadcast_to %x : tensor<1x3xf32> -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @broadcast_element_type(%x: tensor<3xi8>) -> tensor<2x3xi32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.broadcast_to' result type tensor<2x3xi32> differs from the inferred tensor<2x3xi8>
  %0 = graph.broadcast_to %x : tensor<3xi8> -> tensor<2x3xi32>
  func.return %0 : tensor<2x3xi32>
}

// -----

func.func @concat_shapes_differ(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x8xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.concat' shapes [2, 3] and [4, 5] differ outside axis 1
  %0 = graph.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x8xf32>
  func.return %0 : tensor<2x8xf32>
}

// -----

func.func @concat_ranks_differ(%a: tensor<2x3xf32>, %b: tensor<2x3x1xf32>) -> tensor<4x3xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.concat' shapes [2, 3] and [2, 3, 1] differ outside axis 0
  %0 = graph.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x3x1xf32>) -> tensor<4x3xf32>
  func.return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_axis_out_of_range(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.concat' axis 2 is out of range for a tensor of rank 2
  %0 = graph.concat %a {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}

// -----

func.func @concat_rank_zero(%a: tensor<f32>, %b: tensor<f32>) -> tensor<2xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.concat' cannot concatenate rank-0 tensors
  %0 = graph.concat %a, %b {axis = 0 : i64} : (tensor<f32>, tensor<f32>) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @concat_element_types_differ(%a: tensor<2xf32>, %b: tensor<2xi32>) -> tensor<4xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.concat' operand element types differ (f32 vs i32)
  %0 = graph.concat %a, %b {axis = 0 : i64} : (tensor<2xf32>, tensor<2xi32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// -----

func.func @concat_no_inputs() -> tensor<2xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.concat' needs at least one tensor
  %0 = graph.concat {axis = 0 : i64} : () -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @concat_wrong_result(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>) -> tensor<4x8xf32> {
  // CHECK: data_movement-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.concat' result type tensor<4x8xf32> differs from the inferred tensor<2x8xf32>
  %0 = graph.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<4x8xf32>
  func.return %0 : tensor<4x8xf32>
}
