// RUN: tessera-opt %s -p 'schedule{parallel=3}'
// EXPECT: parallel-loop-out-of-range.mlir:4:3: error: schedule of 'linalg.matmul': parallelize: loop 3 does not exist (loops are 0..2)
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
