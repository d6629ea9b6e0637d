// RUN: tessera-opt %s -p 'schedule{tile=4,4,4}'
// EXPECT-RE: (tessera-opt: )?error: .*tile.*
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
