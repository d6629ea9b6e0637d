// RUN: tessera-opt %s -p 'schedule{vector=wide}'
// EXPECT-RE: (tessera-opt: )?error: .*vector.*wide.*
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
