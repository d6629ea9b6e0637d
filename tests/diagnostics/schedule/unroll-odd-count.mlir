// RUN: tessera-opt %s -p 'schedule{unroll=1,2,3}'
// EXPECT: error: schedule of 'linalg.matmul': unroll: expected pairs, got an odd number of values
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
