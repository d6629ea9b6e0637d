// EXPECT: vector-unknown-op.mlir:3:3: error: 'npu.vector' op must be one of add, sub, mul, div, max, min, relu, exp, copy, scale
builtin.module {
  npu.vector {op = "pow", dst = #npu.region<sp[0], 16, 16>, a = #npu.region<sp[256], 16, 16>, imm = 0.0 : f64}
}
