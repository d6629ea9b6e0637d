// EXPECT: vector-shapes-differ.mlir:3:3: error: 'npu.vector' the regions differ in shape
builtin.module {
  npu.vector {op = "add", dst = #npu.region<sp[0], 16, 16>, a = #npu.region<sp[256], 16, 16>, b = #npu.region<sp[512], 8, 16>, imm = 0.0 : f64}
}
