// RUN: tessera-opt %s -p convert-linalg-to-loops,lower-affine,canonicalize -t c | filecheck %s

// A matmul from linalg: nested loops, row-major indexing, const inputs, a written output.

// CHECK:      #include <math.h>
// CHECK-NEXT: #include <stdbool.h>
// CHECK-NEXT: #include <stdint.h>
// CHECK-NEXT: #include <stdlib.h>
// CHECK-NEXT: #include <string.h>

// CHECK: void tsr_matmul(const float *restrict, const float *restrict, float *restrict);

// CHECK-LABEL: void tsr_matmul(const float *restrict v0_a, const float *restrict v1_b, float *restrict v2_out) {
// CHECK-NEXT:    for (int64_t [[I:v[0-9a-z_]+]] = 0; [[I]] < 4; [[I]] += 1) {
// CHECK-NEXT:      for (int64_t [[J:v[0-9a-z_]+]] = 0; [[J]] < 16; [[J]] += 1) {
// CHECK-NEXT:        v2_out[[[I]] * 16 + [[J]]] = 0.0f;
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    for (int64_t [[I:v[0-9a-z_]+]] = 0; [[I]] < 4; [[I]] += 1) {
// CHECK-NEXT:      for (int64_t [[J:v[0-9a-z_]+]] = 0; [[J]] < 16; [[J]] += 1) {
// CHECK-NEXT:        for (int64_t [[K:v[0-9a-z_]+]] = 0; [[K]] < 8; [[K]] += 1) {
// CHECK-NEXT:          const float [[A:v[0-9a-z_]+]] = v0_a[[[I]] * 8 + [[K]]];
// CHECK-NEXT:          const float [[B:v[0-9a-z_]+]] = v1_b[[[K]] * 16 + [[J]]];
// CHECK-NEXT:          const float [[C:v[0-9a-z_]+]] = v2_out[[[I]] * 16 + [[J]]];
// CHECK-NEXT:          const float [[P:v[0-9a-z_]+]] = [[A]] * [[B]];
// CHECK-NEXT:          const float [[S:v[0-9a-z_]+]] = [[P]] + [[C]];
// CHECK-NEXT:          v2_out[[[I]] * 16 + [[J]]] = [[S]];
// CHECK-NEXT:        }
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:  }
func.func @matmul(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %out: memref<4x16xf32> {tessera.out}) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%out : memref<4x16xf32>)
  func.return
}

// Constant indices fold into the offset; a non-unit step and loop-defined bounds print as is.

// CHECK-LABEL: void tsr_strided(float *restrict v0_m, int64_t v1_n) {
// CHECK-NEXT:    v0_m[13] = 1.0f;
// CHECK-NEXT:    for (int64_t [[I:v[0-9a-z_]+]] = 1; [[I]] < v1_n; [[I]] += 2) {
// CHECK-NEXT:      v0_m[[[I]] * 4 + 2] = 1.0f;
// CHECK-NEXT:      v0_m[[[I]] * 4 - 1] = 1.0f;
// CHECK-NEXT:    }
// CHECK-NEXT:  }
func.func @strided(%m: memref<3x4xf32>, %n: index) {
  %one = arith.constant 1.0 : f32
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %cm1 = arith.constant -1 : index
  "memref.store"(%one, %m, %c3, %c1) : (f32, memref<3x4xf32>, index, index) -> ()
  scf.for %i = %c1 to %n step %c2 {
    memref.store %one, %m[%i, %c2] : memref<3x4xf32>
    memref.store %one, %m[%i, %cm1] : memref<3x4xf32>
  }
  func.return
}
