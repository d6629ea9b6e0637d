// RUN: tessera-opt %s -t c | filecheck %s

// Fixed-size vectors are GCC vector types, one typedef per element type and lane count,
// printed once however often they are used; masks (vector<Nxi1>) are a byte a lane.

// CHECK-DAG:  typedef float tessera_v8f32 __attribute__((vector_size(32)));
// CHECK-DAG:  typedef double tessera_v4f64 __attribute__((vector_size(32)));
// CHECK-DAG:  typedef int32_t tessera_v8i32 __attribute__((vector_size(32)));
// CHECK-DAG:  typedef uint8_t tessera_v8i1 __attribute__((vector_size(8)));
// CHECK-DAG:  typedef float tessera_v16f32 __attribute__((vector_size(64)));
// CHECK-DAG:  typedef int8_t tessera_v16i8 __attribute__((vector_size(16)));
// CHECK-DAG:  typedef uint8_t tessera_v16i1 __attribute__((vector_size(16)));
// CHECK-DAG:  typedef double tessera_v8f64 __attribute__((vector_size(64)));
// CHECK-NOT:  typedef float tessera_v8f32

// vector.load/store move contiguous lanes from the row-major element the indices name, by
// memcpy; vector.fma is a * b + c; float arithmetic uses the vector operators. A loaded
// memref stays a const parameter.

// CHECK-LABEL: void tsr_axpy(const float *restrict v0_x, float *restrict v1_y, float v2_a) {
// CHECK-NEXT:    const tessera_v8f32 [[A:v[0-9]+_va]] = {v2_a, v2_a, v2_a, v2_a, v2_a, v2_a, v2_a, v2_a};
// CHECK-NEXT:    for (int64_t [[I:v[0-9a-z_]+]] = 0; [[I]] < 4; [[I]] += 1) {
// CHECK-NEXT:      for (int64_t [[J:v[0-9a-z_]+]] = 0; [[J]] < 64; [[J]] += 8) {
// CHECK-NEXT:        tessera_v8f32 [[X:v[0-9]+_vx]];
// CHECK-NEXT:        memcpy(&[[X]], &v0_x[[[I]] * 64 + [[J]]], sizeof(tessera_v8f32));
// CHECK-NEXT:        tessera_v8f32 [[Y:v[0-9]+_vy]];
// CHECK-NEXT:        memcpy(&[[Y]], &v1_y[[[I]] * 64 + [[J]]], sizeof(tessera_v8f32));
// CHECK-NEXT:        const tessera_v8f32 [[R:v[0-9]+_r]] = [[A]] * [[X]] + [[Y]];
// CHECK-NEXT:        const tessera_v8f32 [[D:v[0-9]+_d]] = [[R]] / [[X]];
// CHECK-NEXT:        const tessera_v8f32 [[N:v[0-9]+_n]] = -[[D]];
// CHECK-NEXT:        memcpy(&v1_y[[[I]] * 64 + [[J]]], &[[N]], sizeof(tessera_v8f32));
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:  }
func.func @axpy(%x: memref<4x64xf32>, %y: memref<4x64xf32>, %a: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %va = vector.broadcast %a : f32 to vector<8xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c64 step %c8 {
      %vx = vector.load %x[%i, %j] : memref<4x64xf32>, vector<8xf32>
      %vy = vector.load %y[%i, %j] : memref<4x64xf32>, vector<8xf32>
      %r = vector.fma %va, %vx, %vy : vector<8xf32>
      %d = arith.divf %r, %vx : vector<8xf32>
      %n = arith.negf %d : vector<8xf32>
      vector.store %n, %y[%i, %j] : memref<4x64xf32>, vector<8xf32>
    }
  }
  func.return
}

// A float maximumf/minimumf (the ReLU) is branch-free on whole vectors: lane masks from
// comparisons, NaN lanes take a + b, a +0.0/-0.0 tie the AND of the bit patterns.
// Everything else goes lane by lane through the scalar expression: comparisons into a mask, select on a mask, wrapping integer arithmetic, casts,
// math functions. Constant vectors are declared once; constant indices fold.

