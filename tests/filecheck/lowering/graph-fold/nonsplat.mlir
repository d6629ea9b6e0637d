// RUN: tessera-opt %s -p graph-fold | filecheck %s

// Non-splat constants fold by evaluating the op with the reference interpreter: f32
// rounding (0.1 + 0.2 in f64), integer wrap-around, the interpreter's NaN (NumPy's log(-1)
// has the sign bit set) and infinities.

// CHECK-LABEL: func.func @elementwise()
// CHECK-NEXT:    %[[F:.*]] = graph.constant dense<{{\[\[}}1.100000e+01, 2.200000e+01, 3.300000e+01], [2.400000e+01, 3.500000e+01, 4.600000e+01]]> : tensor<2x3xf32>
// CHECK-NEXT:    %[[R:.*]] = graph.constant dense<[0.30000000000000004, 7.000000e-01]> : tensor<2xf64>
// CHECK-NEXT:    %[[W:.*]] = graph.constant dense<[-128, 126, 0]> : tensor<3xi8>
// CHECK-NEXT:    %[[L:.*]] = graph.constant dense<[0xff800000, 0xffc00000, 0.000000e+00]> : tensor<3xf32>
// CHECK-NEXT:    func.return %[[F]], %[[R]], %[[W]], %[[L]] :
func.func @elementwise() -> (tensor<2x3xf32>, tensor<2xf64>, tensor<3xi8>, tensor<3xf32>) {
  %a = graph.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %b = graph.constant dense<[10.0, 20.0, 30.0]> : tensor<3xf32>
  %c = graph.constant dense<[[0.0], [-10.0]]> : tensor<2x1xf32>
  %0 = graph.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %f = graph.sub %0, %c : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  %x = graph.constant dense<[0.1, 0.3]> : tensor<2xf64>
  %y = graph.constant dense<[0.2, 0.4]> : tensor<2xf64>
  %r = graph.add %x, %y : (tensor<2xf64>, tensor<2xf64>) -> tensor<2xf64>
  %i = graph.constant dense<[127, 127, -128]> : tensor<3xi8>
  %j = graph.constant dense<[1, -1, -128]> : tensor<3xi8>
  %w = graph.add %i, %j : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi8>
  %z = graph.constant dense<[0.0, -1.0, 1.0]> : tensor<3xf32>
  %l = graph.log %z : tensor<3xf32> -> tensor<3xf32>
  func.return %f, %r, %w, %l : tensor<2x3xf32>, tensor<2xf64>, tensor<3xi8>, tensor<3xf32>
}

// Reductions, contractions, windows and data movement on data.
// CHECK-LABEL: func.func @structured()
// CHECK-NEXT:    %[[S:.*]] = graph.constant dense<[6, 15]> : tensor<2xi32>
// CHECK-NEXT:    %[[M:.*]] = graph.constant dense<{{\[\[}}-1.000000e+00, -2.000000e+00], [1.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT:    %[[T:.*]] = graph.constant dense<{{\[\[}}1, 4], [2, 5], [3, 6]]> : tensor<3x2xi32>
// CHECK-NEXT:    %[[C:.*]] = graph.constant dense<{{\[\[}}1, 2, 3, 0, 0], [4, 5, 6, 0, 0]]> : tensor<2x5xi32>
// CHECK-NEXT:    %[[P:.*]] = graph.constant dense<5.000000e+00> : tensor<1x1x1x1xf32>
// CHECK-NEXT:    func.return %[[S]], %[[M]], %[[T]], %[[C]], %[[P]] :
func.func @structured() -> (tensor<2xi32>, tensor<2x2xf32>, tensor<3x2xi32>, tensor<2x5xi32>, tensor<1x1x1x1xf32>) {
  %a = graph.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
  %s = graph.sum %a {axes = array<i64: 1>, keepdims = false} : tensor<2x3xi32> -> tensor<2xi32>
  %x = graph.constant dense<[[1.0, 0.0], [0.0, -1.0]]> : tensor<2x2xf32>
  %y = graph.constant dense<[[-1.0, -2.0], [-1.0, -2.0]]> : tensor<2x2xf32>
  %m = graph.matmul %x, %y : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %t = graph.transpose %a {perm = array<i64: 1, 0>} : tensor<2x3xi32> -> tensor<3x2xi32>
  %z = graph.constant dense<0> : tensor<2x2xi32>
  %c = graph.concat %a, %z {axis = 1 : i64} : (tensor<2x3xi32>, tensor<2x2xi32>) -> tensor<2x5xi32>
  %img = graph.constant dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]]> : tensor<1x1x3x3xf32>
  %p = graph.avgpool2d %img {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x3x3xf32> -> tensor<1x1x1x1xf32>
  func.return %s, %m, %t, %c, %p : tensor<2xi32>, tensor<2x2xf32>, tensor<3x2xi32>, tensor<2x5xi32>, tensor<1x1x1x1xf32>
}

// A result that happens to be a splat is stored as one: the rows sum alike.
// CHECK-LABEL: func.func @splat_result()
// CHECK-NEXT:    %[[S:.*]] = graph.constant dense<5.000000e+00> : tensor<2xf32>
// CHECK-NEXT:    func.return %[[S]] :
func.func @splat_result() -> tensor<2xf32> {
  %a = graph.constant dense<[[1.0, 4.0], [2.0, 3.0]]> : tensor<2x2xf32>
  %s = graph.sum %a {axes = array<i64: 1>, keepdims = false} : tensor<2x2xf32> -> tensor<2xf32>
  func.return %s : tensor<2xf32>
}
