// RUN: tessera-opt %s -t c | filecheck %s

// Globals are static arrays: constant ones const, uninitialized ones zero (static storage).
// f32 values print as the shortest decimal that reads back exactly, after rounding to f32.
// A global no function reads is not printed (gcc would call it unused).

// CHECK:      static const float tsr_weights[10] = {
// CHECK-NEXT:   1.5f, -2.0f, 0.1f, 3.0f, 3.4028235e+38f, 1e+10f, -0.0f, 1e-45f,
// CHECK-NEXT:   16777216.0f, 2.5e-08f,
// CHECK-NEXT: };
// CHECK:      static int64_t tsr_counters[3] = {
// CHECK-NEXT:   INT64_MIN, -1, 9223372036854775807,
// CHECK-NEXT: };
// CHECK:      static int8_t tsr_scratch[4];
// CHECK-NOT:  tsr_unused

"memref.global"() <{sym_name = "weights", sym_visibility = "private", type = memref<10xf32>, initial_value = dense<[1.5, -2.0, 0.1, 3.0, 3.4028235e38, 1.0e10, -0.0, 1.0e-45, 16777217.0, 2.5e-8]> : tensor<10xf32>, constant}> : () -> ()
"memref.global"() <{sym_name = "counters", sym_visibility = "private", type = memref<3xi64>, initial_value = dense<[-9223372036854775808, -1, 9223372036854775807]> : tensor<3xi64>}> : () -> ()
"memref.global"() <{sym_name = "scratch", sym_visibility = "private", type = memref<4xi8>, initial_value}> : () -> ()
"memref.global"() <{sym_name = "unused", sym_visibility = "private", type = memref<4xi8>, initial_value}> : () -> ()

// CHECK-LABEL: void tsr_use_globals(float *restrict v0_out) {
// CHECK-NEXT:    const float [[W:v[0-9a-z_]+]] = tsr_weights[3];
// CHECK-NEXT:    v0_out[0] = [[W]];
// CHECK-NEXT:    const int64_t [[C:v[0-9a-z_]+]] = tsr_counters[1];
// CHECK-NEXT:    const int64_t [[N:v[0-9a-z_]+]] = (int64_t)((uint64_t)[[C]] + (uint64_t)1);
// CHECK-NEXT:    tsr_counters[1] = [[N]];
// CHECK-NEXT:    tsr_scratch[1] = 0;
// CHECK-NEXT:  }
func.func @use_globals(%out: memref<f32>) {
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %one = arith.constant 1 : i64
  %zero = arith.constant 0 : i8
  %w = memref.get_global @weights : memref<10xf32>
  %v = memref.load %w[%c3] : memref<10xf32>
  memref.store %v, %out[] : memref<f32>
  %counters = memref.get_global @counters : memref<3xi64>
  %c = memref.load %counters[%c1] : memref<3xi64>
  %n = arith.addi %c, %one : i64
  memref.store %n, %counters[%c1] : memref<3xi64>
  %scratch = memref.get_global @scratch : memref<4xi8>
  memref.store %zero, %scratch[%c1] : memref<4xi8>
  func.return
}
