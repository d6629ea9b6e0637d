// RUN: tessera-opt %s -p gpu-outline-kernels | filecheck %s

// Each launch body becomes a kernel of @kernels named after its function; what the body
// uses from outside becomes a parameter (buffers) or is cloned into the kernel (constants,
// globals); the body's arguments become id ops, only those used.

"memref.global"() <{sym_name = "scale", sym_visibility = "private", type = memref<4xf32>, initial_value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>, constant}> : () -> ()

func.func @f(%x: memref<4xf32>, %y: memref<4xf32>) {
  %one = arith.constant 1 : index
  %four = arith.constant 4 : index
  %two = arith.constant 2.000000e+00 : f32
  %s = memref.get_global @scale : memref<4xf32>
  "gpu.launch"(%one, %one, %one, %four, %one, %one) <{operandSegmentSizes = array<i32: 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0>}> ({
  ^bb0(%bx: index, %by: index, %bz: index, %tx: index, %ty: index, %tz: index, %gx: index, %gy: index, %gz: index, %sx: index, %sy: index, %sz: index):
    %v = memref.load %x[%tx] : memref<4xf32>
    %w = memref.load %s[%tx] : memref<4xf32>
    %p = arith.mulf %v, %w : f32
    %q = arith.mulf %p, %two : f32
    memref.store %q, %y[%tx] : memref<4xf32>
    "gpu.terminator"() : () -> ()
  }) : (index, index, index, index, index, index) -> ()
  "gpu.launch"(%one, %one, %one, %four, %one, %one) <{operandSegmentSizes = array<i32: 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0>}> ({
  ^bb0(%bx: index, %by: index, %bz: index, %tx: index, %ty: index, %tz: index, %gx: index, %gy: index, %gz: index, %sx: index, %sy: index, %sz: index):
    memref.store %two, %x[%sx] : memref<4xf32>
    "gpu.terminator"() : () -> ()
  }) : (index, index, index, index, index, index) -> ()
  func.return
}

// CHECK:       builtin.module attributes {gpu.container_module} {
// CHECK-LABEL: func.func @f
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[FOUR:.*]] = arith.constant 4 : index
// CHECK:         "gpu.launch_func"(%[[ONE]], %[[ONE]], %[[ONE]], %[[FOUR]], %[[ONE]], %[[ONE]], %x, %y) <{kernel = @kernels::@f_k0
// CHECK:         "gpu.launch_func"(%[[ONE]], %[[ONE]], %[[ONE]], %[[FOUR]], %[[ONE]], %[[ONE]], %x) <{kernel = @kernels::@f_k1
// CHECK-NOT:     "gpu.launch"(
// CHECK:       "gpu.module"() <{sym_name = "kernels"}>
// CHECK:         "gpu.func"() <{function_type = (memref<4xf32>, memref<4xf32>) -> (), kernel}>
// CHECK-NEXT:    ^{{.*}}(%x: memref<4xf32>, %y: memref<4xf32>):
// CHECK-NEXT:      %[[S:.*]] = memref.get_global @scale : memref<4xf32>
// CHECK-NEXT:      %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      %[[TX:.*]] = "gpu.thread_id"() <{dimension = #gpu<dim x>}> : () -> index
// CHECK-NEXT:      %[[V:.*]] = memref.load %x[%[[TX]]]
// CHECK-NEXT:      memref.load %[[S]][%[[TX]]]
// CHECK:           arith.mulf %{{.*}}, %[[TWO]]
// CHECK:           memref.store %{{.*}}, %y[%[[TX]]]
// CHECK-NEXT:      "gpu.return"() : () -> ()
// CHECK-NEXT:    }) {sym_name = "f_k0", gpu.known_block_size = array<i32: 4, 1, 1>}
// The second kernel reads only blockDim.x.
// CHECK:         "gpu.func"() <{function_type = (memref<4xf32>) -> (), kernel}>
// CHECK:           "gpu.block_dim"() <{dimension = #gpu<dim x>}>
// CHECK-NOT:       "gpu.thread_id"
// CHECK:         }) {sym_name = "f_k1"
