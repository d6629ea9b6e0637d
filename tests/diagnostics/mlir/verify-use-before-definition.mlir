// EXPECT: verify-use-before-definition.mlir:5:3: error: 'scf.for': operand #3 is used before its definition (it is defined inside the op)
func.func @f() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = scf.for %i = %c0 to %c1 step %c1 iter_args(%x = %s) -> (i32) {
    %s = arith.addi %x, %x : i32
    scf.yield %s : i32
  }
  func.return
}
