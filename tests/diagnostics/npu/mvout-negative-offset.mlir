// EXPECT: mvout-negative-offset.mlir:3:3: error: 'npu.mvout' a 16x16 move at offset -16, stride 16 leaves the 256 elements of memref<16x16xf32>
func.func @g(%a: memref<16x16xf32>) {
  npu.mvout %a {src = #npu.region<acc[0], 16, 16>, offset = -16 : i64, stride = 16 : i64, act = "none", scale = 1.0 : f64} : memref<16x16xf32>
  func.return
}
