// RUN: tessera-opt %s -p 'schedule{pack=0,1,0,2}'
// EXPECT: pack-operand-twice.mlir:4:3: error: schedule of 'linalg.matmul': pack: an operand is packed twice
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
