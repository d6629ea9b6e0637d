// RUN: tessera-opt %s -p graph-fold | filecheck %s
// RUN: tessera-opt %s -p 'graph-fold{max_elements=4}' | filecheck %s --check-prefix=LIMIT

// A non-splat result is materialised only up to `max_elements` elements (default 4096);
// a splat result costs one element whatever its shape, so no limit applies to it. An op
// left unfolded keeps its users unfolded too.

// CHECK-LABEL: func.func @limits()
// CHECK-NEXT:    %[[V:.*]] = graph.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    %[[A:.*]] = graph.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [1.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT:    %[[B:.*]] = graph.constant dense<{{\[\[}}-1.000000e+00, -2.000000e+00], [-1.000000e+00, -2.000000e+00], [-1.000000e+00, -2.000000e+00]]> : tensor<3x2xf32>
// CHECK-NEXT:    %[[C:.*]] = graph.broadcast_to %[[V]] : tensor<2xf32> -> tensor<2049x2xf32>
// CHECK-NEXT:    %[[D:.*]] = graph.neg %[[C]] : tensor<2049x2xf32> -> tensor<2049x2xf32>
// CHECK-NEXT:    %[[S:.*]] = graph.constant dense<-7.000000e+00> : tensor<1000x1000xf32>
// CHECK-NEXT:    func.return %[[A]], %[[B]], %[[D]], %[[S]] :

// LIMIT-LABEL: func.func @limits()
// LIMIT-NEXT:    %[[V:.*]] = graph.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// LIMIT-NEXT:    %[[A:.*]] = graph.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [1.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// LIMIT-NEXT:    %[[B0:.*]] = graph.broadcast_to %[[V]] : tensor<2xf32> -> tensor<3x2xf32>
// LIMIT-NEXT:    %[[B:.*]] = graph.neg %[[B0]] : tensor<3x2xf32> -> tensor<3x2xf32>
// LIMIT-NEXT:    %[[C:.*]] = graph.broadcast_to %[[V]] : tensor<2xf32> -> tensor<2049x2xf32>
// LIMIT-NEXT:    %[[D:.*]] = graph.neg %[[C]] : tensor<2049x2xf32> -> tensor<2049x2xf32>
// LIMIT-NEXT:    %[[S:.*]] = graph.constant dense<-7.000000e+00> : tensor<1000x1000xf32>
// LIMIT-NEXT:    func.return %[[A]], %[[B]], %[[D]], %[[S]] :
func.func @limits() -> (tensor<2x2xf32>, tensor<3x2xf32>, tensor<2049x2xf32>, tensor<1000x1000xf32>) {
  %v = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %a = graph.broadcast_to %v : tensor<2xf32> -> tensor<2x2xf32>
  %b0 = graph.broadcast_to %v : tensor<2xf32> -> tensor<3x2xf32>
  %b = graph.neg %b0 : tensor<3x2xf32> -> tensor<3x2xf32>
  %c = graph.broadcast_to %v : tensor<2xf32> -> tensor<2049x2xf32>
  %d = graph.neg %c : tensor<2049x2xf32> -> tensor<2049x2xf32>
  %seven = graph.constant dense<7.0> : tensor<f32>
  %s0 = graph.broadcast_to %seven : tensor<f32> -> tensor<1000x1000xf32>
  %s = graph.neg %s0 : tensor<1000x1000xf32> -> tensor<1000x1000xf32>
  func.return %a, %b, %d, %s : tensor<2x2xf32>, tensor<3x2xf32>, tensor<2049x2xf32>, tensor<1000x1000xf32>
}
