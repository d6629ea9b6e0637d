// Small launchers that pin down the emulated execution model (each also compiles with nvcc).
#ifndef TESSERA_LAUNCH
#define TESSERA_LAUNCH(kernel, grid, block, ...) kernel<<<(grid), (block)>>>(__VA_ARGS__)
#endif
#include <stdint.h>

// Every thread records its threadIdx/blockIdx and blockDim/gridDim; thread 0 of each block
// records when its block ran (a counter it increments).
extern "C" __global__ void tsr_indices_k0(int32_t* __restrict__ ids, int32_t* __restrict__ order,
                                          int32_t* __restrict__ counter) {
  int64_t block = ((int64_t)blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
  int64_t lane = ((int64_t)threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
  int64_t per_block = (int64_t)blockDim.x * blockDim.y * blockDim.z;
  int32_t* mine = ids + (block * per_block + lane) * 6;
  mine[0] = threadIdx.x;
  mine[1] = threadIdx.y;
  mine[2] = threadIdx.z;
  mine[3] = blockIdx.x;
  mine[4] = blockIdx.y;
  mine[5] = blockIdx.z;
  if (lane == 0) order[block] = atomicAdd(counter, 1);
}

extern "C" int tsr_indices(int32_t* __restrict__ ids, int32_t* __restrict__ order) {
  int32_t* counter = 0;
  cudaError_t err = cudaMalloc((void**)&counter, sizeof(int32_t));
  if (err != cudaSuccess) return (int)err;
  cudaMemset(counter, 0, sizeof(int32_t));
  TESSERA_LAUNCH(tsr_indices_k0, dim3(3, 2, 2), dim3(4, 3, 2), ids, order, counter);
  err = cudaGetLastError();
  cudaFree(counter);
  if (err != cudaSuccess) return (int)err;
  return (int)cudaDeviceSynchronize();
}

// Only block 0 writes the shared array; every block reads it back.
extern "C" __global__ void tsr_shared_k0(float* __restrict__ out) {
  __shared__ float staged[32];
  int64_t tx = threadIdx.x;
  if (blockIdx.x == 0) staged[tx] = 1.0f;
  __syncthreads();
  out[blockIdx.x * 32 + tx] = staged[tx];
}

extern "C" int tsr_shared(float* __restrict__ out) {
  TESSERA_LAUNCH(tsr_shared_k0, dim3(2), dim3(32), out);
  return (int)cudaGetLastError();
}

// Writes the first half of a fresh cudaMalloc'd buffer, then copies all of it out.
extern "C" __global__ void tsr_half_k0(float* __restrict__ t) { t[threadIdx.x] = 2.0f; }

extern "C" int tsr_half(float* __restrict__ out) {
  float* t0 = 0;
  cudaError_t err = cudaMalloc((void**)&t0, 64 * sizeof(float));
  if (err != cudaSuccess) return (int)err;
  TESSERA_LAUNCH(tsr_half_k0, dim3(1), dim3(32), t0);
  err = cudaGetLastError();
  if (err == cudaSuccess) err = cudaMemcpy(out, t0, 64 * sizeof(float), cudaMemcpyDeviceToDevice);
  cudaFree(t0);
  return (int)err;
}

// A block of `threads` threads: more than 1024 is an invalid configuration.
extern "C" __global__ void tsr_fill_k0(float* __restrict__ out) { out[threadIdx.x] = 3.0f; }

extern "C" int tsr_fill(float* __restrict__ out, int64_t threads) {
  TESSERA_LAUNCH(tsr_fill_k0, dim3(1), dim3((unsigned)threads), out);
  return (int)cudaGetLastError();
}

// Even and odd threads wait at different barriers.
extern "C" __global__ void tsr_sites_k0(float* __restrict__ out) {
  int64_t tx = threadIdx.x;
  if (tx % 2 == 0) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[tx] = 1.0f;
}

extern "C" int tsr_sites(float* __restrict__ out) {
  TESSERA_LAUNCH(tsr_sites_k0, dim3(1), dim3(64), out);
  return (int)cudaGetLastError();
}
