// RUN: tessera-opt %s -p graph-dce | filecheck %s

// Unused graph ops go (they are all Pure), chains of them and contracts with their bodies
// too; an op whose result is used stays, with everything it reads.

// CHECK-LABEL: func.func @chains(
// CHECK-SAME:      %[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<8x3xf32>)
// CHECK-NEXT:    %[[M:.*]] = graph.matmul %[[A]], %[[B]]
// CHECK-NEXT:    %[[C:.*]] = graph.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[R:.*]] = graph.add %[[M]], %[[C]]
// CHECK-NEXT:    func.return %[[R]] : tensor<4x3xf32>
func.func @chains(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>) -> tensor<4x3xf32> {
  %t = graph.transpose %a {perm = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<8x4xf32>
  %e = graph.exp %t : tensor<8x4xf32> -> tensor<8x4xf32>
  %s = graph.sum %e {axes = array<i64: 0>, keepdims = false} : tensor<8x4xf32> -> tensor<4xf32>
  %m = graph.matmul %a, %b : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %two = graph.constant dense<2.0> : tensor<f32>
  %r = graph.add %m, %one : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  %c = graph.contract %a, %b {dims = array<i64: 4, 3, 8>, indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k, j)>], kind = "add"} : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x3xf32> {
  ^bb0(%x: f32, %y: f32):
    %p = arith.mulf %x, %y : f32
    graph.yield %p : f32
  }
  func.return %r : tensor<4x3xf32>
}
