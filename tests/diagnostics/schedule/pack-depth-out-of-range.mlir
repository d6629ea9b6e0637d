// RUN: tessera-opt %s -p 'schedule{pack=0,7}'
// EXPECT: pack-depth-out-of-range.mlir:4:3: error: schedule of 'linalg.matmul': pack: depth 7 is outside 0..3
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
