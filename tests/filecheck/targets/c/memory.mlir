// RUN: tessera-opt %s -t c | filecheck %s

// memref.alloc is malloc (NULL aborts) and dealloc is free; small allocas are stack arrays,
// large ones (over 16 KiB) are heap buffers freed where their block ends; copy is memmove.

// CHECK-LABEL: void tsr_buffers(const float *restrict v0_x, float *restrict v1_out) {
// CHECK-NEXT:    float *const [[TMP:v[0-9]+_tmp]] = malloc((size_t)16 * sizeof(float));
// CHECK-NEXT:    if ([[TMP]] == NULL) abort();
// CHECK-NEXT:    memmove([[TMP]], v0_x, (size_t)16 * sizeof(float));
// CHECK-NEXT:    for (int64_t [[I:v[0-9a-z_]+]] = 0; [[I]] < 4; [[I]] += 1) {
// CHECK-NEXT:      float [[ROW:v[0-9]+_row]][4];
// CHECK-NEXT:      double *const [[BIG:v[0-9]+_big]] = malloc((size_t)4096 * sizeof(double));
// CHECK-NEXT:      if ([[BIG]] == NULL) abort();
// CHECK-NEXT:      const float [[V:v[0-9]+_v]] = [[TMP]][[[I]] * 4];
// CHECK-NEXT:      [[ROW]][[[I]]] = [[V]];
// CHECK-NEXT:      v1_out[[[I]]] = [[V]];
// CHECK-NEXT:      (void)[[ROW]];
// CHECK-NEXT:      (void)[[BIG]];
// CHECK-NEXT:      free([[BIG]]);
// CHECK-NEXT:    }
// CHECK-NEXT:    free([[TMP]]);
// CHECK-NEXT:  }
func.func @buffers(%x: memref<4x4xf32>, %out: memref<4xf32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %tmp = memref.alloc() : memref<4x4xf32>
  "memref.copy"(%x, %tmp) : (memref<4x4xf32>, memref<4x4xf32>) -> ()
  scf.for %i = %c0 to %c4 step %c1 {
    %row = memref.alloca() : memref<4xf32>
    %big = memref.alloca() : memref<4096xf64>
    %v = memref.load %tmp[%i, %c0] : memref<4x4xf32>
    memref.store %v, %row[%i] : memref<4xf32>
    memref.store %v, %out[%i] : memref<4xf32>
  }
  memref.dealloc %tmp : memref<4x4xf32>
  func.return
}

// Rank 0 and empty memrefs: one element at offset 0; C has no empty arrays.

// CHECK-LABEL: void tsr_edges(int8_t *restrict v0_s) {
// CHECK-NEXT:    int8_t [[E:v[0-9]+_e]][1];
// CHECK-NEXT:    bool *const [[F:v[0-9]+_f]] = malloc((size_t)1 * sizeof(bool));
// CHECK-NEXT:    if ([[F]] == NULL) abort();
// CHECK-NEXT:    v0_s[0] = 7;
// CHECK-NEXT:    free([[F]]);
// CHECK-NEXT:    (void)[[E]];
// CHECK-NEXT:  }
func.func @edges(%s: memref<i8>) {
  %seven = arith.constant 7 : i8
  %e = memref.alloca() : memref<0xi8>
  %f = memref.alloc() : memref<0x3xi1>
  memref.store %seven, %s[] : memref<i8>
  memref.dealloc %f : memref<0x3xi1>
  func.return
}
