// RUN: tessera-opt %s -p linalg-to-loops --split-input-file --verify-diagnostics | filecheck %s

// linalg on tensors is bufferize's job; the error points at the op.

func.func @on_tensors(%a: tensor<2x2xf32>, %b: tensor<2x2xf32>, %c: tensor<2x2xf32>) -> tensor<2x2xf32> {
  // CHECK: errors.mlir:[[# @LINE + 1]]:3: error: linalg-to-loops: 'linalg.matmul' works on tensors; run bufferize first
  %m = linalg.matmul ins(%a, %b : tensor<2x2xf32>, tensor<2x2xf32>) outs(%c : tensor<2x2xf32>) -> tensor<2x2xf32>
  func.return %m : tensor<2x2xf32>
}

// -----

func.func @reduce_on_tensors(%a: tensor<2x2xf32>, %c: tensor<2xf32>) -> tensor<2xf32> {
  // CHECK: errors.mlir:[[# @LINE + 1]]:3: error: linalg-to-loops: 'linalg.reduce' works on tensors; run bufferize first
  %r = linalg.reduce ins(%a : tensor<2x2xf32>) outs(%c : tensor<2xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  func.return %r : tensor<2xf32>
}
