// RUN: tessera-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Each shape rule of graph.slice, graph.pad and graph.step, violated once.

func.func @slice_zero_stride(%x: tensor<4x6xf32>) -> tensor<2x3xf32> {
  // CHECK: slice_pad_step-invalid.mlir:[[# @LINE + 3]]:3: error: 'graph.slice' the stride of dimension 1 must be non-zero, got 0
  // CHECK-NEXT: %0 = graph.slice %x {starts = array<i64: 0, 1>, sizes = array<i64: 2, 3>, strides = array<i64: 1, 0>} : tensor<4x6xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: {{^ *\^$}}
  %0 = graph.slice %x {starts = array<i64: 0, 1>, sizes = array<i64: 2, 3>, strides = array<i64: 1, 0>} : tensor<4x6xf32> -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}

// -----

func.func @slice_past_the_end(%x: tensor<4x6xf32>) -> tensor<2x3xf32> {
  // CHECK: slice_pad_step-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.slice' dimension 1 reads indices 2 to 6 (start 2, size 3, stride 2), out of range for extent 6 of [4, 6]
  %0 = graph.slice %x {starts = array<i64: 0, 2>, sizes = array<i64: 2, 3>, strides = array<i64: 1, 2>} : tensor<4x6xf32> -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}

// -----

func.func @slice_negative_stride_below_zero(%x: tensor<4x6xf32>) -> tensor<3x6xf32> {
  // CHECK: slice_pad_step-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.slice' dimension 0 reads indices 1 to -1 (start 1, size 3, stride -1), out of range for extent 4 of [4, 6]
  %0 = graph.slice %x {starts = array<i64: 1, 0>, sizes = array<i64: 3, 6>, strides = array<i64: -1, 1>} : tensor<4x6xf32> -> tensor<3x6xf32>
  func.return %0 : tensor<3x6xf32>
}

// -----

func.func @slice_start_out_of_range(%x: tensor<4x6xf32>) -> tensor<1x6xf32> {
  // CHECK: slice_pad_step-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.slice' dimension 0 reads indices 4 to 4 (start 4, size 1, stride 1), out of range for extent 4 of [4, 6]
  %0 = graph.slice %x {starts = array<i64: 4, 0>, sizes = array<i64: 1, 6>, strides = array<i64: 1, 1>} : tensor<4x6xf32> -> tensor<1x6xf32>
  func.return %0 : tensor<1x6xf32>
}

// -----

func.func @slice_empty(%x: tensor<4x6xf32>) -> tensor<0x6xf32> {
  // CHECK: slice_pad_step-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.slice' the size of dimension 0 must be > 0, got 0
  %0 = graph.slice %x {starts = array<i64: 0, 0>, sizes = array<i64: 0, 6>, strides = array<i64: 1, 1>} : tensor<4x6xf32> -> tensor<0x6xf32>
  func.return %0 : tensor<0x6xf32>
}

// -----

func.func @slice_rank(%x: tensor<4x6xf32>) -> tensor<2x3xf32> {
  // CHECK: slice_pad_step-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.slice' strides [1] needs one value per dimension of [4, 6] (2), got 1
  %0 = graph.slice %x {starts = array<i64: 0, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 1>} : tensor<4x6xf32> -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}

// -----

func.func @slice_wrong_result(%x: tensor<4x6xf32>) -> tensor<3x2xf32> {
  // CHECK: slice_pad_step-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.slice' result type tensor<3x2xf32> differs from the inferred tensor<2x3xf32>
  %0 = graph.slice %x {starts = array<i64: 0, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 1, 1>} : tensor<4x6xf32> -> tensor<3x2xf32>
  func.return %0 : tensor<3x2xf32>
}

// -----

func.func @pad_negative(%x: tensor<4x6xf32>) -> tensor<4x5xf32> {
  // CHECK: slice_pad_step-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.pad' high padding of dimension 1 must be >= 0, got -1 (input [4, 6])
  %0 = graph.pad %x {low = array<i64: 0, 0>, high = array<i64: 0, -1>, interior = array<i64: 0, 0>} : tensor<4x6xf32> -> tensor<4x5xf32>
  func.return %0 : tensor<4x5xf32>
}

// -----

func.func @pad_negative_interior(%x: tensor<4x6xf32>) -> tensor<1x6xf32> {
  // CHECK: slice_pad_step-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.pad' interior padding of dimension 0 must be >= 0, got -1 (input [4, 6])
  %0 = graph.pad %x {low = array<i64: 0, 0>, high = array<i64: 0, 0>, interior = array<i64: -1, 0>} : tensor<4x6xf32> -> tensor<1x6xf32>
  func.return %0 : tensor<1x6xf32>
}

// -----

func.func @pad_rank(%x: tensor<4x6xf32>) -> tensor<5x6xf32> {
  // CHECK: slice_pad_step-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.pad' low [1, 0, 0] needs one value per dimension of [4, 6] (2), got 3
  %0 = graph.pad %x {low = array<i64: 1, 0, 0>, high = array<i64: 0, 0>, interior = array<i64: 0, 0>} : tensor<4x6xf32> -> tensor<5x6xf32>
  func.return %0 : tensor<5x6xf32>
}

// -----

func.func @pad_wrong_result(%x: tensor<4x6xf32>) -> tensor<8x6xf32> {
  // CHECK: slice_pad_step-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.pad' result type tensor<8x6xf32> differs from the inferred tensor<7x6xf32>
  %0 = graph.pad %x {low = array<i64: 0, 0>, high = array<i64: 0, 0>, interior = array<i64: 1, 0>} : tensor<4x6xf32> -> tensor<8x6xf32>
  func.return %0 : tensor<8x6xf32>
}

// -----

func.func @step_changes_type(%x: tensor<4xi32>) -> tensor<4xf32> {
  // CHECK: slice_pad_step-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.step' result type tensor<4xf32> differs from the inferred tensor<4xi32>
  %0 = graph.step %x : tensor<4xi32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
