// RUN: tessera-opt %s -p bufferize | filecheck %s

// A dense tensor constant becomes a private constant memref.global read with
// memref.get_global; equal constants share one global, different ones get fresh names.
// Scalar constants stay as they are.

// CHECK: "memref.global"() <{sym_name = "__constant_4xf32", type = memref<4xf32>, initial_value = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>, sym_visibility = "private", constant}> : () -> ()
// CHECK-NEXT: "memref.global"() <{sym_name = "__constant_4xf32_0", type = memref<4xf32>, initial_value = dense<5.000000e-01> : tensor<4xf32>, sym_visibility = "private", constant}> : () -> ()
// CHECK-NEXT: "memref.global"() <{sym_name = "__constant_2x2xi8", type = memref<2x2xi8>, initial_value = dense<{{\[\[}}1, -2], [3, 4]]> : tensor<2x2xi8>, sym_visibility = "private", constant}> : () -> ()

// CHECK-LABEL: func.func @bias(
// CHECK-SAME: %[[X:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32> {tessera.out}) {
// CHECK-NEXT: %[[C:.*]] = memref.get_global @__constant_4xf32 : memref<4xf32>
// CHECK-NEXT: %[[H:.*]] = memref.get_global @__constant_4xf32_0 : memref<4xf32>
// CHECK-NEXT: linalg.generic {{.*}} ins(%[[X]], %[[C]], %[[H]] : memref<4xf32>, memref<4xf32>, memref<4xf32>) outs(%[[OUT]] : memref<4xf32>)
func.func @bias(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %h = arith.constant dense<0.5> : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x, %c, %h : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %s: f32, %o: f32):
    %t = arith.addf %a, %b : f32
    %u = arith.mulf %t, %s : f32
    linalg.yield %u : f32
  } -> tensor<4xf32>
  func.return %r : tensor<4xf32>
}

// The same constant in another function reuses the global. A constant returned is copied
// out (a global is never written); one used as `outs` is copied into a fresh buffer first.

// CHECK-LABEL: func.func @constant_out(
// CHECK-SAME: %[[S:.*]]: f32, %[[OUT0:.*]]: memref<4xf32> {tessera.out}, %[[OUT1:.*]]: memref<2x2xi8> {tessera.out}) {
// CHECK-NEXT: %[[C:.*]] = memref.get_global @__constant_4xf32 : memref<4xf32>
// CHECK-NEXT: %[[Q:.*]] = memref.get_global @__constant_2x2xi8 : memref<2x2xi8>
// CHECK-NEXT: "memref.copy"(%[[C]], %[[OUT0]]) : (memref<4xf32>, memref<4xf32>) -> ()
// CHECK-NEXT: linalg.generic {{.*}} ins(%[[S]] : f32) outs(%[[OUT0]] : memref<4xf32>)
// CHECK: "memref.copy"(%[[Q]], %[[OUT1]]) : (memref<2x2xi8>, memref<2x2xi8>) -> ()
// CHECK-NEXT: func.return{{$}}
func.func @constant_out(%s: f32) -> (tensor<4xf32>, tensor<2x2xi8>) {
  %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %q = arith.constant dense<[[1, -2], [3, 4]]> : tensor<2x2xi8>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> ()>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%s : f32) outs(%c : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.addf %a, %o : f32
    linalg.yield %t : f32
  } -> tensor<4xf32>
  func.return %r, %q : tensor<4xf32>, tensor<2x2xi8>
}
