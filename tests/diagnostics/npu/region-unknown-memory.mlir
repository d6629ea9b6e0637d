// EXPECT: region-unknown-memory.mlir:4:38
// EXPECT-LAST: expected a memory (sp, acc), got dram
builtin.module {
  npu.preload {src = #npu.region<dram[0], 16, 16>}
}
