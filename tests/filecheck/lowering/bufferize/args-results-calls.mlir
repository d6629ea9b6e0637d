// RUN: tessera-opt %s -p bufferize | filecheck %s
// RUN: tessera-opt %s -p bufferize --print-op-generic | filecheck %s --check-prefix=GENERIC

// Tensor arguments become memrefs; tensor results become trailing `{tessera.out}` arguments
// and the function returns nothing. A value built in a local buffer is built in the output
// argument instead.

// CHECK-LABEL: func.func @relu(
// CHECK-SAME: %[[X:.*]]: memref<4x8xf32>, %[[OUT:.*]]: memref<4x8xf32> {tessera.out}) {
// CHECK-NOT: memref.alloc
// CHECK: linalg.generic {{.*}} ins(%[[X]] : memref<4x8xf32>) outs(%[[OUT]] : memref<4x8xf32>)
// CHECK: arith.maximumf
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.dealloc
// CHECK: func.return{{$}}
func.func @relu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  func.return %r : tensor<4x8xf32>
}

// Two results: two output arguments, in order; scalar arguments stay as they are.

// CHECK-LABEL: func.func @two_results(
// CHECK-SAME: %[[A:.*]]: memref<3xf32>, %[[S:.*]]: f32, %[[OUT0:.*]]: memref<3xf32> {tessera.out}, %[[OUT1:.*]]: memref<3xf32> {tessera.out}) {
// CHECK-NEXT: linalg.fill ins(%[[S]] : f32) outs(%[[OUT0]] : memref<3xf32>)
// CHECK-NEXT: linalg.generic {{.*}} ins(%[[A]], %[[OUT0]] : memref<3xf32>, memref<3xf32>) outs(%[[OUT1]] : memref<3xf32>)
// CHECK: func.return{{$}}
func.func @two_results(%a: tensor<3xf32>, %s: f32) -> (tensor<3xf32>, tensor<3xf32>) {
  %e0 = tensor.empty() : tensor<3xf32>
  %f = linalg.fill ins(%s : f32) outs(%e0 : tensor<3xf32>) -> tensor<3xf32>
  %e1 = tensor.empty() : tensor<3xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%a, %f : tensor<3xf32>, tensor<3xf32>) outs(%e1 : tensor<3xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %z = arith.addf %x, %y : f32
    linalg.yield %z : f32
  } -> tensor<3xf32>
  func.return %f, %sum : tensor<3xf32>, tensor<3xf32>
}

// A call site allocates the callee's output buffers. A result the caller returns is written
// by the callee straight into the caller's output argument; the other one is freed.

// CHECK-LABEL: func.func @caller(
// CHECK-SAME: %[[A:.*]]: memref<3xf32>, %[[OUT:.*]]: memref<3xf32> {tessera.out}) {
// CHECK-NEXT: %[[S:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT: %[[R0:.*]] = memref.alloc() : memref<3xf32>
// CHECK-NEXT: func.call @two_results(%[[A]], %[[S]], %[[R0]], %[[OUT]]) : (memref<3xf32>, f32, memref<3xf32>, memref<3xf32>) -> ()
// CHECK-NEXT: memref.dealloc %[[R0]] : memref<3xf32>
// CHECK-NEXT: func.return{{$}}
func.func @caller(%a: tensor<3xf32>) -> tensor<3xf32> {
  %s = arith.constant 2.000000e+00 : f32
  %r:2 = func.call @two_results(%a, %s) : (tensor<3xf32>, f32) -> (tensor<3xf32>, tensor<3xf32>)
  func.return %r#1 : tensor<3xf32>
}

// Returning an argument, or the same value twice, copies: an output never aliases an input
// or another output. Scalar results stay results.

// CHECK-LABEL: func.func @passthrough(
// CHECK-SAME: %[[A:.*]]: memref<2x2xi32>, %[[N:.*]]: index, %[[OUT0:.*]]: memref<2x2xi32> {tessera.out}, %[[OUT1:.*]]: memref<2x2xi32> {tessera.out}) -> index {
// CHECK-NEXT: "memref.copy"(%[[A]], %[[OUT0]]) : (memref<2x2xi32>, memref<2x2xi32>) -> ()
// CHECK-NEXT: "memref.copy"(%[[A]], %[[OUT1]]) : (memref<2x2xi32>, memref<2x2xi32>) -> ()
// CHECK-NEXT: func.return %[[N]] : index
func.func @passthrough(%a: tensor<2x2xi32>, %n: index) -> (tensor<2x2xi32>, index, tensor<2x2xi32>) {
  func.return %a, %n, %a : tensor<2x2xi32>, index, tensor<2x2xi32>
}

// CHECK-LABEL: func.func @twice(
// CHECK-SAME: %[[S:.*]]: f32, %[[OUT0:.*]]: memref<5xf32> {tessera.out}, %[[OUT1:.*]]: memref<5xf32> {tessera.out}) {
// CHECK-NEXT: linalg.fill ins(%[[S]] : f32) outs(%[[OUT0]] : memref<5xf32>)
// CHECK-NEXT: "memref.copy"(%[[OUT0]], %[[OUT1]]) : (memref<5xf32>, memref<5xf32>) -> ()
// CHECK-NEXT: func.return{{$}}
func.func @twice(%s: f32) -> (tensor<5xf32>, tensor<5xf32>) {
  %e = tensor.empty() : tensor<5xf32>
  %f = linalg.fill ins(%s : f32) outs(%e : tensor<5xf32>) -> tensor<5xf32>
  func.return %f, %f : tensor<5xf32>, tensor<5xf32>
}

// A declaration changes its signature the same way (xDSL prints no argument attributes on
// declarations; the generic form shows `tessera.out`).

// CHECK-LABEL: func.func private @external(memref<2xf32>, memref<2xf32>) -> ()
// GENERIC: "func.func"() <{sym_name = "external", function_type = (memref<2xf32>, memref<2xf32>) -> (), sym_visibility = "private", arg_attrs = [{}, {tessera.out}]}>
func.func private @external(tensor<2xf32>) -> tensor<2xf32>
