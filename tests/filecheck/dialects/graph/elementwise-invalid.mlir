// RUN: tessera-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Every rule of the constant, binary and unary ops, each violated once.

func.func @not_broadcastable(%a: tensor<4x3xf32>, %b: tensor<4xf32>) -> tensor<4x3xf32> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 3]]:3: error: 'graph.add' shapes [4, 3] and [4] do not broadcast (dimension 3 vs 4)
  // CHECK-NEXT: %0 = graph.add %a, %b : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  // CHECK-NEXT: {{^ *\^$}}
  %0 = graph.add %a, %b : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  func.return %0 : tensor<4x3xf32>
}

// -----

func.func @not_broadcastable_leading(%a: tensor<2x1x3xf32>, %b: tensor<5x4x3xf32>) -> tensor<5x4x3xf32> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.maximum' shapes [2, 1, 3] and [5, 4, 3] do not broadcast (dimension 2 vs 5)
  %0 = graph.maximum %a, %b : (tensor<2x1x3xf32>, tensor<5x4x3xf32>) -> tensor<5x4x3xf32>
  func.return %0 : tensor<5x4x3xf32>
}

// -----

func.func @element_types_differ(%a: tensor<4xf32>, %b: tensor<4xf64>) -> tensor<4xf32> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.mul' operand element types differ (f32 vs f64)
  %0 = graph.mul %a, %b : (tensor<4xf32>, tensor<4xf64>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// -----

func.func @int_element_types_differ(%a: tensor<4xi32>, %b: tensor<4xi8>) -> tensor<4xi32> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.div' operand element types differ (i32 vs i8)
  %0 = graph.div %a, %b : (tensor<4xi32>, tensor<4xi8>) -> tensor<4xi32>
  func.return %0 : tensor<4xi32>
}

// -----

func.func @wrong_broadcast_result(%a: tensor<4x1xf32>, %b: tensor<3xf32>) -> tensor<4x1xf32> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.sub' result type tensor<4x1xf32> differs from the inferred tensor<4x3xf32>
  %0 = graph.sub %a, %b : (tensor<4x1xf32>, tensor<3xf32>) -> tensor<4x1xf32>
  func.return %0 : tensor<4x1xf32>
}

// -----

func.func @wrong_result_element(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf64> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.minimum' result type tensor<4xf64> differs from the inferred tensor<4xf32>
  %0 = graph.minimum %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf64>
  func.return %0 : tensor<4xf64>
}

// -----

func.func @exp_of_int(%a: tensor<4xi32>) -> tensor<4xi32> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.exp' needs a floating-point tensor, got i32
  %0 = graph.exp %a : tensor<4xi32> -> tensor<4xi32>
  func.return %0 : tensor<4xi32>
}

// -----

func.func @log_of_int(%a: tensor<4xi8>) -> tensor<4xi8> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.log' needs a floating-point tensor, got i8
  %0 = graph.log %a : tensor<4xi8> -> tensor<4xi8>
  func.return %0 : tensor<4xi8>
}

// -----

func.func @sqrt_of_int(%a: tensor<2x2xi32>) -> tensor<2x2xi32> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.sqrt' needs a floating-point tensor, got i32
  %0 = graph.sqrt %a : tensor<2x2xi32> -> tensor<2x2xi32>
  func.return %0 : tensor<2x2xi32>
}

// -----

func.func @sigmoid_of_int(%a: tensor<i32>) -> tensor<i32> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.sigmoid' needs a floating-point tensor, got i32
  %0 = graph.sigmoid %a : tensor<i32> -> tensor<i32>
  func.return %0 : tensor<i32>
}

// -----

func.func @tanh_of_int(%a: tensor<3xi8>) -> tensor<3xi8> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.tanh' needs a floating-point tensor, got i8
  %0 = graph.tanh %a : tensor<3xi8> -> tensor<3xi8>
  func.return %0 : tensor<3xi8>
}

// -----

func.func @unary_wrong_shape(%a: tensor<4x3xf32>) -> tensor<3x4xf32> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.relu' result type tensor<3x4xf32> differs from the inferred tensor<4x3xf32>
  %0 = graph.relu %a : tensor<4x3xf32> -> tensor<3x4xf32>
  func.return %0 : tensor<3x4xf32>
}

// -----

func.func @unary_wrong_element(%a: tensor<4xi32>) -> tensor<4xi8> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.neg' result type tensor<4xi8> differs from the inferred tensor<4xi32>
  %0 = graph.neg %a : tensor<4xi32> -> tensor<4xi8>
  func.return %0 : tensor<4xi8>
}

// -----

func.func @constant_type_differs() -> tensor<3xf32> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.constant' value type tensor<2xf32> differs from the result type tensor<3xf32>
  %0 = "graph.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @operand_not_a_tensor(%a: f32) -> tensor<f32> {
  // CHECK: elementwise-invalid.mlir:[[# @LINE + 2]]:3: error: 'graph.exp' operand 'input' at position 0 does not verify:
  // CHECK-NEXT: f32 should be of base attribute tensor
  %0 = "graph.exp"(%a) : (f32) -> tensor<f32>
  func.return %0 : tensor<f32>
}
