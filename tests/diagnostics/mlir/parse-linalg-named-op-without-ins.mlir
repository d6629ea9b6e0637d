// EXPECT: parse-linalg-named-op-without-ins.mlir:3:3: error: cannot parse this: tuple index out of range (xDSL's parser failed on it)
func.func @f(%c: memref<8x16xf32>) {
  linalg.matmul outs(%c : memref<8x16xf32>)
  func.return
}
