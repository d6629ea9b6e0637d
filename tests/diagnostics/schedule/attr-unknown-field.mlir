// RUN: tessera-opt %s -p schedule
// EXPECT: attr-unknown-field.mlir:4:3: error: 'tessera.schedule': schedule: unknown field(s) tile (fields: conv, dataflow, double_buffer, fuse, gpu, order, pack, parallel, tiles, unroll, vector)
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul {tessera.schedule = {tile = array<i64: 4, 4, 4>}} ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
