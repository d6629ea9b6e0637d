// EXPECT: vector-unary-with-two-operands.mlir:3:3: error: 'npu.vector' 'relu' takes one operand
builtin.module {
  npu.vector {op = "relu", dst = #npu.region<sp[0], 16, 16>, a = #npu.region<sp[256], 16, 16>, b = #npu.region<sp[512], 16, 16>, imm = 0.0 : f64}
}
