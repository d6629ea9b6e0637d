// RUN: tessera-opt %s -p graph-fold | filecheck %s

// Splat operands give splat results computed from the one value and the shapes: the
// constants in the input are all rank 0 or tiny, the folded ones may be huge and cost one
// element each. Every operand constant the folds leave unused is gone.

// Shape ops keep the value; elementwise ops compute it once.
// CHECK-LABEL: func.func @movement_and_elementwise()
// CHECK-NEXT:    %[[B:.*]] = graph.constant dense<2.000000e+00> : tensor<4x8xf32>
// CHECK-NEXT:    %[[T:.*]] = graph.constant dense<-1.500000e+00> : tensor<8x1x4xf32>
// CHECK-NEXT:    %[[I:.*]] = graph.constant dense<-6> : tensor<3x2xi8>
// CHECK-NEXT:    func.return %[[B]], %[[T]], %[[I]] :
func.func @movement_and_elementwise() -> (tensor<4x8xf32>, tensor<8x1x4xf32>, tensor<3x2xi8>) {
  %two = graph.constant dense<2.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<8xf32>
  %0 = graph.broadcast_to %two : tensor<f32> -> tensor<4x8xf32>
  %1 = graph.sub %half, %0 : (tensor<8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %2 = graph.transpose %1 {perm = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<8x4xf32>
  %3 = graph.reshape %2 : tensor<8x4xf32> -> tensor<8x1x4xf32>
  %i = graph.constant dense<122> : tensor<3x2xi8>
  %j = graph.constant dense<4> : tensor<i8>
  // 122 + 4 + 4 wraps to -126 in i8; -126 / 21 = -6 (truncated)
  %k = graph.add %i, %j : (tensor<3x2xi8>, tensor<i8>) -> tensor<3x2xi8>
  %l = graph.add %k, %j : (tensor<3x2xi8>, tensor<i8>) -> tensor<3x2xi8>
  %d = graph.constant dense<21> : tensor<i8>
  %m = graph.div %l, %d : (tensor<3x2xi8>, tensor<i8>) -> tensor<3x2xi8>
  func.return %0, %3, %m : tensor<4x8xf32>, tensor<8x1x4xf32>, tensor<3x2xi8>
}

// Reductions of a splat: sum = value * count (exact, accumulated in f64 and rounded to
// f32 once), mean and max = the value, softmax = 1/n, matmul = K * a * b. The broadcast is
// 2^32 elements: folding never materialises it. A sum whose partial sums are not all exact
// (1/3 three times in f64) is evaluated instead, here on 18 elements. An i8 sum wraps:
// 25 * 100 = 2500 = -60 (mod 256).
// CHECK-LABEL: func.func @reductions()
// CHECK-NEXT:    %[[S:.*]] = graph.constant dense<3.22122547e+09> : tensor<f32>
// CHECK-NEXT:    %[[M:.*]] = graph.constant dense<7.500000e-01> : tensor<65536x1xf32>
// CHECK-NEXT:    %[[X:.*]] = graph.constant dense<7.500000e-01> : tensor<65536xf32>
// CHECK-NEXT:    %[[P:.*]] = graph.constant dense<1.52587891e-05> : tensor<65536x65536xf32>
// CHECK-NEXT:    %[[N:.*]] = graph.constant dense<0.33333333333333331> : tensor<2x3x3xf64>
// CHECK-NEXT:    %[[N0:.*]] = graph.constant dense<1.000000e+00> : tensor<2x3xf64>
// CHECK-NEXT:    %[[MM:.*]] = graph.constant dense<7.680000e+02> : tensor<2x1024x1024xf32>
// CHECK-NEXT:    %[[IS:.*]] = graph.constant dense<-60> : tensor<i8>
// CHECK-NEXT:    func.return %[[S]], %[[M]], %[[X]], %[[P]], %[[N]], %[[N0]], %[[MM]], %[[IS]] :
func.func @reductions() -> (tensor<f32>, tensor<65536x1xf32>, tensor<65536xf32>, tensor<65536x65536xf32>, tensor<2x3x3xf64>, tensor<2x3xf64>, tensor<2x1024x1024xf32>, tensor<i8>) {
  %v = graph.constant dense<0.75> : tensor<f32>
  %big = graph.broadcast_to %v : tensor<f32> -> tensor<65536x65536xf32>
  %s = graph.sum %big {axes = array<i64: 0, 1>, keepdims = false} : tensor<65536x65536xf32> -> tensor<f32>
  %m = graph.mean %big {axes = array<i64: 1>, keepdims = true} : tensor<65536x65536xf32> -> tensor<65536x1xf32>
  %x = graph.max %big {axes = array<i64: 0>, keepdims = false} : tensor<65536x65536xf32> -> tensor<65536xf32>
  %p = graph.softmax %big {axis = 1 : i64} : tensor<65536x65536xf32> -> tensor<65536x65536xf32>
  %w = graph.constant dense<-4.0> : tensor<f64>
  %wb = graph.broadcast_to %w : tensor<f64> -> tensor<2x3x3xf64>
  %n = graph.softmax %wb {axis = 2 : i64} : tensor<2x3x3xf64> -> tensor<2x3x3xf64>
  %n0 = graph.sum %n {axes = array<i64: 2>, keepdims = false} : tensor<2x3x3xf64> -> tensor<2x3xf64>
  %a = graph.broadcast_to %v : tensor<f32> -> tensor<2x1024x512xf32>
  %two = graph.constant dense<2.0> : tensor<f32>
  %b = graph.broadcast_to %two : tensor<f32> -> tensor<512x1024xf32>
  %mm = graph.matmul %a, %b : (tensor<2x1024x512xf32>, tensor<512x1024xf32>) -> tensor<2x1024x1024xf32>
  %i = graph.constant dense<100> : tensor<i8>
  %ib = graph.broadcast_to %i : tensor<i8> -> tensor<5x5xi8>
  %is = graph.sum %ib {axes = array<i64: 0, 1>, keepdims = false} : tensor<5x5xi8> -> tensor<i8>
  func.return %s, %m, %x, %p, %n, %n0, %mm, %is : tensor<f32>, tensor<65536x1xf32>, tensor<65536xf32>, tensor<65536x65536xf32>, tensor<2x3x3xf64>, tensor<2x3xf64>, tensor<2x1024x1024xf32>, tensor<i8>
}

// Concat of equal splats is a splat; of different splats, the data (see nonsplat.mlir).
// CHECK-LABEL: func.func @concat()
// CHECK-NEXT:    %[[C:.*]] = graph.constant dense<3> : tensor<2x7xi32>
// CHECK-NEXT:    func.return %[[C]] :
func.func @concat() -> tensor<2x7xi32> {
  %a = graph.constant dense<3> : tensor<2x3xi32>
  %b = graph.constant dense<3> : tensor<2x4xi32>
  %c = graph.concat %a, %b {axis = 1 : i64} : (tensor<2x3xi32>, tensor<2x4xi32>) -> tensor<2x7xi32>
  func.return %c : tensor<2x7xi32>
}
