// EXPECT: error: 0 : i64 should be of base attribute npu.region
builtin.module {
  npu.compute {c = 0 : i64, a = #npu.region<sp[0], 16, 16>, b = #npu.region<sp[256], 16, 16>, accumulate = false}
}
