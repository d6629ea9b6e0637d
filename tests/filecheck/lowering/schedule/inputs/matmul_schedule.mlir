builtin.module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root : !transform.any_op {transform.readonly}) {
    %op0 = transform.structured.match ops{["linalg.matmul"]} filter_operand_types = [memref<8x7xf32>, memref<7x8xf32>, memref<8x8xf32>] in %root : (!transform.any_op) -> !transform.any_op
    transform.tessera.tile %op0 {sizes = array<i64: 4, 8, 3>} : !transform.any_op
    transform.tessera.tile %op0 {sizes = array<i64: 2, 4, 3>} : !transform.any_op
    transform.tessera.interchange %op0 {order = array<i64: 1, 2, 0, 4, 3, 5, 8, 6, 7>} : !transform.any_op
    transform.tessera.pack %op0 {depth = 2 : i64, operand = 1 : i64} : !transform.any_op
    transform.tessera.pack %op0 {depth = 3 : i64, operand = 0 : i64} : !transform.any_op
    transform.tessera.vectorize %op0 {width = 4 : i64} : !transform.any_op
    transform.tessera.unroll %op0 {factor = 2 : i64, loop = 6 : i64} : !transform.any_op
    transform.tessera.parallelize %op0 {loop = 0 : i64} : !transform.any_op
    %lowered = transform.apply_registered_pass "schedule" to %root : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}
