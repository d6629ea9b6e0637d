// RUN: tessera-opt %s -t c | filecheck %s

// Every function gets a prototype first, so calls may go forwards; a declaration (no body)
// is a prototype only, its buffers assumed written. A buffer argument is const unless the
// function, or a function it passes it to, may write it.

// CHECK:      void tsr_external(float *restrict, int32_t);
// CHECK-NEXT: void tsr_caller(const float *restrict, float *restrict);
// CHECK-NEXT: void tsr_scale(const float *restrict, float *restrict, float);
// CHECK-NEXT: void tsr_forward(float *restrict);
// CHECK-NOT:  tsr_external({{.*}}) {

func.func private @external(memref<4xf32>, i32)

// CHECK-LABEL: void tsr_caller(const float *restrict v0_x, float *restrict v1_out) {
// CHECK-NEXT:    tsr_scale(v0_x, v1_out, 0.5f);
// CHECK-NEXT:    tsr_forward(v1_out);
// CHECK-NEXT:  }
func.func @caller(%x: memref<4xf32>, %out: memref<4xf32> {tessera.out}) {
  %half = arith.constant 0.5 : f32
  func.call @scale(%x, %out, %half) : (memref<4xf32>, memref<4xf32>, f32) -> ()
  func.call @forward(%out) : (memref<4xf32>) -> ()
  func.return
}

// CHECK-LABEL: void tsr_scale(const float *restrict v0_x, float *restrict v1_y, float v2_s) {
// CHECK-NEXT:    for (int64_t [[I:v[0-9a-z_]+]] = 0; [[I]] < 4; [[I]] += 1) {
// CHECK-NEXT:      const float [[V:v[0-9a-z_]+]] = v0_x[[[I]]];
// CHECK-NEXT:      const float [[P:v[0-9a-z_]+]] = [[V]] * v2_s;
// CHECK-NEXT:      v1_y[[[I]]] = [[P]];
// CHECK-NEXT:    }
// CHECK-NEXT:  }
func.func @scale(%x: memref<4xf32>, %y: memref<4xf32>, %s: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %x[%i] : memref<4xf32>
    %p = arith.mulf %v, %s : f32
    memref.store %p, %y[%i] : memref<4xf32>
  }
  func.return
}

// Written through a call to a declaration; an unused scalar parameter is voided.

// CHECK-LABEL: void tsr_forward(float *restrict v0_buffer) {
// CHECK-NEXT:    tsr_external(v0_buffer, 3);
// CHECK-NEXT:  }
func.func @forward(%buffer: memref<4xf32>) {
  %three = arith.constant 3 : i32
  func.call @external(%buffer, %three) : (memref<4xf32>, i32) -> ()
  func.return
}

// CHECK-LABEL: void tsr_nothing(int64_t v0_unused) {
// CHECK-NEXT:    (void)v0_unused;
// CHECK-NEXT:  }
func.func @nothing(%unused: index) {
  func.return
}
