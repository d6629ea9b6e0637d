// RUN: tessera-opt %s -p memory-plan | filecheck %s

// At the CUDA level a buffer is device memory, used by the kernels it is launched with:
// the launch is its use, and the kernel receives the view.

// CHECK-LABEL: func.func @launch(
// CHECK-SAME:  attributes {tessera.memory = {peak = 16 : i64, unplanned = 16 : i64, arena = 16 : i64, buffers = 1 : i64}} {
// CHECK-NEXT:  %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16xi8>
// CHECK-NEXT:  %[[O:.*]] = arith.constant 0 : index
// CHECK-NEXT:  %[[T:.*]] = memref.view %[[ARENA]][%[[O]]][] : memref<16xi8> to memref<4xf32>
// CHECK:       "gpu.launch_func"({{.*}}, %[[T]])
// CHECK-NEXT:  "memref.copy"(%[[T]], %{{.*}})
// CHECK-NEXT:  memref.dealloc %[[ARENA]] : memref<16xi8>
// CHECK-NEXT:  func.return
builtin.module attributes {gpu.container_module} {
  func.func @launch(%x: memref<4xf32>, %out: memref<4xf32> {tessera.out}) {
    %t = memref.alloc() : memref<4xf32>
    %c1 = arith.constant 1 : index
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

