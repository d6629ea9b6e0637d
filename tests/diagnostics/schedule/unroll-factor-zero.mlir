// RUN: tessera-opt %s -p 'schedule{unroll=1,0}'
// EXPECT: unroll-factor-zero.mlir:4:3: error: schedule of 'linalg.matmul': unroll: factor 0 for d1 must be at least 1
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
