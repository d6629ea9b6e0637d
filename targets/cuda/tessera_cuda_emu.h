/* tessera_cuda_emu.h -- the CUDA execution model, emulated on the CPU.
 *
 * Force-include this header into a `.cu` file written for nvcc and compile it as ordinary
 * C++17 (`g++ -x c++ -std=c++17 -include tessera_cuda_emu.h kernel.cu`): the kernels then run
 * on the host, one thread block at a time, and the host code around them (cudaMalloc,
 * kernel launches, cudaMemcpy, ...) runs against host memory. It is how Tessera runs and
 * debugs its CUDA output on a machine without a GPU, and how it runs it under AddressSanitizer.
 *
 * The model
 * ---------
 * - Device memory is host memory. cudaMalloc fills new memory with 0xFF bytes, a NaN for
 *   every float, so a kernel that reads memory nobody wrote produces NaNs, not plausible
 *   zeros.
 * - A launch runs its blocks one after the other, blockIdx.x fastest, then y, then z.
 *   Blocks of a grid are independent in CUDA, so any order is a legal schedule.
 * - Within a block every CUDA thread is a *fiber*: a context with its own stack (ucontext's
 *   makecontext/swapcontext). A fiber runs, uninterrupted, until it calls __syncthreads()
 *   or returns. The scheduler resumes the fibers in thread order; once every thread of the
 *   block waits at a barrier, all are released together. So `__syncthreads()` means exactly
 *   what it means on a GPU: nothing after it runs before everything before it has run, in
 *   every thread of the block. And nothing more: between two barriers the threads run one
 *   after another, so a kernel that forgets a barrier reads what a *later* thread has not
 *   written yet.
 * - `__shared__` variables are static variables placed in the linker section
 *   `tessera_shared`; the linker brackets that section with `__start_tessera_shared` and
 *   `__stop_tessera_shared`, and the launcher fills it with 0xFF before every block. A
 *   kernel that reads shared memory before the barrier that should have published it
 *   therefore reads NaNs. (Shared memory of all kernels in the file lives side by side;
 *   only one block runs at a time, and CUDA promises nothing about shared memory at the
 *   start of a block, so poisoning all of it is faithful.)
 * - A barrier that some threads of a block reach while others have returned, or threads
 *   waiting at different __syncthreads() calls, is a kernel bug (on a GPU: a hang or
 *   undefined behaviour). Here the launch stops and records an error:
 *   cudaGetLastError() returns cudaErrorLaunchFailure and `tessera_emu_last_error()`
 *   says e.g. `tsr_k0: block (1,0,0): __syncthreads() at line 14 reached by 37 of 256
 *   threads (219 had returned)`.
 * - Fibers are cooperative: a kernel that spins waiting for another thread of its block
 *   (without a barrier) never finishes. Not emulated: warp-level operations (__shfl_sync,
 *   __syncwarp, votes), `extern __shared__` (dynamic shared memory), streams and events,
 *   launches from device code.
 * - g++ does not know nvcc's `#pragma unroll`: compile with -Wno-unknown-pragmas (GCC
 *   before 13 ignores `#pragma GCC diagnostic` for that warning in C++, so this header
 *   cannot silence it itself).
 *
 * AddressSanitizer
 * ----------------
 * Under -fsanitize=address (`__SANITIZE_ADDRESS__`) every switch between the scheduler and
 * a fiber is announced with __sanitizer_start_switch_fiber/__sanitizer_finish_switch_fiber,
 * so ASan knows which stack is live. The switch itself calls libc's swapcontext directly:
 * ASan's interceptor of swapcontext clears the shadow of the stack it switches to, which
 * would erase the redzones around a suspended thread's local arrays and hide an overflow
 * of `float acc[64]` after a barrier. The shared section is poisoned by a function ASan does
 * not instrument, because under `-fsanitize-sections=tessera_shared` (which the build adds
 * with g++, so that an overflow of one shared array into the next is reported) the section
 * holds ASan's redzones between the arrays. The stacks of threads abandoned at the barrier
 * of a failed launch may keep poisoned redzones; they are unpoisoned before reuse.
 *
 * Linkage: the emulator's state and functions have internal linkage (an anonymous namespace,
 * `static`), so that two emulated libraries in one process, perhaps built from different
 * versions of this header, never share or interpose each other's (C++ would otherwise
 * merge inline functions' static variables across libraries as STB_GNU_UNIQUE symbols).
 * Only the `extern "C"` entry points below are exported. One `.cu` file is one library.
 *
 * Limits: one kernel launch at a time per library (launches from several host threads are
 * serialised); up to 1024 threads per block; each thread's stack is 256 KiB (override with
 * `TESSERA_EMU_STACK_KIB`), behind a guard page; errors are per host thread.
 */
