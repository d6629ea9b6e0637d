// EXPECT: verify-affine-map-mod-zero.mlir:3:3: error: 'linalg.generic' cannot be verified: integer modulo by zero (xDSL's verifier failed on it)
func.func @f(%x: memref<8xf32>, %y: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0 mod 0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : memref<8xf32>) outs(%y : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  func.return
}
