// EXPECT: error: npu config: rows must be a positive integer, got 0
builtin.module attributes {npu.config = "gemmini,rows=0"} {
  npu.fence
}