#ifndef TESSERA_CUDA_EMU_H
#define TESSERA_CUDA_EMU_H

#ifndef __cplusplus
#error "tessera_cuda_emu.h is C++17: compile with g++ -x c++ -std=c++17"
#endif

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <mutex>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define TESSERA_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TESSERA_EMU_ASAN 1
#endif
#endif
#ifndef TESSERA_EMU_ASAN
#define TESSERA_EMU_ASAN 0
#endif

#if TESSERA_EMU_ASAN
#include <dlfcn.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define TESSERA_EMU_NO_ASAN __attribute__((no_sanitize_address))
#else
#define TESSERA_EMU_NO_ASAN
#endif

#define TESSERA_EMU_EXPORT extern "C" __attribute__((visibility("default")))

/* ------------------------------------------------------------------------------------- */
/* Function and variable qualifiers                                                        */
/* ------------------------------------------------------------------------------------- */

#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
/* A static variable in the section the launcher poisons before each block (see above). */
#define __shared__ __attribute__((section("tessera_shared"), used)) static

/* ------------------------------------------------------------------------------------- */
/* Vector types                                                                            */
/* ------------------------------------------------------------------------------------- */

struct uint3 {
  unsigned int x, y, z;
};

struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1)
      : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};

struct alignas(8) float2 {
  float x, y;
};
struct alignas(16) float4 {
  float x, y, z, w;
};
static inline float2 make_float2(float x, float y) { return float2{x, y}; }
static inline float4 make_float4(float x, float y, float z, float w) {
  return float4{x, y, z, w};
}

/* ------------------------------------------------------------------------------------- */
/* Errors and the runtime API                                                              */
/* ------------------------------------------------------------------------------------- */

/* The values are CUDA's, so a code returned by a launcher means the same on both. */
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorLaunchOutOfResources = 701,
  cudaErrorLaunchFailure = 719,
};
typedef enum cudaError_t cudaError;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

namespace tessera_emu {
namespace {  // internal linkage: each library has its own emulator (see the note above)

/* ---- error state: the pending error (cudaGetLastError) and the message of the first ---- */

struct ErrorState {
  cudaError_t pending = cudaSuccess;
  char message[512] = "";
};

inline ErrorState& errors() {
  static thread_local ErrorState state;
  return state;
}

/* Record an error; the first message since the last reset is kept, it names the cause. */
__attribute__((format(printf, 2, 3))) inline void fail(cudaError_t code, const char* format, ...) {
  ErrorState& state = errors();
  state.pending = code;
  if (state.message[0] == '\0') {
    va_list args;
    va_start(args, format);
    vsnprintf(state.message, sizeof state.message, format, args);
    va_end(args);
  }
}

/* ---- device memory: host memory, poisoned, with a registry to catch bad frees ---- */

struct Allocations {
  std::mutex lock;
  std::unordered_map<void*, size_t> live;
};

inline Allocations& allocations() {
  static Allocations registry;
  return registry;
}

}  // namespace
}  // namespace tessera_emu

TESSERA_EMU_EXPORT const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
  }
  return "unknown error";
}

