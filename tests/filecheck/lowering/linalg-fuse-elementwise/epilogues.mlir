// RUN: tessera-opt %s -p linalg-fuse-elementwise | filecheck %s
// RUN: tessera-opt %s -p 'linalg-fuse-elementwise{keep_epilogues=false}' | filecheck %s --check-prefix=FORWARD

// A matmul, its bias add and ReLU, then a row sum. The bias add and the ReLU alone read the
// matmul's result element by element: they are its epilogue, which the C schedule and the
// GPU GEMM run in the matmul's tiles. They become one op, but that op is not fused forward
// into the sum, unless `keep_epilogues=false`.

func.func @layer_sum(%x: tensor<4x6xf32>, %w: tensor<6x16xf32>, %b: tensor<16xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %r = tensor.empty() : tensor<4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x6xf32>, tensor<6x16xf32>) outs(%init : tensor<4x16xf32>) -> tensor<4x16xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<4x16xf32>, tensor<16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%me: f32, %be: f32, %o: f32):
    %0 = arith.addf %me, %be : f32
    linalg.yield %0 : f32
  } -> tensor<4x16xf32>
  %h = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%s : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%se: f32, %o: f32):
    %0 = arith.maximumf %se, %zero : f32
    linalg.yield %0 : f32
  } -> tensor<4x16xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%r : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%h : tensor<4x16xf32>) outs(%zeros : tensor<4xf32>) {
  ^bb0(%he: f32, %acc: f32):
    %0 = arith.addf %acc, %he : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  func.return %sum : tensor<4xf32>
}

// CHECK-LABEL: func.func @layer_sum
// CHECK:         %[[MM:.*]] = linalg.matmul
// CHECK-NEXT:    %[[H:.*]] = linalg.generic {{.*}} ins(%[[MM]], %{{.*}} : tensor<4x16xf32>, tensor<16xf32>) {{.*}}tessera.fused = ["addf at
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      arith.addf
// CHECK-NEXT:      arith.maximumf
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[H]] : tensor<4x16xf32>)
// CHECK-NOT:       tessera.fused
// CHECK:         func.return

// FORWARD-LABEL: func.func @layer_sum
// FORWARD:         %[[MM:.*]] = linalg.matmul
// FORWARD-NOT:     linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// FORWARD:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[MM]], %{{.*}} : tensor<4x16xf32>, tensor<16xf32>) {{.*}}tessera.fused = ["maximumf at {{[^"]*}}", "addf at
// FORWARD-NEXT:    ^bb0
// FORWARD-NEXT:      arith.addf
// FORWARD-NEXT:      arith.maximumf
// FORWARD-NEXT:      arith.addf

// Read by a second op, the matmul's result has no epilogue to keep: an elementwise reader
// is fused like any other (here the exponential into the sum, as softmax's is).
func.func @shared_result(%x: tensor<4x6xf32>, %w: tensor<6x16xf32>) -> (tensor<4x16xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4x16xf32>
  %r = tensor.empty() : tensor<4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x6xf32>, tensor<6x16xf32>) outs(%init : tensor<4x16xf32>) -> tensor<4x16xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%me: f32, %o: f32):
    %0 = math.exp %me : f32
    linalg.yield %0 : f32
  } -> tensor<4x16xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%r : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%p : tensor<4x16xf32>) outs(%zeros : tensor<4xf32>) {
  ^bb0(%pe: f32, %acc: f32):
    %0 = arith.addf %acc, %pe : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  func.return %mm, %sum : tensor<4x16xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @shared_result
// CHECK:         %[[MM:.*]] = linalg.matmul
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[MM]] : tensor<4x16xf32>) {{.*}}tessera.fused = ["exp at
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      math.exp
