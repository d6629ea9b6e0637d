// EXPECT: parse-expand-shape-size-beyond-int64.mlir:4:3: error: 'tensor.expand_shape': output_shape lists [-9223372036854775808, 2] with 1 dynamic size(s) for 0 dynamic operand(s) (sizes are non-negative int64 values)
// A size beyond int64 wraps onto xDSL's dynamic-size marker (found by fuzzing the reader).
func.func @f(%x: tensor<4xf32>) -> tensor<2x2xf32> {
  %y = tensor.expand_shape %x [[0, 1]] output_shape [9223372036854775808, 2] : tensor<4xf32> into tensor<2x2xf32>
  func.return %y : tensor<2x2xf32>
}
