// EXPECT: parse-float-constant-out-of-range.mlir:4:23
// EXPECT-LAST: the value is too large for its floating-point type
func.func @f() {
  %0 = arith.constant dense<1.0e39> : tensor<2xf32>
  func.return
}