static inline cudaError_t cudaGetLastError(void) {
  tessera_emu::ErrorState& state = tessera_emu::errors();
  cudaError_t error = state.pending;
  state.pending = cudaSuccess;
  return error;
}

static inline cudaError_t cudaPeekAtLastError(void) { return tessera_emu::errors().pending; }

/* Launches are synchronous here, so there is nothing to wait for: report what is pending. */
static inline cudaError_t cudaDeviceSynchronize(void) { return tessera_emu::errors().pending; }

static inline cudaError_t cudaMalloc(void** pointer, size_t size) {
  if (pointer == nullptr) return cudaErrorInvalidValue;
  *pointer = nullptr;
  if (size == 0) return cudaSuccess;
  void* memory = nullptr;
  /* 256-byte aligned like cudaMalloc's; the exact size, so ASan sees one byte too far. */
  if (posix_memalign(&memory, 256, size) != 0) return cudaErrorMemoryAllocation;
  memset(memory, 0xFF, size);
  tessera_emu::Allocations& registry = tessera_emu::allocations();
  std::lock_guard<std::mutex> guard(registry.lock);
  registry.live.emplace(memory, size);
  *pointer = memory;
  return cudaSuccess;
}

template <class T>
static inline cudaError_t cudaMalloc(T** pointer, size_t size) {
  return cudaMalloc(reinterpret_cast<void**>(pointer), size);
}

static inline cudaError_t cudaFree(void* pointer) {
  if (pointer == nullptr) return cudaSuccess;
  tessera_emu::Allocations& registry = tessera_emu::allocations();
  {
    std::lock_guard<std::mutex> guard(registry.lock);
    if (registry.live.erase(pointer) == 0) {
      tessera_emu::fail(cudaErrorInvalidDevicePointer,
                        "cudaFree(%p): not a pointer cudaMalloc returned (or freed twice)",
                        pointer);
      return cudaErrorInvalidDevicePointer;
    }
  }
  free(pointer);
  return cudaSuccess;
}

static inline cudaError_t cudaMemcpy(void* destination, const void* source, size_t count,
                                     cudaMemcpyKind kind) {
  if (static_cast<int>(kind) < 0 || static_cast<int>(kind) > 4)
    return cudaErrorInvalidMemcpyDirection;
  if (count == 0) return cudaSuccess;
  if (destination == nullptr || source == nullptr) return cudaErrorInvalidValue;
  memcpy(destination, source, count);
  return cudaSuccess;
}

static inline cudaError_t cudaMemset(void* destination, int value, size_t count) {
  if (count == 0) return cudaSuccess;
  if (destination == nullptr) return cudaErrorInvalidValue;
  memset(destination, value, count);
  return cudaSuccess;
}

/* ------------------------------------------------------------------------------------- */
/* Device-side functions that <math.h> does not have                                       */
/* ------------------------------------------------------------------------------------- */

static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
/* CUDA's fast intrinsics, at full precision. Macros: glibc's <math.h> declares functions of
   these names that libm does not export. */
#define __expf(x) expf(x)
#define __logf(x) logf(x)
#define __log2f(x) log2f(x)
#define __sinf(x) sinf(x)
#define __cosf(x) cosf(x)
#define __tanf(x) tanf(x)
#define __powf(x, y) powf(x, y)
static inline float __fdividef(float x, float y) { return x / y; }
template <class T>
static inline T __ldg(const T* pointer) { return *pointer; }
/* Fibers never run at the same time, so a plain read-modify-write is atomic. The value's
   type is not deduced, so that `atomicAdd(float_pointer, 1.0)` converts as in CUDA. */
