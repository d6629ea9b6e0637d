// EXPECT: parse-scalar-constant-out-of-range.mlir:4:23
// EXPECT-LAST: Integer value 300 is out of range for type i8 which supports values in the range [-128, 256)
func.func @f() {
  %0 = arith.constant 300 : i8
  func.return
}
