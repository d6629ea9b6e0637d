// RUN: tessera-opt %s -t c | filecheck %s

// MLIR integers wrap; C's signed overflow is undefined. Add/sub/mul go through uint32_t (or
// uint64_t), never through a type that promotes to int; division, remainder and shifts use
// helpers that avoid INT_MIN / -1 and oversized shifts.

// CHECK:      static inline int8_t tessera_divsi_i8(int8_t a, int8_t b) {
// CHECK-NEXT:   return b == -1 ? (int8_t)(0u - (uint32_t)a) : (int8_t)(a / b);
// CHECK-NEXT: }
// CHECK:      static inline int32_t tessera_floordivsi_i32(int32_t a, int32_t b) {
// CHECK-NEXT:   if (b == -1) return (int32_t)(0u - (uint32_t)a);
// CHECK-NEXT:   int32_t q = (int32_t)(a / b);
// CHECK-NEXT:   return (a % b != 0 && (a < 0) != (b < 0)) ? (int32_t)(q - 1) : q;
// CHECK-NEXT: }
// CHECK:      static inline int64_t tessera_shli_index(int64_t a, int64_t b) {
// CHECK-NEXT:   return (uint64_t)b >= 64u ? 0 : (int64_t)((uint64_t)a << (uint64_t)b);
// CHECK-NEXT: }
// CHECK:      static inline int32_t tessera_shrsi_i32(int32_t a, int32_t b) {
// CHECK-NEXT:   return (uint32_t)b >= 32u ? (a < 0 ? -1 : 0) : (int32_t)(a >> b);
// CHECK-NEXT: }
// CHECK:      static inline int16_t tessera_shrui_i16(int16_t a, int16_t b) {
// CHECK-NEXT:   return (uint32_t)b >= 16u ? 0 : (int16_t)((uint16_t)a >> b);
// CHECK-NEXT: }
// CHECK:      static inline int32_t tessera_fptosi_f64_i32(double x) {
// CHECK-NEXT:   if (isnan(x)) return 0;
// CHECK-NEXT:   if (x <= (double)INT32_MIN) return INT32_MIN;
// CHECK-NEXT:   if (x >= -(double)INT32_MIN) return INT32_MAX;
// CHECK-NEXT:   return (int32_t)x;
// CHECK-NEXT: }

