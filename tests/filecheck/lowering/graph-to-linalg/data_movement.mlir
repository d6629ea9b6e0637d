// RUN: tessera-opt %s -p graph-to-linalg | filecheck %s

// Data movement: transpose is the named linalg.transpose; reshape is a copy generic whose
// input map turns the output index into the row-major linear index and back (floordiv /
// mod); broadcast_to is a copy generic with a broadcasting input map; concat is a chain of
// tensor.insert_slice into a tensor.empty.

// CHECK-LABEL: func.func @transpose(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<4x2x3xf32>
// CHECK-NEXT: %[[T:.*]] = linalg.transpose ins(%[[X]]:tensor<2x3x4xf32>) outs(%[[E]]:tensor<4x2x3xf32>) permutation = [2, 0, 1]
// CHECK-NEXT: func.return %[[T]] : tensor<4x2x3xf32>
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = graph.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  func.return %0 : tensor<4x2x3xf32>
}

// [2, 3, 4] -> [6, 4]: l = 4 * d0 + d1; input index (l / 12, (l / 4) mod 3, l mod 4).
// The first input dimension needs no mod.
// CHECK-LABEL: func.func @reshape_merge(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<6x4xf32>
// CHECK-NEXT: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> ((((d0 * 4) + d1) floordiv 12), ((((d0 * 4) + d1) floordiv 4) mod 3), (((d0 * 4) + d1) mod 4))>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[X]] : tensor<2x3x4xf32>) outs(%[[E]] : tensor<6x4xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK-NEXT: } -> tensor<6x4xf32>
// CHECK-NEXT: func.return %[[R]] : tensor<6x4xf32>
func.func @reshape_merge(%x: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
  %0 = graph.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  func.return %0 : tensor<6x4xf32>
}

// [6, 4] -> [2, 3, 4]: l = 12 * d0 + 4 * d1 + d2; input index (l / 4, l mod 4).
// CHECK-LABEL: func.func @reshape_split(
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> ((((d0 * 12) + ((d1 * 4) + d2)) floordiv 4), (((d0 * 12) + ((d1 * 4) + d2)) mod 4))>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%{{.*}} : tensor<6x4xf32>) outs(%{{.*}} : tensor<2x3x4xf32>)
func.func @reshape_split(%x: tensor<6x4xf32>) -> tensor<2x3x4xf32> {
  %0 = graph.reshape %x : tensor<6x4xf32> -> tensor<2x3x4xf32>
  func.return %0 : tensor<2x3x4xf32>
}

// [4, 6] -> [3, 8]: neither a split nor a merge.
// CHECK-LABEL: func.func @reshape_regroup(
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> ((((d0 * 8) + d1) floordiv 6), (((d0 * 8) + d1) mod 6))>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x6xi32>) outs(%{{.*}} : tensor<3x8xi32>)
func.func @reshape_regroup(%x: tensor<4x6xi32>) -> tensor<3x8xi32> {
  %0 = graph.reshape %x : tensor<4x6xi32> -> tensor<3x8xi32>
  func.return %0 : tensor<3x8xi32>
}

