// EXPECT: verify-pooling-three-dilations.mlir:3:3: error: 'linalg.pooling_nchw_max' cannot be verified: too many values to unpack (expected 2) (xDSL's verifier failed on it)
func.func @f(%x: memref<1x1x4x4xf32>, %w: memref<2x2xf32>, %y: memref<1x1x2x2xf32>) {
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<3xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : memref<1x1x4x4xf32>, memref<2x2xf32>) outs(%y : memref<1x1x2x2xf32>)
  func.return
}
