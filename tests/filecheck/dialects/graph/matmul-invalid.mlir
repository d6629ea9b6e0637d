// RUN: tessera-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Each shape rule of graph.matmul, violated once.

func.func @inner_dims_differ(%a: tensor<4x3xf32>, %b: tensor<4x5xf32>) -> tensor<4x5xf32> {
  // CHECK: matmul-invalid.mlir:[[# @LINE + 3]]:3: error: 'graph.matmul' inner dimensions differ (3 vs 4) in [4, 3] @ [4, 5]
  // CHECK-NEXT: %0 = graph.matmul %a, %b : (tensor<4x3xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
  // CHECK-NEXT: {{^ *\^$}}
  %0 = graph.matmul %a, %b : (tensor<4x3xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
  func.return %0 : tensor<4x5xf32>
}

// -----

func.func @lhs_rank_one(%a: tensor<3xf32>, %b: tensor<3x5xf32>) -> tensor<5xf32> {
  // CHECK: matmul-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.matmul' operands must have rank >= 2, got [3] and [3, 5]
  %0 = graph.matmul %a, %b : (tensor<3xf32>, tensor<3x5xf32>) -> tensor<5xf32>
  func.return %0 : tensor<5xf32>
}

// -----

func.func @rhs_rank_zero(%a: tensor<4x3xf32>, %b: tensor<f32>) -> tensor<4x3xf32> {
  // CHECK: matmul-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.matmul' operands must have rank >= 2, got [4, 3] and []
  %0 = graph.matmul %a, %b : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  func.return %0 : tensor<4x3xf32>
}

// -----

func.func @batch_not_broadcastable(%a: tensor<2x4x3xf32>, %b: tensor<3x3x5xf32>) -> tensor<3x4x5xf32> {
  // CHECK: matmul-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.matmul' batch dimensions [2] and [3] do not broadcast in
  %0 = graph.matmul %a, %b : (tensor<2x4x3xf32>, tensor<3x3x5xf32>) -> tensor<3x4x5xf32>
  func.return %0 : tensor<3x4x5xf32>
}

// -----

func.func @element_types_differ(%a: tensor<4x3xi8>, %b: tensor<3x5xi32>) -> tensor<4x5xi32> {
  // CHECK: matmul-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.matmul' operand element types differ (i8 vs i32)
  %0 = graph.matmul %a, %b : (tensor<4x3xi8>, tensor<3x5xi32>) -> tensor<4x5xi32>
  func.return %0 : tensor<4x5xi32>
}

// -----

func.func @wrong_result_shape(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>) -> tensor<5x4xf32> {
  // CHECK: matmul-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.matmul' result type tensor<5x4xf32> differs from the inferred tensor<4x5xf32>
  %0 = graph.matmul %a, %b : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<5x4xf32>
  func.return %0 : tensor<5x4xf32>
}

// -----

func.func @batch_dims_dropped(%a: tensor<2x4x3xf32>, %b: tensor<3x5xf32>) -> tensor<4x5xf32> {
  // CHECK: matmul-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.matmul' result type tensor<4x5xf32> differs from the inferred tensor<2x4x5xf32>
  %0 = graph.matmul %a, %b : (tensor<2x4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
  func.return %0 : tensor<4x5xf32>
}

// -----

// An op with a written location reports its error there.
func.func @error_at_written_location(%a: tensor<4x3xf32>, %b: tensor<4x5xf32>) -> tensor<4x5xf32> {
  // CHECK: {{^}}prog.tsr:12:7: error: 'graph.matmul' inner dimensions differ (3 vs 4) in [4, 3] @ [4, 5]
  %0 = graph.matmul %a, %b : (tensor<4x3xf32>, tensor<4x5xf32>) -> tensor<4x5xf32> loc("prog.tsr":12:7)
  func.return %0 : tensor<4x5xf32>
}
