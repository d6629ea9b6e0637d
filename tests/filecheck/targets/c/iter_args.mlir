// RUN: tessera-opt %s -t c | filecheck %s

// Loop-carried values: the result variables hold the running values, each iteration reads
// them into its block arguments, and scf.yield assigns them back.

// CHECK-LABEL: void tsr_row_sums(const float *restrict v0_x, float *restrict v1_out) {
// CHECK-NEXT:    for (int64_t [[I:v[0-9a-z_]+]] = 0; [[I]] < 4; [[I]] += 1) {
// CHECK-NEXT:      float [[SUM:v[0-9]+_sum]] = 0.0f;
// CHECK-NEXT:      for (int64_t [[J:v[0-9a-z_]+]] = 0; [[J]] < 8; [[J]] += 1) {
// CHECK-NEXT:        const float [[ACC:v[0-9]+_acc]] = [[SUM]];
// CHECK-NEXT:        const float [[X:v[0-9a-z_]+]] = v0_x[[[I]] * 8 + [[J]]];
// CHECK-NEXT:        const float [[NEXT:v[0-9a-z_]+]] = [[ACC]] + [[X]];
// CHECK-NEXT:        [[SUM]] = [[NEXT]];
// CHECK-NEXT:      }
// CHECK-NEXT:      v1_out[[[I]]] = [[SUM]];
// CHECK-NEXT:    }
// CHECK-NEXT:  }
func.func @row_sums(%x: memref<4x8xf32>, %out: memref<4xf32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    %sum = scf.for %j = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<4x8xf32>
      %next = arith.addf %acc, %v : f32
      scf.yield %next : f32
    }
    memref.store %sum, %out[%i] : memref<4xf32>
  }
  func.return
}

// A yield that swaps its arguments reads the copies, never a variable it just assigned.
// An unused loop result is still read by the loop, so it needs no (void).

// CHECK-LABEL: void tsr_fibonacci(int32_t *restrict v0_out) {
// CHECK-NEXT:    int32_t [[A:v[0-9]+_a]] = 0;
// CHECK-NEXT:    int32_t [[B:v[0-9]+_b]] = 1;
// CHECK-NEXT:    for (int64_t [[I:v[0-9a-z_]+]] = 0; [[I]] < 10; [[I]] += 1) {
// CHECK-NEXT:      const int32_t [[X:v[0-9]+_x]] = [[A]];
// CHECK-NEXT:      const int32_t [[Y:v[0-9]+_y]] = [[B]];
// CHECK-NEXT:      const int32_t [[S:v[0-9]+_s]] = (int32_t)((uint32_t)[[X]] + (uint32_t)[[Y]]);
// CHECK-NEXT:      [[A]] = [[Y]];
// CHECK-NEXT:      [[B]] = [[S]];
// CHECK-NEXT:    }
// CHECK-NEXT:    v0_out[0] = [[A]];
// CHECK-NEXT:  }
func.func @fibonacci(%out: memref<i32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %zero = arith.constant 0 : i32
  %one = arith.constant 1 : i32
  %a, %b = scf.for %i = %c0 to %c10 step %c1 iter_args(%x = %zero, %y = %one) -> (i32, i32) {
    %s = arith.addi %x, %y : i32
    scf.yield %y, %s : i32, i32
  }
  memref.store %a, %out[] : memref<i32>
  func.return
}
