// RUN: tessera-opt %s -p graph-simplify,dce | filecheck %s

// CHECK-LABEL: func.func @identities
// CHECK-SAME:    (%[[X:.*]]: tensor<4x8xf32>, %[[I:.*]]: tensor<4xi32>)
// CHECK-NEXT:    func.return %[[X]], %[[X]], %[[X]], %[[X]], %[[I]] :
func.func @identities(%x: tensor<4x8xf32>, %i: tensor<4xi32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4xi32>) {
  %one = graph.constant dense<1.000000e+00> : tensor<f32>
  %nzero = graph.constant dense<-0.000000e+00> : tensor<f32>
  %zero = graph.constant dense<0.000000e+00> : tensor<f32>
  %izero = graph.constant dense<0> : tensor<4xi32>
  %a = graph.mul %x, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %b = graph.div %a, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %c = graph.add %nzero, %x : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %d = graph.sub %x, %zero : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %e = graph.add %i, %izero : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  func.return %b, %c, %d, %b, %e : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4xi32>
}

// Not identities: adding +0.0 turns -0.0 into +0.0; a neutral operand that broadcasts the
// other changes the shape.
// CHECK-LABEL: func.func @kept
// CHECK:         graph.add
// CHECK:         graph.mul
func.func @kept(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<4x8xf32>) {
  %zero = graph.constant dense<0.000000e+00> : tensor<f32>
  %ones = graph.constant dense<1.000000e+00> : tensor<4x8xf32>
  %a = graph.add %x, %zero : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %b = graph.mul %x, %ones : (tensor<8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  func.return %a, %b : tensor<8xf32>, tensor<4x8xf32>
}

// CHECK-LABEL: func.func @movement
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT:    %[[T:.*]] = graph.transpose %[[X]] {perm = array<i64: 2, 0, 1>}
// CHECK-NEXT:    %[[R:.*]] = graph.reshape %[[X]] : tensor<2x3x4xf32> -> tensor<4x6xf32>
// CHECK-NEXT:    func.return %[[X]], %[[T]], %[[R]], %[[X]] :
func.func @movement(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<4x2x3xf32>, tensor<4x6xf32>, tensor<2x3x4xf32>) {
  %a = graph.transpose %x {perm = array<i64: 1, 0, 2>} : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %b = graph.transpose %a {perm = array<i64: 1, 0, 2>} : tensor<3x2x4xf32> -> tensor<2x3x4xf32>
  %c = graph.transpose %a {perm = array<i64: 2, 1, 0>} : tensor<3x2x4xf32> -> tensor<4x2x3xf32>
  %d = graph.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %e = graph.reshape %d : tensor<6x4xf32> -> tensor<4x6xf32>
  %f = graph.broadcast_to %x : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  func.return %b, %c, %e, %f : tensor<2x3x4xf32>, tensor<4x2x3xf32>, tensor<4x6xf32>, tensor<2x3x4xf32>
}
