// RUN: tessera-opt %s -p bufferize --split-input-file --verify-diagnostics | filecheck %s

// An op bufferize does not know is reported at its source line.

func.func @reshape(%x: tensor<4xf32>) -> tensor<2x2xf32> {
  // CHECK: errors.mlir:[[# @LINE + 1]]:3: error: bufferize: cannot bufferize 'tensor.expand_shape' on tensors
  %r = tensor.expand_shape %x [[0, 1]] output_shape [2, 2] : tensor<4xf32> into tensor<2x2xf32>
  func.return %r : tensor<2x2xf32>
}

// -----

func.func @tensor_arith(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: errors.mlir:[[# @LINE + 1]]:3: error: bufferize: cannot bufferize 'arith.addf' on tensors
  %r = arith.addf %x, %x : tensor<4xf32>
  func.return %r : tensor<4xf32>
}
