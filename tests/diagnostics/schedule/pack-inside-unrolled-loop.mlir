// RUN: tessera-opt %s -p 'schedule{unroll=0,2 pack=0,1}'
// EXPECT: pack-inside-unrolled-loop.mlir:4:3: error: schedule of 'linalg.matmul': pack: operand 0 is packed inside the unrolled loop d0; pack it outside
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
