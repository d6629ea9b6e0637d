// More of what the emitter may write, checked against NumPy by the tests:
// - tsr_softmax_k0: a row softmax of x[8x64], one 64-thread block per row, max and sum
//   reduced in shared memory (fmaxf, -INFINITY, expf);
// - tsr_affine_k0: y = relu(x * w[i % 4] + bias) with float4 loads and stores, a __device__
//   constant table, a __constant__ scalar, a __forceinline__ helper, a 2-D grid of 1-D
//   blocks (blockDim, gridDim), and a count of the positive results by atomicAdd.
#ifndef TESSERA_LAUNCH
#define TESSERA_LAUNCH(kernel, grid, block, ...) kernel<<<(grid), (block)>>>(__VA_ARGS__)
#endif
#include <stdint.h>
#include <math.h>

__device__ const float tsr_weights[4] = {0.5f, -1.0f, 2.0f, 0.25f};
__constant__ float tsr_bias[1] = {0.125f};

static __device__ __forceinline__ float tsr_relu(float v) { return fmaxf(v, 0.0f); }

extern "C" __global__ void __launch_bounds__(64) tsr_softmax_k0(
    const float* __restrict__ x, float* __restrict__ out) {
  __shared__ float reduce[64];
  int64_t tx = threadIdx.x;
  int64_t row = blockIdx.x;
  float v = x[row * 64 + tx];
  reduce[tx] = v;
  __syncthreads();
  for (int64_t stride = 32; stride > 0; stride /= 2) {
    float other = tx < stride ? reduce[tx + stride] : -INFINITY;
    __syncthreads();
    if (tx < stride) reduce[tx] = fmaxf(reduce[tx], other);
    __syncthreads();
  }
  float e = expf(v - reduce[0]);
  __syncthreads();
  reduce[tx] = e;
  __syncthreads();
#pragma unroll
  for (int64_t stride = 32; stride > 0; stride /= 2) {
    if (tx < stride) reduce[tx] += reduce[tx + stride];
    __syncthreads();
  }
  out[row * 64 + tx] = e / reduce[0];
}

extern "C" __global__ void __launch_bounds__(32) tsr_affine_k0(
    const float* __restrict__ x, float* __restrict__ y, int32_t* __restrict__ positive,
    int64_t quads) {
  int64_t block = (int64_t)blockIdx.y * gridDim.x + blockIdx.x;
  int64_t q = block * blockDim.x + threadIdx.x;
  if (q >= quads) return;
  float4 v = reinterpret_cast<const float4*>(x)[q];
  float4 r = make_float4(tsr_relu(v.x * tsr_weights[0] + tsr_bias[0]),
                         tsr_relu(v.y * tsr_weights[1] + tsr_bias[0]),
                         tsr_relu(v.z * tsr_weights[2] + tsr_bias[0]),
                         tsr_relu(v.w * tsr_weights[3] + tsr_bias[0]));
  reinterpret_cast<float4*>(y)[q] = r;
  atomicAdd(positive, (int32_t)((r.x > 0.0f) + (r.y > 0.0f) + (r.z > 0.0f) + (r.w > 0.0f)));
}

extern "C" int tsr_features(const float* __restrict__ x, float* __restrict__ softmax,
                            float* __restrict__ y, int32_t* __restrict__ positive) {
  TESSERA_LAUNCH(tsr_softmax_k0, dim3(8), dim3(64), x, softmax);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return (int)err;
  err = cudaMemset(positive, 0, sizeof(int32_t));
  if (err != cudaSuccess) return (int)err;
  // 512 floats = 128 quads: a 3x2 grid of 32-thread blocks (192 threads, 64 idle).
  TESSERA_LAUNCH(tsr_affine_k0, dim3(3, 2, 1), dim3(32, 1, 1), x, y, positive, (int64_t)128);
  err = cudaGetLastError();
  if (err != cudaSuccess) return (int)err;
  err = cudaDeviceSynchronize();
  return (int)err;
}
