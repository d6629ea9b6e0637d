// RUN: tessera-opt %s -p schedule
// EXPECT: attr-bad-dataflow.mlir:4:3: error: 'tessera.schedule': schedule: dataflow: expected one of os, ws, is, got 'rs'
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul {tessera.schedule = {dataflow = "rs"}} ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
