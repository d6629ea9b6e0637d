// RUN: tessera-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @widen_float(%a: tensor<4xf32>) -> tensor<4xi32> {
  // CHECK: quantize-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.widen' needs an integer tensor, got f32
  %0 = graph.widen %a : tensor<4xf32> -> tensor<4xi32>
  func.return %0 : tensor<4xi32>
}

// -----

func.func @requantize_to_i32(%a: tensor<4xi32>) -> tensor<4xi32> {
  // CHECK: error: 'graph.requantize' result type tensor<4xi32> differs from the inferred tensor<4xi8>
  %0 = graph.requantize %a {scale = 0.5 : f64} : tensor<4xi32> -> tensor<4xi32>
  func.return %0 : tensor<4xi32>
}

// -----

func.func @requantize_negative_scale(%a: tensor<4xi32>) -> tensor<4xi8> {
  // CHECK: error: 'graph.requantize' the scale must be positive, got -0.5
  %0 = graph.requantize %a {scale = -0.5 : f64} : tensor<4xi32> -> tensor<4xi8>
  func.return %0 : tensor<4xi8>
}
