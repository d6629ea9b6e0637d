// RUN: tessera-opt %s -p graph-to-linalg --print-debuginfo | filecheck %s

// Every op a graph op lowers to (fills, constants, generics and their body ops) carries the
// graph op's location, so that later diagnostics still point at the DSL line.

// CHECK-LABEL: func.func @located(
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<4xf32> loc("m.tsr":3:7)
// CHECK-NEXT: linalg.generic
// CHECK-NEXT: ^{{.*}}
// CHECK-NEXT: arith.constant 0.000000e+00 : f32 loc("m.tsr":3:7)
// CHECK-NEXT: arith.maximumf {{.*}} loc("m.tsr":3:7)
// CHECK-NEXT: linalg.yield {{.*}} loc("m.tsr":3:7)
// CHECK-NEXT: } -> tensor<4xf32> loc("m.tsr":3:7)
// CHECK-NEXT: tensor.empty() : tensor<f32> loc("m.tsr":4:9)
// CHECK-NEXT: arith.constant 0.000000e+00 : f32 loc("m.tsr":4:9)
// CHECK-NEXT: linalg.fill {{.*}} loc("m.tsr":4:9)
// CHECK-NEXT: linalg.generic
// CHECK-NEXT: ^{{.*}}
// CHECK-NEXT: arith.addf {{.*}} loc("m.tsr":4:9)
// CHECK-NEXT: linalg.yield {{.*}} loc("m.tsr":4:9)
// CHECK-NEXT: } -> tensor<f32> loc("m.tsr":4:9)
// CHECK-NEXT: arith.constant dense<1.000000e+00> : tensor<f32> loc("m.tsr":5:3)
// CHECK-NEXT: tensor.empty() : tensor<2x2xf32> loc("m.tsr":6:5)
// CHECK-NEXT: arith.constant 0.000000e+00 : f32 loc("m.tsr":6:5)
// CHECK-NEXT: linalg.fill {{.*}} loc("m.tsr":6:5)
// CHECK-NEXT: linalg.matmul {{.*}} loc("m.tsr":6:5)
func.func @located(%x: tensor<4xf32>, %a: tensor<2x2xf32>) -> (tensor<f32>, tensor<f32>, tensor<2x2xf32>) {
  %0 = graph.relu %x : tensor<4xf32> -> tensor<4xf32> loc("m.tsr":3:7)
  %1 = graph.sum %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32> loc("m.tsr":4:9)
  %c = graph.constant dense<1.0> : tensor<f32> loc("m.tsr":5:3)
  %2 = graph.matmul %a, %a : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("m.tsr":6:5)
  func.return %1, %c, %2 : tensor<f32>, tensor<f32>, tensor<2x2xf32>
}