template <class T>
using tessera_emu_same = typename std::enable_if<true, T>::type;
template <class T>
static inline T atomicAdd(T* address, tessera_emu_same<T> value) {
  T old = *address;
  *address = old + value;
  return old;
}
template <class T>
static inline T atomicMax(T* address, tessera_emu_same<T> value) {
  T old = *address;
  if (value > old) *address = value;
  return old;
}
template <class T>
static inline T atomicMin(T* address, tessera_emu_same<T> value) {
  T old = *address;
  if (value < old) *address = value;
  return old;
}
template <class T>
static inline T atomicExch(T* address, tessera_emu_same<T> value) {
  T old = *address;
  *address = value;
  return old;
}
template <class T>
static inline T atomicCAS(T* address, tessera_emu_same<T> compare, tessera_emu_same<T> value) {
  T old = *address;
  if (old == compare) *address = value;
  return old;
}
static inline void __threadfence(void) {}
static inline void __threadfence_block(void) {}

/* ------------------------------------------------------------------------------------- */
/* The fiber scheduler                                                                     */
/* ------------------------------------------------------------------------------------- */

/* The linker defines these for the section of `__shared__` variables; the anchor makes sure
   the section exists (and so the symbols are defined) in a file without shared memory. */
extern "C" char __start_tessera_shared[] __attribute__((weak, visibility("hidden")));
extern "C" char __stop_tessera_shared[] __attribute__((weak, visibility("hidden")));

namespace tessera_emu {
namespace {  // internal linkage: each library has its own emulator (see the note above)

__attribute__((section("tessera_shared"), used, aligned(16))) static char shared_anchor[16];

enum class FiberState { runnable, at_barrier, done };

struct Fiber {
  ucontext_t context;
  char* stack = nullptr; /* lowest usable address (a guard page lies below it) */
  size_t stack_size = 0;
  uint3 thread_idx{0, 0, 0};
  FiberState state = FiberState::done;
  int barrier_line = 0;
  bool abandoned = false; /* stopped at a barrier of a failed launch; its stack is dirty */
  void* asan_fake_stack = nullptr;
};

typedef int (*SwapFunction)(ucontext_t*, const ucontext_t*);

struct Emulator {
  std::mutex launch_lock;
  std::vector<Fiber> fibers; /* one per thread of the running launch, released at its end */
  ucontext_t scheduler;
  Fiber* current = nullptr;
  /* The launch in progress. */
  const char* kernel_name = "";
  void (*invoke)(void*) = nullptr;
  void* closure = nullptr;
  uint3 block_idx{0, 0, 0};
  dim3 block_dim, grid_dim;
  /* The scheduler's stack, as ASan learns it on the first switch into a fiber. */
  const void* scheduler_stack = nullptr;
  size_t scheduler_stack_size = 0;
  void* scheduler_fake_stack = nullptr;

  ~Emulator() { release_fibers(); }

  /* Unmap every fiber's stack. Each launch maps its own and releases them at its end: a
     process may load hundreds of emulated libraries (each with an emulator of its own), and
     stacks kept per library would exhaust the kernel's limit on mappings (vm.max_map_count:
     a stack and its guard page are two). */
  void release_fibers() {
    for (Fiber& fiber : fibers)
      if (fiber.stack != nullptr) munmap(fiber.stack - page_size(), fiber.stack_size + page_size());
    fibers.clear();
  }

