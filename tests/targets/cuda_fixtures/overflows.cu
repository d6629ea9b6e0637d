// Bugs only a sanitizer sees, chosen by `mode` (0: none): 1 stores one element past a
// cudaMalloc'd temporary; 2 stores one past a thread's register array, after a barrier (so
// the thread's stack was switched away from and back); 3 stores from one shared array into
// the next. The indices come from `n` so that the compiler cannot see them.
#ifndef TESSERA_LAUNCH
#define TESSERA_LAUNCH(kernel, grid, block, ...) kernel<<<(grid), (block)>>>(__VA_ARGS__)
#endif
#include <stdint.h>

extern "C" __global__ void __launch_bounds__(64) tsr_overflow_k0(
    const float* __restrict__ x, float* __restrict__ t, int64_t n, int64_t mode) {
  __shared__ float first[64];
  __shared__ float second[64];
  float acc[4];
  int64_t tx = threadIdx.x;
  int64_t i = (int64_t)blockIdx.x * 64 + tx;
#pragma unroll
  for (int64_t j = 0; j < 4; ++j) acc[j] = x[i % n] * (float)j;
  first[tx] = x[i % n];
  second[tx] = 1.0f;
  __syncthreads();
  float* lane = acc;
  if (mode == 2 && tx == 5) lane[n - 96] = 0.0f;  // acc[4]
  float* row = first;
  if (mode == 3 && tx == 7) row[n - 30] = 0.0f;  // first[70]
  __syncthreads();
  if (i < n + (mode == 1)) t[i] = acc[tx % 4] + first[tx] + second[tx];
}

extern "C" int tsr_overflow(const float* __restrict__ x, float* __restrict__ out, int64_t mode) {
  float* t0 = 0;
  cudaError_t err = cudaMalloc((void**)&t0, 100 * sizeof(float));
  if (err != cudaSuccess) return (int)err;
  TESSERA_LAUNCH(tsr_overflow_k0, dim3(2), dim3(64), x, t0, 100, mode);
  err = cudaGetLastError();
  if (err == cudaSuccess) err = cudaMemcpy(out, t0, 100 * sizeof(float), cudaMemcpyDeviceToDevice);
  cudaFree(t0);
  if (err != cudaSuccess) return (int)err;
  return (int)cudaDeviceSynchronize();
}
