// RUN: tessera-opt %s -t c | filecheck %s

// Symbols become tsr_<name>, every byte outside [A-Za-z0-9_] escaped as _xHH, so no name
// can end a declaration, open a comment, or be a C keyword or a libc function; names
// that still collide get a numeric suffix. Functions are named before globals.

// CHECK:      static const float tsr_a_x2eb_2[1] = {
// CHECK:      void tsr_evil_x28_x29_x7bsystem_x28_x22rm_x22_x29_x3b_x7d_x2f_x2f(float *restrict);
// CHECK-NEXT: void tsr_main(int32_t);
// CHECK-NEXT: void tsr_a_x2eb(void);
// CHECK-NEXT: void tsr_a_x2eb_1(void);
// CHECK-NEXT: void tsr_a_x2eb_1_1(void);
// CHECK-NEXT: void tsr_while(void);
// CHECK-NEXT: void tsr_caf_xc3_xa9(void);
// CHECK-NOT:  system("rm")

// CHECK-LABEL: void tsr_evil_x28_x29_x7bsystem_x28_x22rm_x22_x29_x3b_x7d_x2f_x2f(float *restrict v0_x) {
// CHECK-NEXT:    const float [[G:v[0-9a-z_]+]] = tsr_a_x2eb_2[0];
// CHECK-NEXT:    v0_x[0] = [[G]];
// CHECK-NEXT:    tsr_a_x2eb_1();
// CHECK-NEXT:    tsr_main(1);
// CHECK-NEXT:  }
func.func @"evil(){system(\"rm\");}//"(%x: memref<f32>) {
  %g = memref.get_global @a_x2eb_2 : memref<1xf32>
  %c0 = arith.constant 0 : index
  %v = memref.load %g[%c0] : memref<1xf32>
  memref.store %v, %x[] : memref<f32>
  func.call @"a.b"() : () -> ()
  %one = arith.constant 1 : i32
  func.call @main(%one) : (i32) -> ()
  func.return
}

// CHECK-LABEL: void tsr_main(int32_t v0_x) {
func.func @main(%x: i32) {
  func.return
}

// "a.b" escapes to a_x2eb, which is taken: it gets a suffix, and so does the next name
// that lands on that suffix, and the global after them.
// CHECK-LABEL: void tsr_a_x2eb(void) {
func.func @a_x2eb() {
  func.return
}
// CHECK-LABEL: void tsr_a_x2eb_1(void) {
func.func @"a.b"() {
  func.return
}
// CHECK-LABEL: void tsr_a_x2eb_1_1(void) {
func.func @a_x2eb_1() {
  func.return
}
"memref.global"() <{sym_name = "a_x2eb_2", sym_visibility = "private", type = memref<1xf32>, initial_value = dense<1.0> : tensor<1xf32>, constant}> : () -> ()
"memref.global"() <{sym_name = "a.b.2", sym_visibility = "private", type = memref<1xf32>, initial_value = dense<2.0> : tensor<1xf32>, constant}> : () -> ()

// CHECK-LABEL: void tsr_while(void) {
func.func @while() {
  func.return
}

// CHECK-LABEL: void tsr_caf_xc3_xa9(void) {
func.func @"café"() {
  func.return
}
