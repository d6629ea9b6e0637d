// RUN: tessera-opt %s -p graph-to-linalg | filecheck %s

// graph.matmul: a 2-D product is the named linalg.matmul; anything batched is a generic
// over (batch..., m, n, k) with k the one reduction. Either way the output starts as a
// linalg.fill of zero.

// CHECK-LABEL: func.func @matmul_2d(
// CHECK-SAME: %[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<3x5xf32>) -> tensor<4x5xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<4x5xf32>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<4x5xf32>) -> tensor<4x5xf32>
// CHECK-NEXT: %[[M:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<4x3xf32>, tensor<3x5xf32>) outs(%[[F]] : tensor<4x5xf32>) -> tensor<4x5xf32>
// CHECK-NEXT: func.return %[[M]] : tensor<4x5xf32>
func.func @matmul_2d(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>) -> tensor<4x5xf32> {
  %0 = graph.matmul %a, %b : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
  func.return %0 : tensor<4x5xf32>
}

// An integer matmul fills with an integer zero.
// CHECK-LABEL: func.func @matmul_2d_int(
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2x2xi8>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : i8
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : i8) outs(%[[E]] : tensor<2x2xi8>) -> tensor<2x2xi8>
// CHECK-NEXT: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x7xi8>, tensor<7x2xi8>) outs(%[[F]] : tensor<2x2xi8>) -> tensor<2x2xi8>
func.func @matmul_2d_int(%a: tensor<2x7xi8>, %b: tensor<7x2xi8>) -> tensor<2x2xi8> {
  %0 = graph.matmul %a, %b : (tensor<2x7xi8>, tensor<7x2xi8>) -> tensor<2x2xi8>
  func.return %0 : tensor<2x2xi8>
}

// Batched: (d0, d1, d2, d3) = (batch, m, n, k); the body is acc + a * b.
// CHECK-LABEL: func.func @batched(
// CHECK-SAME: %[[A:.*]]: tensor<2x4x3xi32>, %[[B:.*]]: tensor<2x3x5xi32>) -> tensor<2x4x5xi32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2x4x5xi32>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : i32) outs(%[[E]] : tensor<2x4x5xi32>) -> tensor<2x4x5xi32>
// CHECK-NEXT: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[A]], %[[B]] : tensor<2x4x3xi32>, tensor<2x3x5xi32>) outs(%[[F]] : tensor<2x4x5xi32>) {
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: i32, %[[Y:.*]]: i32, %[[ACC:.*]]: i32):
// CHECK-NEXT: %[[P:.*]] = arith.muli %[[X]], %[[Y]] : i32
// CHECK-NEXT: %[[S:.*]] = arith.addi %[[ACC]], %[[P]] : i32
// CHECK-NEXT: linalg.yield %[[S]] : i32
// CHECK-NEXT: } -> tensor<2x4x5xi32>
// CHECK-NEXT: func.return %[[G]] : tensor<2x4x5xi32>
func.func @batched(%a: tensor<2x4x3xi32>, %b: tensor<2x3x5xi32>) -> tensor<2x4x5xi32> {
  %0 = graph.matmul %a, %b : (tensor<2x4x3xi32>, tensor<2x3x5xi32>) -> tensor<2x4x5xi32>
  func.return %0 : tensor<2x4x5xi32>
}

// Broadcast batch dims: [2, 1, 4, 3] @ [6, 3, 5] -> [2, 6, 4, 5]. The lhs's size-1 batch
// dimension reads index 0, the rhs's missing leading batch dimension is dropped.
// CHECK-LABEL: func.func @broadcast_batch(
// CHECK-SAME: %[[A:.*]]: tensor<2x1x4x3xf32>, %[[B:.*]]: tensor<6x3x5xf32>) -> tensor<2x6x4x5xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2x6x4x5xf32>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<2x6x4x5xf32>) -> tensor<2x6x4x5xf32>
// CHECK-NEXT: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[A]], %[[B]] : tensor<2x1x4x3xf32>, tensor<6x3x5xf32>) outs(%[[F]] : tensor<2x6x4x5xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK-NEXT: } -> tensor<2x6x4x5xf32>
// CHECK-NEXT: func.return %[[G]] : tensor<2x6x4x5xf32>
func.func @broadcast_batch(%a: tensor<2x1x4x3xf32>, %b: tensor<6x3x5xf32>) -> tensor<2x6x4x5xf32> {
  %0 = graph.matmul %a, %b : (tensor<2x1x4x3xf32>, tensor<6x3x5xf32>) -> tensor<2x6x4x5xf32>
  func.return %0 : tensor<2x6x4x5xf32>
}

// A 2-D lhs against a batched rhs is not the named op: the lhs map has no batch dimension.
// CHECK-LABEL: func.func @matrix_times_batch(
// CHECK-NOT: linalg.matmul
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<4x3xf64>, tensor<2x3x5xf64>) outs(%{{.*}} : tensor<2x4x5xf64>)
// CHECK: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK: } -> tensor<2x4x5xf64>
func.func @matrix_times_batch(%a: tensor<4x3xf64>, %b: tensor<2x3x5xf64>) -> tensor<2x4x5xf64> {
  %0 = graph.matmul %a, %b : (tensor<4x3xf64>, tensor<2x3x5xf64>) -> tensor<2x4x5xf64>
  func.return %0 : tensor<2x4x5xf64>
}

// Batch dims that are size 1 on both sides stay loop dimensions.
// CHECK-LABEL: func.func @unit_batch(
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<1x2x3xf32>, tensor<1x3x2xf32>) outs(%{{.*}} : tensor<1x2x2xf32>)
func.func @unit_batch(%a: tensor<1x2x3xf32>, %b: tensor<1x3x2xf32>) -> tensor<1x2x2xf32> {
  %0 = graph.matmul %a, %b : (tensor<1x2x3xf32>, tensor<1x3x2xf32>) -> tensor<1x2x2xf32>
  func.return %0 : tensor<1x2x2xf32>
}
