func.func @on_memrefs(%x: memref<1x1x3x3xf32>, %w: memref<1x1x2x2xf32>, %o: memref<1x1x2x2xf32>) {
  linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x1x3x3xf32>, memref<1x1x2x2xf32>) outs(%o : memref<1x1x2x2xf32>)
  func.return
}
