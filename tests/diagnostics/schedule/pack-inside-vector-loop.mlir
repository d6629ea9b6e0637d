// RUN: tessera-opt %s -p 'schedule{order=0,2,1 vector=8 pack=1,3}'
// EXPECT: pack-inside-vector-loop.mlir:4:3: error: schedule of 'linalg.matmul': pack: depth 3 is inside the vectorized loop; pack at most at depth 2
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