// CHECK-LABEL: void tsr_lanes(const float *restrict v0_x, const int32_t *restrict v1_k, double *restrict v2_out, int32_t *restrict v3_iout) {
// CHECK-NEXT:    const tessera_v8f32 [[ZERO:v[0-9]+_zero]] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
// CHECK-NEXT:    const tessera_v8i32 [[STEP:v[0-9]+_step]] = {0, 1, 2, 3, 4, 5, 6, -7};
// CHECK-NEXT:    tessera_v8f32 [[X:v[0-9]+_v]];
// CHECK-NEXT:    memcpy(&[[X]], &v0_x[8], sizeof(tessera_v8f32));
// CHECK-NEXT:    const tessera_v8f32 [[RELU:v[0-9]+_relu]] = (tessera_v8f32)(((([[X]] != [[X]]) | ([[ZERO]] != [[ZERO]])) & (tessera_mask8xf32)([[X]] + [[ZERO]])) | {{.*}}([[X]] > [[ZERO]]){{.*}});
// CHECK-NEXT:    tessera_v8i1 [[M:v[0-9]+_m]];
// CHECK-NEXT:    for (int lane = 0; lane < 8; ++lane) [[M]][lane] = !isgreaterequal([[X]][lane], [[ZERO]][lane]);
// CHECK-NEXT:    tessera_v8f32 [[SEL:v[0-9]+_sel]];
// CHECK-NEXT:    for (int lane = 0; lane < 8; ++lane) [[SEL]][lane] = [[M]][lane] ? [[RELU]][lane] : [[X]][lane];
// CHECK-NEXT:    tessera_v8f32 [[E:v[0-9]+_e]];
// CHECK-NEXT:    for (int lane = 0; lane < 8; ++lane) [[E]][lane] = expf([[SEL]][lane]);
// CHECK-NEXT:    tessera_v8f64 [[W:v[0-9]+_w]];
// CHECK-NEXT:    for (int lane = 0; lane < 8; ++lane) [[W]][lane] = (double)[[E]][lane];
// CHECK-NEXT:    memcpy(&v2_out[0], &[[W]], sizeof(tessera_v8f64));
// CHECK-NEXT:    tessera_v8i32 [[K:v[0-9]+_k8]];
// CHECK-NEXT:    memcpy(&[[K]], &v1_k[0], sizeof(tessera_v8i32));
// CHECK-NEXT:    tessera_v8i32 [[SUM:v[0-9]+_sum]];
// CHECK-NEXT:    for (int lane = 0; lane < 8; ++lane) [[SUM]][lane] = (int32_t)((uint32_t)[[K]][lane] + (uint32_t)[[STEP]][lane]);
// CHECK-NEXT:    tessera_v8i1 [[LT:v[0-9]+_lt]];
// CHECK-NEXT:    for (int lane = 0; lane < 8; ++lane) [[LT]][lane] = (uint32_t)[[SUM]][lane] < (uint32_t)[[K]][lane];
// CHECK-NEXT:    tessera_v8i32 [[MAX:v[0-9]+_max]];
// CHECK-NEXT:    for (int lane = 0; lane < 8; ++lane) [[MAX]][lane] = [[LT]][lane] ? [[K]][lane] : [[SUM]][lane];
// CHECK-NEXT:    tessera_v8i32 [[SH:v[0-9]+_sh]];
// CHECK-NEXT:    for (int lane = 0; lane < 8; ++lane) [[SH]][lane] = tessera_shrsi_i32([[MAX]][lane], [[STEP]][lane]);
// CHECK-NEXT:    memcpy(&v3_iout[0], &[[SH]], sizeof(tessera_v8i32));
// CHECK-NEXT:  }
func.func @lanes(%x: memref<16xf32>, %k: memref<8xi32>, %out: memref<8xf64>, %iout: memref<8xi32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant dense<0.0> : vector<8xf32>
  %step = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, -7]> : vector<8xi32>
  %v = vector.load %x[%c8] : memref<16xf32>, vector<8xf32>
  %relu = arith.maximumf %v, %zero : vector<8xf32>
  %m = arith.cmpf ult, %v, %zero : vector<8xf32>
  %sel = arith.select %m, %relu, %v : vector<8xf32>
  %e = math.exp %sel : vector<8xf32>
  %w = arith.extf %e : vector<8xf32> to vector<8xf64>
  vector.store %w, %out[%c0] : memref<8xf64>, vector<8xf64>
  %k8 = vector.load %k[%c0] : memref<8xi32>, vector<8xi32>
  %sum = arith.addi %k8, %step : vector<8xi32>
  %lt = arith.cmpi ult, %sum, %k8 : vector<8xi32>
  %max = arith.select %lt, %k8, %sum : vector<8xi32>
  %sh = arith.shrsi %max, %step : vector<8xi32>
  vector.store %sh, %iout[%c0] : memref<8xi32>, vector<8xi32>
  func.return
}

