// EXPECT: parse-hex-float-too-wide.mlir:4:23
// EXPECT-LAST: hexadecimal literal 0x255FC00000 is wider than its floating-point type
func.func @f() {
  %0 = arith.constant 0x255FC00000 : f32
  func.return
}
