// EXPECT: verify-scf-while-block-argument-types.mlir:3:3: error: 'scf.while' cannot be verified: Block arguments with wrong type, expected f32, got i32 (xDSL's verifier failed on it)
func.func @f(%n: i32) {
  %r = scf.while (%i = %n) : (i32) -> f32 {
    %c = arith.cmpi slt, %i, %n : i32
    scf.condition(%c) %i : i32
  } do {
  ^bb0(%j: i32):
    scf.yield %j : i32
  }
  func.return
}