// A gather: a broadcast, then one vector.insert a lane; vector.extract reads one lane. A
// dynamic lane is taken modulo the lane count. A scalar condition selects a whole vector.

// CHECK-LABEL: void tsr_gather(const double *restrict v0_t, double *restrict v1_out, int64_t v2_p, bool v3_c) {
// CHECK-NEXT:    const double [[S0:v[0-9]+_s0]] = v0_t[0];
// CHECK-NEXT:    const double [[S1:v[0-9]+_s1]] = v0_t[5];
// CHECK-NEXT:    const tessera_v4f64 [[B:v[0-9]+_b]] = {[[S0]], [[S0]], [[S0]], [[S0]]};
// CHECK-NEXT:    tessera_v4f64 [[G1:v[0-9]+_g1]] = [[B]];
// CHECK-NEXT:    [[G1]][1] = [[S1]];
// CHECK-NEXT:    tessera_v4f64 [[G2:v[0-9]+_g2]] = [[G1]];
// CHECK-NEXT:    [[G2]][(uint64_t)v2_p & 3u] = 2.5;
// CHECK-NEXT:    const double [[L:v[0-9]+_l]] = [[G2]][3];
// CHECK-NEXT:    const double [[D:v[0-9]+_d]] = [[G2]][(uint64_t)v2_p & 3u];
// CHECK-NEXT:    const tessera_v4f64 [[W:v[0-9]+_w]] = v3_c ? [[G2]] : [[B]];
// CHECK-NEXT:    memcpy(&v1_out[0], &[[W]], sizeof(tessera_v4f64));
// CHECK-NEXT:    v1_out[4] = [[L]];
// CHECK-NEXT:    v1_out[5] = [[D]];
// CHECK-NEXT:  }
func.func @gather(%t: memref<2x3xf64>, %out: memref<6xf64>, %p: index, %c: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %k = arith.constant 2.5 : f64
  %s0 = memref.load %t[%c0, %c0] : memref<2x3xf64>
  %s1 = memref.load %t[%c1, %c2] : memref<2x3xf64>
  %b = vector.broadcast %s0 : f64 to vector<4xf64>
  %g1 = vector.insert %s1, %b[1] : f64 into vector<4xf64>
  %g2 = vector.insert %k, %g1[%p] : f64 into vector<4xf64>
  %l = vector.extract %g2[3] : f64 from vector<4xf64>
  %d = vector.extract %g2[%p] : f64 from vector<4xf64>
  %w = arith.select %c, %g2, %b : vector<4xf64>
  vector.store %w, %out[%c0] : memref<6xf64>, vector<4xf64>
  memref.store %l, %out[%c4] : memref<6xf64>
  memref.store %d, %out[%c5] : memref<6xf64>
  func.return
}

// Vector loop-carried values (an accumulator) and masks yielded by scf.if.

