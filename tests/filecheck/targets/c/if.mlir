// RUN: tessera-opt %s -t c | filecheck %s

// scf.if with results declares them before the branches, which assign them; without
// results an empty else disappears.

// CHECK-LABEL: void tsr_relu_or_square(const float *restrict v0_x, float *restrict v1_out, bool v2_square) {
// CHECK-NEXT:    for (int64_t [[I:v[0-9a-z_]+]] = 0; [[I]] < 8; [[I]] += 1) {
// CHECK-NEXT:      const float [[V:v[0-9]+_v]] = v0_x[[[I]]];
// CHECK-NEXT:      float [[R:v[0-9]+_r]];
// CHECK-NEXT:      if (v2_square) {
// CHECK-NEXT:        const float [[SQ:v[0-9a-z_]+]] = [[V]] * [[V]];
// CHECK-NEXT:        [[R]] = [[SQ]];
// CHECK-NEXT:      } else {
// CHECK-NEXT:        const bool [[POS:v[0-9a-z_]+]] = [[V]] > 0.0f;
// CHECK-NEXT:        const float [[RELU:v[0-9a-z_]+]] = [[POS]] ? [[V]] : 0.0f;
// CHECK-NEXT:        [[R]] = [[RELU]];
// CHECK-NEXT:      }
// CHECK-NEXT:      v1_out[[[I]]] = [[R]];
// CHECK-NEXT:      if (v2_square) {
// CHECK-NEXT:        v1_out[0] = [[R]];
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:  }
func.func @relu_or_square(%x: memref<8xf32>, %out: memref<8xf32> {tessera.out}, %square: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %x[%i] : memref<8xf32>
    %r = scf.if %square -> (f32) {
      %sq = arith.mulf %v, %v : f32
      scf.yield %sq : f32
    } else {
      %pos = arith.cmpf ogt, %v, %zero : f32
      %relu = arith.select %pos, %v, %zero : f32
      scf.yield %relu : f32
    }
    memref.store %r, %out[%i] : memref<8xf32>
    scf.if %square {
      memref.store %r, %out[%c0] : memref<8xf32>
    } else {
    }
  }
  func.return
}

// An unused result is voided at the end of its block, so -Wunused-but-set stays quiet.

// CHECK-LABEL: void tsr_unused_result(bool v0_c) {
// CHECK-NEXT:    double [[R:v[0-9]+_r]];
// CHECK-NEXT:    if (v0_c) {
// CHECK-NEXT:      [[R]] = 1.0;
// CHECK-NEXT:    } else {
// CHECK-NEXT:      [[R]] = 2.0;
// CHECK-NEXT:    }
// CHECK-NEXT:    (void)[[R]];
// CHECK-NEXT:  }
func.func @unused_result(%c: i1) {
  %one = arith.constant 1.0 : f64
  %two = arith.constant 2.0 : f64
  %r = scf.if %c -> (f64) {
    scf.yield %one : f64
  } else {
    scf.yield %two : f64
  }
  func.return
}
