// RUN: tessera-opt %s -p 'schedule{order=1,0}'
// EXPECT: order-too-short.mlir:4:3: error: schedule of 'linalg.matmul': interchange: order [1, 0] is not a permutation of the 3 loops 0..2
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
