// RUN: tessera-opt %s -p 'linalg-to-gpu{block=64,64 thread=3,4}' --verify-diagnostics --split-input-file | filecheck %s --check-prefix=TILE
// RUN: tessera-opt %s -p 'linalg-to-gpu{block=256,256 thread=8,8 k_tile=64}' --verify-diagnostics --split-input-file | filecheck %s --check-prefix=SHARED
// RUN: tessera-opt %s -p 'linalg-to-gpu{block=128,128 thread=2,2}' --verify-diagnostics --split-input-file | filecheck %s --check-prefix=THREADS
// RUN: not tessera-opt %s -p 'linalg-to-gpu{threads=100}' 2>&1 | filecheck %s --check-prefix=BLOCK

// Schedules the hardware cannot run are errors at the op, naming the limit.

func.func @matmul(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %c: memref<64x64xf32>) {
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>)
  func.return
}

// TILE: the thread tile's rows (3) do not divide the block tile's (64)
// SHARED: bytes of shared memory (at most 49152)
// THREADS: 4096 threads a block (at most 1024)
// BLOCK: linalg-to-gpu: threads=100 must be a multiple of 32 up to 1024
