// RUN: tessera-opt %s | filecheck %s
// RUN: tessera-opt %s | tessera-opt | filecheck %s

// Every npu op prints back as it was read (regions as #npu.region<memory[address], rows, cols>).

// CHECK: builtin.module attributes {npu.config = "gemmini,dataflow=ws"} {
builtin.module attributes {npu.config = "gemmini,dataflow=ws"} {
// CHECK-LABEL: func.func @mm(%a: memref<64x48xf32>, %b: memref<48x32xf32>, %c: memref<64x32xf32> {tessera.out}) {
  func.func @mm(%a: memref<64x48xf32>, %b: memref<48x32xf32>, %c: memref<64x32xf32> {tessera.out}) {
// CHECK: npu.config {dataflow = "ws"}
    npu.config {dataflow = "ws"}
// CHECK: npu.mvin %a {dst = #npu.region<sp[0], 16, 48>, offset = 0 : i64, stride = 48 : i64} : memref<64x48xf32>
    npu.mvin %a {dst = #npu.region<sp[0], 16, 48>, offset = 0 : i64, stride = 48 : i64} : memref<64x48xf32>
// CHECK: npu.preload {src = #npu.region<sp[768], 16, 16>}
    npu.preload {src = #npu.region<sp[768], 16, 16>}
// CHECK: npu.compute {c = #npu.region<acc[0], 16, 16>, a = #npu.region<sp[0], 16, 16>, b = #npu.region<sp[768], 16, 16>, accumulate = false}
    npu.compute {c = #npu.region<acc[0], 16, 16>, a = #npu.region<sp[0], 16, 16>, b = #npu.region<sp[768], 16, 16>, accumulate = false}
// CHECK: npu.vector {op = "relu", dst = #npu.region<acc[0], 16, 16>, a = #npu.region<acc[0], 16, 16>, imm = 1.000000e+00 : f64}
    npu.vector {op = "relu", dst = #npu.region<acc[0], 16, 16>, a = #npu.region<acc[0], 16, 16>, imm = 1.0 : f64}
// CHECK: npu.mvout %c {src = #npu.region<acc[0], 16, 16>, offset = 0 : i64, stride = 32 : i64, act = "relu", scale = 1.000000e+00 : f64} : memref<64x32xf32>
    npu.mvout %c {src = #npu.region<acc[0], 16, 16>, offset = 0 : i64, stride = 32 : i64, act = "relu", scale = 1.0 : f64} : memref<64x32xf32>
// CHECK: npu.fence
    npu.fence
    func.return
  }
}
