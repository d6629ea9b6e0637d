// RUN: tessera-opt %s -p 'memory-plan{poison=true}' --split-input-file --verify-diagnostics | filecheck %s

// poison=true fills buffers from the host: it is refused, at the launch, where they are
// device memory.

builtin.module attributes {gpu.container_module} {
  func.func @launch(%x: memref<4xf32>, %out: memref<4xf32> {tessera.out}) {
    %t = memref.alloc() : memref<4xf32>
    %c1 = arith.constant 1 : index
    // CHECK: errors.mlir:[[# @LINE + 1]]:5: error: memory-plan: poison=true fills buffers with host stores, which device buffers cannot take
    "gpu.launch_func"(%c1, %c1, %c1, %c1, %c1, %c1, %x, %t) <{kernel = @kernels::@copy, operandSegmentSizes = array<i32: 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 0>}> : (index, index, index, index, index, index, memref<4xf32>, memref<4xf32>) -> ()
    "memref.copy"(%t, %out) : (memref<4xf32>, memref<4xf32>) -> ()
    memref.dealloc %t : memref<4xf32>
    func.return
  }
  "gpu.module"() <{sym_name = "kernels"}> ({
    "gpu.func"() <{function_type = (memref<4xf32>, memref<4xf32>) -> (), kernel}> ({
    ^bb0(%a: memref<4xf32>, %b: memref<4xf32>):
      "gpu.return"() : () -> ()
    }) {sym_name = "copy"} : () -> ()
  }) : () -> ()
}

// -----

// Recursion has no bounded peak memory.

func.func @loop(%x: memref<4xf32>) {
  // CHECK: errors.mlir:[[# @LINE + 1]]:3: error: memory-plan: @loop is called recursively: its peak memory has no bound
  func.call @loop(%x) : (memref<4xf32>) -> ()
  func.return
}
