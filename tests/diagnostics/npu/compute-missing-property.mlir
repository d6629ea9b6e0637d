// EXPECT: compute-missing-property.mlir:3:3: error: 'npu.compute' property 'b' expected in operation 'npu.compute'
builtin.module {
  npu.compute {c = #npu.region<acc[0], 16, 16>, a = #npu.region<sp[0], 16, 16>, accumulate = false}
}
