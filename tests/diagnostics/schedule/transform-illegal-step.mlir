// RUN: tessera-opt %s -p transform-interpreter
// EXPECT: transform-illegal-step.mlir:4:3: error: schedule of 'linalg.matmul': vectorize: width 3 is not one of [1, 2, 4, 8, 16, 32, 64] (at transform.tessera.vectorize)
func.func @mm(%a: memref<8x6xf32>, %b: memref<6x16xf32>, %c: memref<8x16xf32> {tessera.out}) {
  linalg.matmul ins(%a, %b : memref<8x6xf32>, memref<6x16xf32>) outs(%c : memref<8x16xf32>)
  func.return
}
builtin.module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root : !transform.any_op {transform.readonly}) {
    %op0 = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.tessera.vectorize %op0 {width = 3 : i64} : !transform.any_op
    %lowered = transform.apply_registered_pass "schedule" to %root : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}
