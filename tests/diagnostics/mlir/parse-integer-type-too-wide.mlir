// EXPECT: parse-integer-type-too-wide.mlir:4:27
// EXPECT-LAST: integer type i99999999999999999999 is too wide (at most 16777215 bits)
func.func @f() {
  %0 = arith.constant 0 : i99999999999999999999
  func.return
}
