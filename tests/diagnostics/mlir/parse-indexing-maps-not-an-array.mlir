// EXPECT: parse-indexing-maps-not-an-array.mlir:4:3: error: cannot parse this: AssertionError (xDSL's parser failed on it)
func.func @f(%a: tensor<3xf32>) {
  %e = tensor.empty() : tensor<3xf32>
  %s = linalg.generic {indexing_maps} ins(%a : tensor<3xf32>) outs(%e : tensor<3xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<3xf32>
  func.return
}
