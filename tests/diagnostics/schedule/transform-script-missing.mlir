// RUN: tessera-opt %s -p 'transform-interpreter{script="no-such-script.mlir"}'
// EXPECT: error: transform-interpreter: cannot read no-such-script.mlir: No such file or directory
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
