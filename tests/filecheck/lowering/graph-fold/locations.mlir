// RUN: tessera-opt %s -p graph-fold --print-debuginfo | filecheck %s
// RUN: not tessera-opt %s -p 'graph-fold{max_elements=-1}' 2>&1 | filecheck %s --check-prefix=OPTION

// A folded constant takes the location (and the name) of the op it replaces, so a later
// diagnostic about it still points at the source line that computed it.

// CHECK-LABEL: func.func @located()
// CHECK-NEXT:    %[[S:.*]] = graph.constant dense<8.000000e+00> : tensor<2xf32> loc("model.tsr":4:9)
// CHECK-NEXT:    %[[T:.*]] = graph.constant dense<{{\[}}1.000000e+00, 4.000000e+00]> : tensor<2xf32> loc("model.tsr":5:9)
// CHECK-NEXT:    func.return %[[S]], %[[T]] : tensor<2xf32>, tensor<2xf32>
func.func @located() -> (tensor<2xf32>, tensor<2xf32>) {
  %a = graph.constant dense<2.0> : tensor<f32> loc("model.tsr":2:9)
  %b = graph.constant dense<[1.0, 2.0]> : tensor<2xf32> loc("model.tsr":3:9)
  %sum = graph.add %a, %a : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("model.tsr":3:12)
  %scaled = graph.mul %sum, %a : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("model.tsr":3:15)
  %s = graph.broadcast_to %scaled : tensor<f32> -> tensor<2xf32> loc("model.tsr":4:9)
  %t = graph.mul %b, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32> loc("model.tsr":5:9)
  func.return %s, %t : tensor<2xf32>, tensor<2xf32>
}

// OPTION: error: graph-fold: max_elements must be >= 0, got -1
