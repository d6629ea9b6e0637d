// A barrier that only some threads of a block reach: in block (1,0,0) the threads from 37
// on return early, the first 37 wait at __syncthreads() for ever (on a GPU: undefined).
#ifndef TESSERA_LAUNCH
#define TESSERA_LAUNCH(kernel, grid, block, ...) kernel<<<(grid), (block)>>>(__VA_ARGS__)
#endif
#include <stdint.h>

extern "C" __global__ void __launch_bounds__(256) tsr_divergent_k0(float* __restrict__ out) {
  __shared__ float staged[256];
  int64_t tx = threadIdx.x;
  if (blockIdx.x == 1 && tx >= 37) return;
  staged[tx] = (float)tx;
  __syncthreads();
  out[blockIdx.x * 256 + tx] = staged[255 - tx];
}

extern "C" int tsr_divergent(float* __restrict__ out) {
  TESSERA_LAUNCH(tsr_divergent_k0, dim3(2, 1, 1), dim3(256, 1, 1), out);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return (int)err;
  err = cudaDeviceSynchronize();
  return (int)err;
}
