// RUN: tessera-opt %s -p schedule
// EXPECT: attr-illegal-schedule.mlir:4:3: error: schedule of 'linalg.matmul': tile: size 0 for d1 at level 0 (sizes must be at least 1; use the extent 16 to leave d1 untiled)
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul {tessera.schedule = {tiles = [array<i64: 4, 0, 4>]}} ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
