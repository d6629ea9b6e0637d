// RUN: tessera-opt %s -p 'schedule{tiles=4,8,2,2,4}'
// EXPECT: error: schedule of 'linalg.matmul': tile: 5 sizes for 3 loop dimensions (give 3 sizes per level)
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
