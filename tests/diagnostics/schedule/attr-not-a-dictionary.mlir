// RUN: tessera-opt %s -p schedule
// EXPECT: attr-not-a-dictionary.mlir:4:3: error: 'tessera.schedule' must be a dictionary attribute
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul {tessera.schedule = "tile everything"} ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
