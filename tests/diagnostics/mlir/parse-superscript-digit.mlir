// EXPECT: parse-superscript-digit.mlir:3:25
// EXPECT-LAST: unexpected character '²': numbers are written with the digits 0-9
func.func @f(%a: tensor<²xf32>) {
  func.return
}
