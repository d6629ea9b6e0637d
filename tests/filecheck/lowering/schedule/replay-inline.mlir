// The script may also travel inside the payload module, as MLIR's transform interpreter
// expects; a step that makes the schedule illegal is reported at the payload op.
// RUN: tessera-opt %s -p transform-interpreter | filecheck %s
// RUN: sed 's/width = 4/width = 3/' %s | not tessera-opt -p transform-interpreter 2>&1 | filecheck %s --check-prefix=BAD

// CHECK-LABEL: func.func @mm(
// CHECK: vector.load %{{.*}} : memref<7x8xf32>, vector<4xf32>
// CHECK-NOT: transform.
// BAD: error: schedule of 'linalg.matmul': vectorize: width 3 is not one of [1, 2, 4, 8, 16, 32, 64] (at transform.tessera.vectorize)
builtin.module {
  func.func @mm(%a: memref<8x7xf32>, %b: memref<7x8xf32>, %c: memref<8x8xf32> {tessera.out}) {
    linalg.matmul ins(%a, %b : memref<8x7xf32>, memref<7x8xf32>) outs(%c : memref<8x8xf32>)
    func.return
  }
  builtin.module attributes {transform.with_named_sequence} {
    transform.named_sequence @__transform_main(%root : !transform.any_op {transform.readonly}) {
      %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
      transform.tessera.interchange %mm {order = array<i64: 0, 2, 1>} : !transform.any_op
      transform.tessera.vectorize %mm {width = 4 : i64} : !transform.any_op
      %lowered = transform.apply_registered_pass "schedule" to %root : (!transform.any_op) -> !transform.any_op
      transform.yield
    }
  }
}