// CHECK-LABEL: void tsr_arith(int8_t v0_a, int8_t v1_b, int32_t v2_x, int32_t v3_y, int64_t v4_i, int16_t v5_h, int32_t *restrict v6_out) {
// CHECK-NEXT:    const int8_t {{v[0-9]+}}_add = (int8_t)((uint32_t)v0_a + (uint32_t)v1_b);
// CHECK-NEXT:    const int8_t {{v[0-9]+}}_mul = (int8_t)((uint32_t)v0_a * (uint32_t)v1_b);
// CHECK-NEXT:    const int8_t {{v[0-9]+}}_div = tessera_divsi_i8(v0_a, v1_b);
// CHECK-NEXT:    const int32_t {{v[0-9]+}}_sub = (int32_t)((uint32_t)v2_x - (uint32_t)v3_y);
// CHECK-NEXT:    const int32_t {{v[0-9]+}}_fdiv = tessera_floordivsi_i32(v2_x, v3_y);
// CHECK-NEXT:    const int32_t {{v[0-9]+}}_udiv = (int32_t)((uint32_t)v2_x / (uint32_t)v3_y);
// CHECK-NEXT:    const int32_t {{v[0-9]+}}_max = v2_x > v3_y ? v2_x : v3_y;
// CHECK-NEXT:    const int32_t {{v[0-9]+}}_umin = (uint32_t)v2_x < (uint32_t)v3_y ? v2_x : v3_y;
// CHECK-NEXT:    const int32_t {{v[0-9]+}}_and = (int32_t)(v2_x & v3_y);
// CHECK-NEXT:    const int32_t {{v[0-9]+}}_xor = (int32_t)(v2_x ^ (-1));
// CHECK-NEXT:    const int64_t {{v[0-9]+}}_shl = tessera_shli_index(v4_i, 3);
// CHECK-NEXT:    const int32_t {{v[0-9]+}}_shr = tessera_shrsi_i32(v2_x, 31);
// CHECK-NEXT:    const int16_t {{v[0-9]+}}_ushr = tessera_shrui_i16(v5_h, 1);
// CHECK-NEXT:    const int64_t {{v[0-9]+}}_big = (int64_t)((uint64_t)v4_i * (uint64_t)INT64_MIN);
// CHECK-NEXT:    const bool {{v[0-9]+}}_slt = v2_x < v3_y;
// CHECK-NEXT:    const bool {{v[0-9]+}}_ult = (uint32_t)v2_x < (uint32_t)v3_y;
// CHECK-NEXT:    const bool {{v[0-9]+}}_both = (bool)({{v[0-9]+}}_slt & {{v[0-9]+}}_ult);
// CHECK-NEXT:    const bool {{v[0-9]+}}_sum1 = (bool)(((uint32_t){{v[0-9]+}}_slt + (uint32_t){{v[0-9]+}}_ult) & 1u);
func.func @arith(%a: i8, %b: i8, %x: i32, %y: i32, %i: index, %h: i16, %out: memref<8xi32>) {
  %add = arith.addi %a, %b : i8
  %mul = arith.muli %a, %b : i8
  %div = arith.divsi %a, %b : i8
  %sub = arith.subi %x, %y : i32
  %fdiv = arith.floordivsi %x, %y : i32
  %udiv = arith.divui %x, %y : i32
  %max = arith.maxsi %x, %y : i32
  %umin = arith.minui %x, %y : i32
  %and = arith.andi %x, %y : i32
  %m1 = arith.constant -1 : i32
  %xor = arith.xori %x, %m1 : i32
  %c3 = arith.constant 3 : index
  %shl = arith.shli %i, %c3 : index
  %c31 = arith.constant 31 : i32
  %shr = arith.shrsi %x, %c31 : i32
  %c1h = arith.constant 1 : i16
  %ushr = arith.shrui %h, %c1h : i16
  %min64 = arith.constant -9223372036854775808 : index
  %big = arith.muli %i, %min64 : index
  %slt = arith.cmpi slt, %x, %y : i32
  %ult = arith.cmpi ult, %x, %y : i32
  %both = arith.andi %slt, %ult : i1
  %sum1 = arith.addi %slt, %ult : i1

// An i1 is a bool in C but -1 when read as signed; conversions keep the low bits.

// CHECK-NEXT:    const int32_t {{v[0-9]+}}_ext = (int32_t)(({{v[0-9]+}}_both ? -1 : 0));
// CHECK-NEXT:    const int32_t {{v[0-9]+}}_zext = (int32_t)((bool){{v[0-9]+}}_both);
// CHECK-NEXT:    const int8_t {{v[0-9]+}}_tr = (int8_t)(v2_x);
// CHECK-NEXT:    const bool {{v[0-9]+}}_tr1 = (bool)((v2_x) & 1u);
// CHECK-NEXT:    const int32_t {{v[0-9]+}}_ic = (int32_t)(v4_i);
// CHECK-NEXT:    const int64_t {{v[0-9]+}}_wide = (int64_t)(v0_a);
// CHECK-NEXT:    const float {{v[0-9]+}}_sf = (float)v2_x;
// CHECK-NEXT:    const double {{v[0-9]+}}_uf = (double)(uint8_t)v0_a;
// CHECK-NEXT:    const double {{v[0-9]+}}_bf = (double)({{v[0-9]+}}_both ? -1 : 0);
// CHECK-NEXT:    const double {{v[0-9]+}}_ef = (double){{v[0-9]+}}_sf;
// CHECK-NEXT:    const float {{v[0-9]+}}_tf = (float){{v[0-9]+}}_ef;
// CHECK-NEXT:    const int32_t [[FI:v[0-9]+_fi]] = tessera_fptosi_f64_i32({{v[0-9]+}}_uf);
// CHECK-NEXT:    v6_out[0] = [[FI]];
  %ext = arith.extsi %both : i1 to i32
  %zext = arith.extui %both : i1 to i32
  %tr = arith.trunci %x : i32 to i8
  %tr1 = arith.trunci %x : i32 to i1
  %ic = arith.index_cast %i : index to i32
  %wide = arith.index_cast %a : i8 to index
  %sf = arith.sitofp %x : i32 to f32
  %uf = arith.uitofp %a : i8 to f64
  %bf = arith.sitofp %both : i1 to f64
  %ef = arith.extf %sf : f32 to f64
  %tf = arith.truncf %ef : f64 to f32
  %fi = arith.fptosi %uf : f64 to i32
  %c0 = arith.constant 0 : index
  memref.store %fi, %out[%c0] : memref<8xi32>
  func.return
}