  static size_t page_size() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }
};

inline Emulator& emulator() {
  static Emulator instance;
  return instance;
}

inline size_t fiber_stack_size() {
  static const size_t size = [] {
    size_t kib = 256;
    if (const char* configured = getenv("TESSERA_EMU_STACK_KIB")) {
      long value = atol(configured);
      if (value >= 16) kib = static_cast<size_t>(value);
    }
    size_t page = Emulator::page_size();
    return (kib * 1024 + page - 1) / page * page;
  }();
  return size;
}

/* libc's swapcontext, bypassing ASan's interceptor (see the comment at the top). */
inline SwapFunction swap_function() {
#if TESSERA_EMU_ASAN
  static const SwapFunction function = [] {
    void* libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    void* symbol = libc != nullptr ? dlsym(libc, "swapcontext") : nullptr;
    return symbol != nullptr ? reinterpret_cast<SwapFunction>(symbol) : &swapcontext;
  }();
  return function;
#else
  return &swapcontext;
#endif
}

inline bool ensure_fibers(size_t count) {
  Emulator& emu = emulator();
  if (emu.fibers.size() >= count) return true;
  size_t page = Emulator::page_size();
  size_t size = fiber_stack_size();
  size_t old_count = emu.fibers.size();
  emu.fibers.resize(count);
  for (size_t i = old_count; i < count; ++i) {
    /* Reserve lazily: a fiber only commits the pages its kernel touches. */
    void* region = mmap(nullptr, size + page, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (region == MAP_FAILED) {
      emu.fibers.resize(i);
      return false;
    }
    mprotect(region, page, PROT_NONE); /* a guard page: a stack overflow faults */
    emu.fibers[i].stack = static_cast<char*>(region) + page;
    emu.fibers[i].stack_size = size;
  }
  return true;
}

/* Fill the shared section with 0xFF. Under ASan the section holds redzones between the
   arrays, so the fill is not instrumented and not a memset call (which ASan intercepts). */
TESSERA_EMU_NO_ASAN inline void poison_shared_memory() {
  char* begin = __start_tessera_shared;
  char* end = __stop_tessera_shared;
  if (begin == nullptr || end == nullptr) return;
#if TESSERA_EMU_ASAN
  for (volatile char* byte = begin; byte < end; ++byte) *byte = static_cast<char>(0xFF);
#else
  memset(begin, 0xFF, static_cast<size_t>(end - begin));
#endif
}

/* The first function on every fiber's stack. */
inline void fiber_main() {
  Emulator& emu = emulator();
#if TESSERA_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &emu.scheduler_stack, &emu.scheduler_stack_size);
#endif
  emu.invoke(emu.closure);
  emu.current->state = FiberState::done;
#if TESSERA_EMU_ASAN
  /* nullptr: this fiber is finished, ASan may drop its fake stack. */
  __sanitizer_start_switch_fiber(nullptr, emu.scheduler_stack, emu.scheduler_stack_size);
#endif
  /* Returning resumes uc_link, the scheduler. */
}

/* Scheduler -> fiber, until the fiber waits at a barrier or returns. */
inline void resume(Fiber& fiber) {
  Emulator& emu = emulator();
  emu.current = &fiber;
#if TESSERA_EMU_ASAN
  __sanitizer_start_switch_fiber(&emu.scheduler_fake_stack, fiber.stack, fiber.stack_size);
#endif
  swap_function()(&emu.scheduler, &fiber.context);
#if TESSERA_EMU_ASAN
  __sanitizer_finish_switch_fiber(emu.scheduler_fake_stack, nullptr, nullptr);
#endif
  emu.current = nullptr;
}

/* Fiber -> scheduler: the current thread waits at the barrier on `line`. */
inline void wait_at_barrier(int line) {
  Emulator& emu = emulator();
  Fiber* fiber = emu.current;
  if (fiber == nullptr) {
    fprintf(stderr, "tessera_cuda_emu: __syncthreads() called outside a kernel\n");
    abort();
  }
  fiber->state = FiberState::at_barrier;
  fiber->barrier_line = line;
#if TESSERA_EMU_ASAN
  __sanitizer_start_switch_fiber(&fiber->asan_fake_stack, emu.scheduler_stack,
                                 emu.scheduler_stack_size);
#endif
  swap_function()(&fiber->context, &emu.scheduler);
#if TESSERA_EMU_ASAN
  __sanitizer_finish_switch_fiber(fiber->asan_fake_stack, nullptr, nullptr);
#endif
}

inline const uint3& current_thread_idx() {
  Fiber* fiber = emulator().current;
  if (fiber == nullptr) {
    fprintf(stderr, "tessera_cuda_emu: threadIdx read outside a kernel\n");
    abort();
  }
  return fiber->thread_idx;
}

/* Run one block to completion. False (with the error recorded) on a divergent barrier. */
inline bool run_block(unsigned int threads) {
  Emulator& emu = emulator();
  const dim3& block = emu.block_dim;
  for (unsigned int i = 0; i < threads; ++i) {
    Fiber& fiber = emu.fibers[i];
#if TESSERA_EMU_ASAN
    if (fiber.abandoned) __asan_unpoison_memory_region(fiber.stack, fiber.stack_size);
#endif
    fiber.abandoned = false;
    fiber.asan_fake_stack = nullptr;
    fiber.thread_idx = uint3{i % block.x, (i / block.x) % block.y, i / (block.x * block.y)};
    fiber.state = FiberState::runnable;
    getcontext(&fiber.context);
    fiber.context.uc_stack.ss_sp = fiber.stack;
    fiber.context.uc_stack.ss_size = fiber.stack_size;
    fiber.context.uc_link = &emu.scheduler;
    makecontext(&fiber.context, fiber_main, 0);
  }
  for (;;) {
    /* One pass: every runnable thread runs up to its next barrier or its end. */
    for (unsigned int i = 0; i < threads; ++i)
      if (emu.fibers[i].state == FiberState::runnable) resume(emu.fibers[i]);
    unsigned int waiting = 0, first_waiting = 0;
    bool same_barrier = true;
    for (unsigned int i = 0; i < threads; ++i) {
      const Fiber& fiber = emu.fibers[i];
      if (fiber.state != FiberState::at_barrier) continue;
      if (waiting == 0) first_waiting = i;
      same_barrier = same_barrier && fiber.barrier_line == emu.fibers[first_waiting].barrier_line;
      ++waiting;
    }
    if (waiting == 0) return true; /* every thread returned */
    const uint3& b = emu.block_idx;
    if (waiting < threads || !same_barrier) {
      for (unsigned int i = 0; i < threads; ++i)
        if (emu.fibers[i].state == FiberState::at_barrier) emu.fibers[i].abandoned = true;
      if (waiting < threads) {
        fail(cudaErrorLaunchFailure,
             "%s: block (%u,%u,%u): __syncthreads() at line %d reached by %u of %u threads "
             "(%u had returned)",
             emu.kernel_name, b.x, b.y, b.z, emu.fibers[first_waiting].barrier_line, waiting,
             threads, threads - waiting);
      } else {
        int other = 0;
        for (unsigned int i = 0; i < threads && other == 0; ++i)
          if (emu.fibers[i].barrier_line != emu.fibers[first_waiting].barrier_line)
            other = emu.fibers[i].barrier_line;
        fail(cudaErrorLaunchFailure,
             "%s: block (%u,%u,%u): threads wait at different __syncthreads() "
             "(lines %d and %d)",
             emu.kernel_name, b.x, b.y, b.z, emu.fibers[first_waiting].barrier_line, other);
      }
      return false;
    }
    for (unsigned int i = 0; i < threads; ++i) emu.fibers[i].state = FiberState::runnable;
  }
}

/* CUDA's limits on a launch's shape (compute capability 7.0 and later). */
inline bool valid_configuration(const char* name, dim3 grid, dim3 block) {
  unsigned long long threads =
      static_cast<unsigned long long>(block.x) * block.y * block.z;
  const char* problem = nullptr;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || threads == 0)
    problem = "a dimension is 0";
  else if (threads > 1024)
    problem = "more than 1024 threads per block";
  else if (block.z > 64)
    problem = "blockDim.z above 64";
  else if (grid.x > 2147483647u || grid.y > 65535u || grid.z > 65535u)
    problem = "grid dimension above its limit (2^31-1, 65535, 65535)";
  if (problem == nullptr) return true;
  fail(cudaErrorInvalidConfiguration,
       "%s: invalid launch configuration grid (%u,%u,%u) block (%u,%u,%u): %s", name, grid.x,
       grid.y, grid.z, block.x, block.y, block.z, problem);
  return false;
}

/* Whether this host thread is running a grid (so a launch now would come from a kernel). */
inline bool& in_grid() {
  static thread_local bool running = false;
  return running;
}

inline void run_grid(const char* name, void (*invoke)(void*), void* closure, dim3 grid,
                     dim3 block) {
  if (in_grid()) {
    fail(cudaErrorLaunchFailure, "%s: launched from device code (not emulated)", name);
    return;
  }
  if (!valid_configuration(name, grid, block)) return;
  Emulator& emu = emulator();
  std::lock_guard<std::mutex> guard(emu.launch_lock);
  struct Running {
    Running() { in_grid() = true; }
    ~Running() { in_grid() = false; }
  } running;
  unsigned int threads = block.x * block.y * block.z;
  struct Release {
    Emulator& emu;
    ~Release() { emu.release_fibers(); }
  } release{emu};
  if (!ensure_fibers(threads)) {
    fail(cudaErrorLaunchOutOfResources, "%s: cannot map stacks for %u threads", name, threads);
    return;
  }
  emu.kernel_name = name;
  emu.invoke = invoke;
  emu.closure = closure;
  emu.block_dim = block;
  emu.grid_dim = grid;
  for (unsigned int z = 0; z < grid.z; ++z)
    for (unsigned int y = 0; y < grid.y; ++y)
      for (unsigned int x = 0; x < grid.x; ++x) {
        emu.block_idx = uint3{x, y, z};
        poison_shared_memory();
        if (!run_block(threads)) return;
      }
}

/* kernel<<<grid, block>>>(args...): convert the arguments to the kernel's parameter types
   once (as the CUDA runtime copies them), then run every thread on its own fiber. */
template <class... Params, class... Args>
inline void launch(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block,
                   Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args),
                "TESSERA_LAUNCH: wrong number of kernel arguments");
  struct Closure {
    void (*kernel)(Params...);
    std::tuple<std::decay_t<Params>...> arguments;
  } closure{kernel, std::tuple<std::decay_t<Params>...>(std::forward<Args>(args)...)};
  auto invoke = [](void* opaque) {
    Closure* call = static_cast<Closure*>(opaque);
    std::apply(call->kernel, call->arguments);
  };
  run_grid(name, invoke, &closure, grid, block);
}

}  // namespace
}  // namespace tessera_emu

