// EXPECT: parse-constant-out-of-range.mlir:4:23
// EXPECT-LAST: Integer value 300 is out of range for type i8 which supports values in the range [-128, 256)
func.func @f() -> tensor<2xi8> {
  %0 = graph.constant dense<300> : tensor<2xi8>
  func.return %0 : tensor<2xi8>
}
