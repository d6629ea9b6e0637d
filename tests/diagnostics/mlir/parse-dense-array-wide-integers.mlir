// EXPECT: parse-dense-array-wide-integers.mlir:3:32
// EXPECT-LAST: xDSL cannot hold i640 elements in a dense literal or array (integers of at most 64 bits)
func.func @f() attributes {a = array<i640: 1>} {
  func.return
}
