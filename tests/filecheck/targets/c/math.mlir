// RUN: tessera-opt %s -t c | filecheck %s

// maximumf/minimumf get NaN-propagating helpers, printed once however often they are used.

// CHECK:      static inline float tessera_maximumf_f32(float a, float b) {
// CHECK-NEXT:   if (isnan(a) || isnan(b)) return a + b;
// CHECK-NEXT:   if (a == b) return signbit(a) ? b : a;
// CHECK-NEXT:   return a > b ? a : b;
// CHECK-NEXT: }
// CHECK:      static inline double tessera_minimumf_f64(double a, double b) {
// CHECK-NOT:  tessera_maximumf_f32(float a

// f32 uses the f-suffixed <math.h> functions and f-suffixed constants; f64 the plain ones.

// CHECK-LABEL: void tsr_unary(float v0_x, double v1_y, float *restrict v2_out, double *restrict v3_out64) {
// CHECK-NEXT:    const float [[E:v[0-9a-z_]+]] = expf(v0_x);
// CHECK-NEXT:    const float [[L:v[0-9a-z_]+]] = logf([[E]]);
// CHECK-NEXT:    const float [[S:v[0-9a-z_]+]] = sqrtf([[L]]);
// CHECK-NEXT:    const float [[T:v[0-9a-z_]+]] = tanhf([[S]]);
// CHECK-NEXT:    const float [[A:v[0-9a-z_]+]] = fabsf([[T]]);
// CHECK-NEXT:    const float [[R:v[0-9a-z_]+]] = 1.0f / sqrtf([[A]]);
// CHECK-NEXT:    const float [[F:v[0-9a-z_]+]] = floorf([[R]]);
// CHECK-NEXT:    const float [[C:v[0-9a-z_]+]] = ceilf([[F]]);
// CHECK-NEXT:    const float [[ERF:v[0-9a-z_]+]] = erff([[C]]);
// CHECK-NEXT:    const float [[SIN:v[0-9a-z_]+]] = sinf([[ERF]]);
// CHECK-NEXT:    const float [[COS:v[0-9a-z_]+]] = cosf([[SIN]]);
// CHECK-NEXT:    const float [[NEG:v[0-9a-z_]+]] = -[[COS]];
// CHECK-NEXT:    const float [[POW:v[0-9a-z_]+]] = powf([[NEG]], 2.5f);
// CHECK-NEXT:    const float [[FMA:v[0-9a-z_]+]] = fmaf([[POW]], (-0.1f), 3.0f);
// CHECK-NEXT:    const float [[MAX:v[0-9a-z_]+]] = tessera_maximumf_f32([[FMA]], INFINITY);
// CHECK-NEXT:    const float [[MAX2:v[0-9a-z_]+]] = tessera_maximumf_f32([[MAX]], NAN);
// CHECK-NEXT:    const float [[MAXNUM:v[0-9a-z_]+]] = fmaxf([[MAX2]], (-INFINITY));
// CHECK-NEXT:    v2_out[0] = [[MAXNUM]];
// CHECK-NEXT:    const double [[E64:v[0-9a-z_]+]] = exp(v1_y);
// CHECK-NEXT:    const double [[R64:v[0-9a-z_]+]] = 1.0 / sqrt([[E64]]);
// CHECK-NEXT:    const double [[MIN64:v[0-9a-z_]+]] = tessera_minimumf_f64([[R64]], 0.1);
// CHECK-NEXT:    const double [[D:v[0-9a-z_]+]] = [[MIN64]] / 3.0;
// CHECK-NEXT:    v3_out64[0] = [[D]];
// CHECK-NEXT:  }
func.func @unary(%x: f32, %y: f64, %out: memref<f32>, %out64: memref<f64>) {
  %e = math.exp %x : f32
  %l = math.log %e : f32
  %s = math.sqrt %l : f32
  %t = math.tanh %s : f32
  %a = math.absf %t : f32
  %r = math.rsqrt %a : f32
  %f = math.floor %r : f32
  %c = math.ceil %f : f32
  %erf = math.erf %c : f32
  %sin = math.sin %erf : f32
  %cos = math.cos %sin : f32
  %neg = arith.negf %cos : f32
  %p = arith.constant 2.5 : f32
  %pow = math.powf %neg, %p : f32
  %m = arith.constant -0.1 : f32
  %three = arith.constant 3.0 : f32
  %fma = math.fma %pow, %m, %three : f32
  %inf = arith.constant 0x7F800000 : f32
  %nan = arith.constant 0x7FC00000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %max = arith.maximumf %fma, %inf : f32
  %max2 = arith.maximumf %max, %nan : f32
  %maxnum = arith.maxnumf %max2, %ninf : f32
  memref.store %maxnum, %out[] : memref<f32>
  %e64 = math.exp %y : f64
  %r64 = math.rsqrt %e64 : f64
  %tenth = arith.constant 0.1 : f64
  %min64 = arith.minimumf %r64, %tenth : f64
  %three64 = arith.constant 3.0 : f64
  %d = arith.divf %min64, %three64 : f64
  memref.store %d, %out64[] : memref<f64>
  func.return
}

// Ordered predicates are C's comparisons; unordered ones the negated quiet macros.

// CHECK-LABEL: void tsr_compare(float v0_a, float v1_b, bool *restrict v2_out) {
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = false;
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = v0_a == v1_b;
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = v0_a > v1_b;
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = v0_a >= v1_b;
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = v0_a < v1_b;
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = v0_a <= v1_b;
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = islessgreater(v0_a, v1_b);
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = !isunordered(v0_a, v1_b);
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = !islessgreater(v0_a, v1_b);
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = !islessequal(v0_a, v1_b);
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = !isless(v0_a, v1_b);
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = !isgreaterequal(v0_a, v1_b);
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = !isgreater(v0_a, v1_b);
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = v0_a != v1_b;
// CHECK-NEXT:    const bool {{v[0-9a-z_]+}} = isunordered(v0_a, v1_b);
// CHECK-NEXT:    const bool [[T:v[0-9a-z_]+]] = true;
// CHECK-NEXT:    v2_out[0] = [[T]];
// CHECK-COUNT-15: (void)v
// CHECK-NEXT:  }
func.func @compare(%a: f32, %b: f32, %out: memref<i1>) {
  %0 = arith.cmpf false, %a, %b : f32
  %1 = arith.cmpf oeq, %a, %b : f32
  %2 = arith.cmpf ogt, %a, %b : f32
  %3 = arith.cmpf oge, %a, %b : f32
  %4 = arith.cmpf olt, %a, %b : f32
  %5 = arith.cmpf ole, %a, %b : f32
  %6 = arith.cmpf one, %a, %b : f32
  %7 = arith.cmpf ord, %a, %b : f32
  %8 = arith.cmpf ueq, %a, %b : f32
  %9 = arith.cmpf ugt, %a, %b : f32
  %10 = arith.cmpf uge, %a, %b : f32
  %11 = arith.cmpf ult, %a, %b : f32
  %12 = arith.cmpf ule, %a, %b : f32
  %13 = arith.cmpf une, %a, %b : f32
  %14 = arith.cmpf uno, %a, %b : f32
  %15 = arith.cmpf true, %a, %b : f32
  memref.store %15, %out[] : memref<i1>
  func.return
}
