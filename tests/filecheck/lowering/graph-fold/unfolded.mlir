// RUN: tessera-opt %s -p graph-fold | filecheck %s

// Folding never fails: where the reference interpreter traps or warns on the constants,
// the op stays, so that the program still does so when it runs.

// Integer division by zero traps in the interpreter (and is undefined in C): only the
// division without a zero divisor folds.
// CHECK-LABEL: func.func @division_by_zero()
// CHECK-NEXT:    %[[A:.*]] = graph.constant dense<[7, -7]> : tensor<2xi32>
// CHECK-NEXT:    %[[Z:.*]] = graph.constant dense<[2, 0]> : tensor<2xi32>
// CHECK-NEXT:    %[[Q:.*]] = graph.div %[[A]], %[[Z]] : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
// CHECK-NEXT:    %[[R:.*]] = graph.constant dense<[3, -3]> : tensor<2xi32>
// CHECK-NEXT:    func.return %[[Q]], %[[R]] :
func.func @division_by_zero() -> (tensor<2xi32>, tensor<2xi32>) {
  %a = graph.constant dense<[7, -7]> : tensor<2xi32>
  %z = graph.constant dense<[2, 0]> : tensor<2xi32>
  %two = graph.constant dense<2> : tensor<i32>
  %q = graph.div %a, %z : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  %r = graph.div %a, %two : (tensor<2xi32>, tensor<i32>) -> tensor<2xi32>
  func.return %q, %r : tensor<2xi32>, tensor<2xi32>
}

// A sum whose f64 total overflows f32 makes the interpreter warn when it rounds: left
// unfolded, splat or not. Float division by zero is IEEE arithmetic, not a trap: it folds.
// CHECK-LABEL: func.func @overflow()
// CHECK-NEXT:    %[[B:.*]] = graph.constant dense<3.000000e+38> : tensor<4xf32>
// CHECK-NEXT:    %[[S:.*]] = graph.sum %[[B]] {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
// CHECK-NEXT:    %[[D:.*]] = graph.constant dense<[0x7f800000, 0xff800000]> : tensor<2xf32>
// CHECK-NEXT:    func.return %[[S]], %[[D]] :
func.func @overflow() -> (tensor<f32>, tensor<2xf32>) {
  %big = graph.constant dense<3.0e38> : tensor<f32>
  %b = graph.broadcast_to %big : tensor<f32> -> tensor<4xf32>
  %s = graph.sum %b {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  %x = graph.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %zero = graph.constant dense<0.0> : tensor<f32>
  %d = graph.div %x, %zero : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  func.return %s, %d : tensor<f32>, tensor<2xf32>
}

// Ops with an operand that is not a constant stay; their constant operands stay with them.
// CHECK-LABEL: func.func @not_constant(
// CHECK-SAME:      %[[X:.*]]: tensor<3xf32>)
// CHECK-NEXT:    %[[C:.*]] = graph.constant dense<4.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[M:.*]] = graph.mul %[[X]], %[[C]] :
// CHECK-NEXT:    func.return %[[M]] :
func.func @not_constant(%x: tensor<3xf32>) -> tensor<3xf32> {
  %two = graph.constant dense<2.0> : tensor<f32>
  %c = graph.add %two, %two : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %m = graph.mul %x, %c : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  func.return %m : tensor<3xf32>
}
