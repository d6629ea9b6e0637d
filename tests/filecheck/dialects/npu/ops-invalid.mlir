// RUN: tessera-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Each verifier rule of the npu ops, violated once (a 16x16 array, 256 KiB scratchpad and
// 64 KiB accumulator: 65536 and 16384 f32 elements).

builtin.module attributes {npu.config = "gemmini"} {
  // CHECK: ops-invalid.mlir:[[# @LINE + 1]]:3: error: 'npu.compute' under os the 32x16x16 tile maps 32x16 onto the 16x16 array
  npu.compute {c = #npu.region<acc[0], 32, 16>, a = #npu.region<sp[0], 32, 16>, b = #npu.region<sp[512], 16, 16>, accumulate = false}
}

// -----

builtin.module attributes {npu.config = "gemmini,dataflow=ws"} {
  // CHECK: error: 'npu.compute' under ws the 64x32x16 tile maps 32x16 onto the 16x16 array
  npu.compute {c = #npu.region<acc[0], 64, 16>, a = #npu.region<sp[0], 64, 32>, b = #npu.region<sp[4096], 32, 16>, accumulate = false}
}

// -----

builtin.module {
  // CHECK: error: 'npu.compute' shapes do not chain: c 16x16 = a 16x8 · b 16x16
  npu.compute {c = #npu.region<acc[0], 16, 16>, a = #npu.region<sp[0], 16, 8>, b = #npu.region<sp[512], 16, 16>, accumulate = true}
}

// -----

builtin.module {
  // CHECK: error: 'npu.compute' a and b are scratchpad regions, c an accumulator region
  npu.compute {c = #npu.region<sp[0], 16, 16>, a = #npu.region<sp[0], 16, 16>, b = #npu.region<sp[512], 16, 16>, accumulate = true}
}

// -----

builtin.module {
  // CHECK: error: 'npu.preload' sp[0:32x16] must be a tile of the scratchpad that fits the 16x16 array
  npu.preload {src = #npu.region<sp[0], 32, 16>}
}

// -----

builtin.module {
  // CHECK: error: 'npu.compute' acc[16380:16x16] ends past the acc (16384 elements in this configuration)
  npu.compute {c = #npu.region<acc[16380], 16, 16>, a = #npu.region<sp[0], 16, 16>, b = #npu.region<sp[512], 16, 16>, accumulate = true}
}

// -----

builtin.module attributes {npu.config = "gemmini"} {
  func.func @f(%a: memref<64x48xf32>) {
    // CHECK: error: 'npu.mvin' sp[65280:16x48] ends past the sp (65536 elements in this configuration)
    npu.mvin %a {dst = #npu.region<sp[65280], 16, 48>, offset = 0 : i64, stride = 48 : i64} : memref<64x48xf32>
    func.return
  }
}

// -----

func.func @g(%a: memref<64x48xf32>) {
  // CHECK: error: 'npu.mvin' a 16x48 move at offset 2400, stride 48 leaves the 3072 elements of memref<64x48xf32>
  npu.mvin %a {dst = #npu.region<sp[0], 16, 48>, offset = 2400 : i64, stride = 48 : i64} : memref<64x48xf32>
  func.return
}

// -----

func.func @h(%c: memref<16x16xf32>) {
  // CHECK: error: 'npu.mvout' act must be one of none, relu
  npu.mvout %c {src = #npu.region<acc[0], 16, 16>, offset = 0 : i64, stride = 16 : i64, act = "gelu", scale = 1.0 : f64} : memref<16x16xf32>
  func.return
}

// -----

builtin.module {
  // CHECK: error: 'npu.vector' 'add' takes two operands
  npu.vector {op = "add", dst = #npu.region<acc[0], 4, 4>, a = #npu.region<acc[16], 4, 4>, imm = 1.0 : f64}
}

// -----

builtin.module {
  // CHECK: error: 'npu.config' dataflow must be one of os, ws, is, got 'rs'
  npu.config {dataflow = "rs"}
}
