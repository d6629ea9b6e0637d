// out[r] = sum of row r of x[37x300]: one block of 128 threads per row, each thread summing a
// strided slice, then a tree reduction in shared memory with a barrier per level. The grid
// is 5x8 blocks, row = blockIdx.y * gridDim.x + blockIdx.x, so the last three blocks idle.
#ifndef TESSERA_LAUNCH
#define TESSERA_LAUNCH(kernel, grid, block, ...) kernel<<<(grid), (block)>>>(__VA_ARGS__)
#endif
#include <stdint.h>
#include <math.h>

extern "C" __global__ void __launch_bounds__(128) tsr_row_sum_k0(
    const float* __restrict__ x, float* __restrict__ out, int64_t rows, int64_t cols) {
  __shared__ float partial[128];
  int64_t tx = threadIdx.x;
  int64_t row = (int64_t)blockIdx.y * gridDim.x + blockIdx.x;
  if (row >= rows) return;  // the whole block returns: no barrier is divergent
  float sum = 0.0f;
  for (int64_t c = tx; c < cols; c += blockDim.x) sum += x[row * cols + c];
  partial[tx] = sum;
#ifndef TESSERA_MISSING_BARRIER
  __syncthreads();
#endif
  for (int64_t stride = 64; stride > 0; stride /= 2) {
    if (tx < stride) partial[tx] += partial[tx + stride];
    __syncthreads();
  }
  if (tx == 0) out[row] = partial[0];
}

extern "C" int tsr_row_sum(const float* __restrict__ x, float* __restrict__ out) {
  TESSERA_LAUNCH(tsr_row_sum_k0, dim3(5, 8, 1), dim3(128, 1, 1), x, out, 37, 300);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return (int)err;
  err = cudaDeviceSynchronize();
  return (int)err;
}