// CHECK-LABEL: void tsr_accumulate(const float *restrict v0_x, float *restrict v1_out, int8_t *restrict v2_flags, bool v3_c) {
// CHECK-NEXT:    const tessera_v16f32 [[Z:v[0-9]+_z]] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
// CHECK-NEXT:    const tessera_v16i8 [[ONES:v[0-9]+_ones]] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
// CHECK-NEXT:    const tessera_v16i8 [[ZEROS:v[0-9]+_zeros]] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
// CHECK-NEXT:    tessera_v16f32 [[SUM:v[0-9]+_sum]] = [[Z]];
// CHECK-NEXT:    for (int64_t [[I:v[0-9a-z_]+]] = 0; [[I]] < 4; [[I]] += 1) {
// CHECK-NEXT:      const tessera_v16f32 [[ACC:v[0-9]+_acc]] = [[SUM]];
// CHECK-NEXT:      tessera_v16f32 [[V:v[0-9]+_v]];
// CHECK-NEXT:      memcpy(&[[V]], &v0_x[[[I]] * 16], sizeof(tessera_v16f32));
// CHECK-NEXT:      const tessera_v16f32 [[NEXT:v[0-9]+_next]] = [[ACC]] + [[V]];
// CHECK-NEXT:      [[SUM]] = [[NEXT]];
// CHECK-NEXT:    }
// CHECK-NEXT:    memcpy(&v1_out[0], &[[SUM]], sizeof(tessera_v16f32));
// CHECK-NEXT:    tessera_v16i1 [[GT:v[0-9]+_gt]];
// CHECK-NEXT:    for (int lane = 0; lane < 16; ++lane) [[GT]][lane] = [[SUM]][lane] > [[Z]][lane];
// CHECK-NEXT:    tessera_v16i1 [[MASK:v[0-9]+_mask]];
// CHECK-NEXT:    if (v3_c) {
// CHECK-NEXT:      [[MASK]] = [[GT]];
// CHECK-NEXT:    } else {
// CHECK-NEXT:      tessera_v16i1 [[LE:v[0-9]+_le]];
// CHECK-NEXT:      for (int lane = 0; lane < 16; ++lane) [[LE]][lane] = [[SUM]][lane] <= [[Z]][lane];
// CHECK-NEXT:      [[MASK]] = [[LE]];
// CHECK-NEXT:    }
// CHECK-NEXT:    tessera_v16i8 [[FLAGS:v[0-9]+_f]];
// CHECK-NEXT:    for (int lane = 0; lane < 16; ++lane) [[FLAGS]][lane] = [[MASK]][lane] ? [[ONES]][lane] : [[ZEROS]][lane];
// CHECK-NEXT:    memcpy(&v2_flags[0], &[[FLAGS]], sizeof(tessera_v16i8));
// CHECK-NEXT:  }
func.func @accumulate(%x: memref<4x16xf32>, %out: memref<16xf32>, %flags: memref<16xi8>, %c: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %z = arith.constant dense<0.0> : vector<16xf32>
  %ones = arith.constant dense<1> : vector<16xi8>
  %zeros = arith.constant dense<0> : vector<16xi8>
  %sum = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %z) -> (vector<16xf32>) {
    %v = vector.load %x[%i, %c0] : memref<4x16xf32>, vector<16xf32>
    %next = arith.addf %acc, %v : vector<16xf32>
    scf.yield %next : vector<16xf32>
  }
  vector.store %sum, %out[%c0] : memref<16xf32>, vector<16xf32>
  %gt = arith.cmpf ogt, %sum, %z : vector<16xf32>
  %mask = scf.if %c -> (i1) {
    scf.yield %gt : i1
  } else {
    %le = arith.cmpf ole, %sum, %z : vector<16xf32>
    scf.yield %le : i1
  }
  %f = arith.select %mask, %ones, %zeros : vector<16xi8>
  vector.store %f, %flags[%c0] : memref<16xi8>, vector<16xi8>
  func.return
}