// Unit dimensions: output unit dims do not enter the linear index, input unit dims read 0,
// and a dimension preceded only by unit dims needs no mod.
// CHECK-LABEL: func.func @reshape_units(
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%{{.*}} : tensor<4xf32>) outs(%{{.*}} : tensor<4x1x1xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (0, ((d0 * 2) + d1), 0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<1x4x1xf32>) outs(%{{.*}} : tensor<2x2xf32>)
func.func @reshape_units(%x: tensor<4xf32>, %y: tensor<1x4x1xf32>) -> (tensor<4x1x1xf32>, tensor<2x2xf32>) {
  %0 = graph.reshape %x : tensor<4xf32> -> tensor<4x1x1xf32>
  %1 = graph.reshape %y : tensor<1x4x1xf32> -> tensor<2x2xf32>
  func.return %0, %1 : tensor<4x1x1xf32>, tensor<2x2xf32>
}

// To rank 0: no loops, every input index is 0.
// CHECK-LABEL: func.func @reshape_to_scalar(
// CHECK: linalg.generic {indexing_maps = [affine_map<() -> (0, 0)>, affine_map<() -> ()>], iterator_types = []} ins(%{{.*}} : tensor<1x1xf32>) outs(%{{.*}} : tensor<f32>)
func.func @reshape_to_scalar(%x: tensor<1x1xf32>) -> tensor<f32> {
  %0 = graph.reshape %x : tensor<1x1xf32> -> tensor<f32>
  func.return %0 : tensor<f32>
}

// CHECK-LABEL: func.func @broadcast_to(
// CHECK-SAME: %[[X:.*]]: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2x3x4xf32>
// CHECK-NEXT: %[[B:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, 0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<3x1xf32>) outs(%[[E]] : tensor<2x3x4xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK-NEXT: } -> tensor<2x3x4xf32>
// CHECK-NEXT: func.return %[[B]] : tensor<2x3x4xf32>
func.func @broadcast_to(%x: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  %0 = graph.broadcast_to %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
  func.return %0 : tensor<2x3x4xf32>
}

// Broadcasting a splat constant yields the constant from the body, with no input.
// CHECK-LABEL: func.func @broadcast_splat(
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x3xi8>
// CHECK-NEXT: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%[[E]] : tensor<2x3xi8>) {
// CHECK-NEXT: ^{{.*}}(%{{.*}}: i8):
// CHECK-NEXT: %[[C:.*]] = arith.constant -5 : i8
// CHECK-NEXT: linalg.yield %[[C]] : i8
func.func @broadcast_splat() -> tensor<2x3xi8> {
  %a = graph.constant dense<-5> : tensor<3xi8>
  %0 = graph.broadcast_to %a : tensor<3xi8> -> tensor<2x3xi8>
  func.return %0 : tensor<2x3xi8>
}

// Concat along axis 1: offsets 0, 3, 8 along that axis, sizes are the pieces' shapes.
// CHECK-LABEL: func.func @concat(
// CHECK-SAME: %[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<2x5xf32>, %[[C:.*]]: tensor<2x1xf32>) -> tensor<2x9xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2x9xf32>
// CHECK-NEXT: %[[S0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<2x9xf32>
// CHECK-NEXT: %[[S1:.*]] = tensor.insert_slice %[[B]] into %[[S0]][0, 3] [2, 5] [1, 1] : tensor<2x5xf32> into tensor<2x9xf32>
// CHECK-NEXT: %[[S2:.*]] = tensor.insert_slice %[[C]] into %[[S1]][0, 8] [2, 1] [1, 1] : tensor<2x1xf32> into tensor<2x9xf32>
// CHECK-NEXT: func.return %[[S2]] : tensor<2x9xf32>
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %c: tensor<2x1xf32>) -> tensor<2x9xf32> {
  %0 = graph.concat %a, %b, %c {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x9xf32>
  func.return %0 : tensor<2x9xf32>
}

// Concat along the leading axis of rank-3 tensors.
// CHECK-LABEL: func.func @concat_axis0(
// CHECK-SAME: %[[A:.*]]: tensor<1x2x3xi32>, %[[B:.*]]: tensor<2x2x3xi32>) -> tensor<3x2x3xi32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<3x2x3xi32>
// CHECK-NEXT: %[[S0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0, 0] [1, 2, 3] [1, 1, 1] : tensor<1x2x3xi32> into tensor<3x2x3xi32>
// CHECK-NEXT: %[[S1:.*]] = tensor.insert_slice %[[B]] into %[[S0]][1, 0, 0] [2, 2, 3] [1, 1, 1] : tensor<2x2x3xi32> into tensor<3x2x3xi32>
// CHECK-NEXT: func.return %[[S1]] : tensor<3x2x3xi32>
func.func @concat_axis0(%a: tensor<1x2x3xi32>, %b: tensor<2x2x3xi32>) -> tensor<3x2x3xi32> {
  %0 = graph.concat %a, %b {axis = 0 : i64} : (tensor<1x2x3xi32>, tensor<2x2x3xi32>) -> tensor<3x2x3xi32>
  func.return %0 : tensor<3x2x3xi32>
}
