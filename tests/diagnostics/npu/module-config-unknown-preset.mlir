// EXPECT: error: npu config: no preset 'tpu-512' (presets: gemmini, tpu-128, tpu-256)
builtin.module attributes {npu.config = "tpu-512"} {
  npu.fence
}