/* ------------------------------------------------------------------------------------- */
/* What kernels and launchers write                                                        */
/* ------------------------------------------------------------------------------------- */

#define threadIdx (::tessera_emu::current_thread_idx())
#define blockIdx (static_cast<const uint3&>(::tessera_emu::emulator().block_idx))
#define blockDim (static_cast<const dim3&>(::tessera_emu::emulator().block_dim))
#define gridDim (static_cast<const dim3&>(::tessera_emu::emulator().grid_dim))
#define warpSize 32
#define __syncthreads() (::tessera_emu::wait_at_barrier(__LINE__))

#undef TESSERA_LAUNCH
#define TESSERA_LAUNCH(kernel, grid, block, ...) \
  (::tessera_emu::launch(#kernel, kernel, grid, block, ##__VA_ARGS__))

/* For the runner: the message of the first error since the last reset ("" if none). */
TESSERA_EMU_EXPORT const char* tessera_emu_last_error(void) {
  return tessera_emu::errors().message;
}

/* For the runner, before each call: forget errors of earlier calls. */
TESSERA_EMU_EXPORT void tessera_emu_reset(void) {
  tessera_emu::errors() = tessera_emu::ErrorState();
}

/* How many cudaMalloc'd blocks are not freed: a launcher should leave none. */
TESSERA_EMU_EXPORT long tessera_emu_live_allocations(void) {
  tessera_emu::Allocations& registry = tessera_emu::allocations();
  std::lock_guard<std::mutex> guard(registry.lock);
  return static_cast<long>(registry.live.size());
}

#endif /* TESSERA_CUDA_EMU_H */
