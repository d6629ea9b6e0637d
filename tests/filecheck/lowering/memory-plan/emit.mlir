// RUN: tessera-opt %s -p memory-plan -t c | filecheck %s --check-prefix=C
// RUN: tessera-opt %s -p memory-plan -t cuda | filecheck %s --check-prefix=CUDA

// The arena is one aligned allocation; each view is a typed pointer at its byte offset,
// in C (aligned_alloc, freed once) and in the CUDA host code (one cudaMalloc). Two
// buffers with disjoint lives get the same address; one passed to a call is an ordinary
// pointer argument.

// C-LABEL: void tsr_twice(const float *restrict v0_x, float *restrict v1_out) {
// C-NEXT:    int8_t *const v2_arena = aligned_alloc(64, (size_t)192);
// C-NEXT:    if (v2_arena == NULL) abort();
// C-NEXT:    float *const v3_a = (float *)(v2_arena + 0);
// C-NEXT:    int32_t *const v4_b = (int32_t *)(v2_arena + 128);
// C-NEXT:    float *const v5_c = (float *)(v2_arena + 0);
// C-NEXT:    tsr_double(v0_x, v3_a);
// C:         free(v2_arena);
// C-NEXT:  }

// CUDA-LABEL: extern "C" int tsr_twice(const float *__restrict__ v0_x, float *__restrict__ v1_out) {
// CUDA-NEXT:    int8_t *v2_arena = NULL;
// CUDA-NEXT:    TESSERA_CUDA_CHECK(cudaMalloc((void **)&v2_arena, (size_t)192));
// CUDA-NEXT:    float *const v3_a = (float *)(v2_arena + 0);
// CUDA-NEXT:    int32_t *const v4_b = (int32_t *)(v2_arena + 128);
// CUDA-NEXT:    float *const v5_c = (float *)(v2_arena + 0);
// CUDA-NEXT:    TESSERA_CUDA_CHECK(tsr_double(v0_x, v3_a));
// CUDA:         cudaFree(v2_arena);
func.func @twice(%x: memref<32xf32>, %out: memref<32xf32> {tessera.out}) {
  %a = memref.alloc() : memref<32xf32>
  %b = memref.alloc() : memref<16xi32>
  %c = memref.alloc() : memref<32xf32>
  func.call @double(%x, %a) : (memref<32xf32>, memref<32xf32>) -> ()
  func.call @cast(%a, %b) : (memref<32xf32>, memref<16xi32>) -> ()
  func.call @uncast(%b, %c) : (memref<16xi32>, memref<32xf32>) -> ()
  "memref.copy"(%c, %out) : (memref<32xf32>, memref<32xf32>) -> ()
  memref.dealloc %a : memref<32xf32>
  memref.dealloc %b : memref<16xi32>
  memref.dealloc %c : memref<32xf32>
  func.return
}

func.func @double(%x: memref<32xf32>, %out: memref<32xf32> {tessera.out}) {
  "memref.copy"(%x, %out) : (memref<32xf32>, memref<32xf32>) -> ()
  func.return
}

func.func @cast(%x: memref<32xf32>, %out: memref<16xi32> {tessera.out}) {
  func.return
}

func.func @uncast(%x: memref<16xi32>, %out: memref<32xf32> {tessera.out}) {
  func.return
}
