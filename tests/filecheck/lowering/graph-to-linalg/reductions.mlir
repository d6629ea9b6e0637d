// RUN: tessera-opt %s -p graph-to-linalg | filecheck %s

// Reductions: a generic over the input's shape, the reduced axes "reduction", writing a
// linalg.fill of the identity (0 for sum, -inf / the smallest integer for max) through a map
// that drops the reduced axes (or pins them to 0 with keepdims). The body combines
// acc <op> x. Mean divides the sum by the element count; softmax is four generics.

// CHECK-LABEL: func.func @sum(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x4xf32>) -> tensor<3xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<3xf32>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<3xf32>) -> tensor<3xf32>
// CHECK-NEXT: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d1)>], iterator_types = ["reduction", "parallel", "reduction"]} ins(%[[X]] : tensor<2x3x4xf32>) outs(%[[F]] : tensor<3xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[IN]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK-NEXT: } -> tensor<3xf32>
// CHECK-NEXT: func.return %[[R]] : tensor<3xf32>
func.func @sum(%x: tensor<2x3x4xf32>) -> tensor<3xf32> {
  %0 = graph.sum %x {axes = array<i64: 0, 2>, keepdims = false} : tensor<2x3x4xf32> -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// keepdims: the reduced axis stays as extent 1, written at index 0.
// CHECK-LABEL: func.func @sum_keepdims_int(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x4xi32>) -> tensor<2x1x4xi32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2x1x4xi32>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : i32) outs(%[[E]] : tensor<2x1x4xi32>) -> tensor<2x1x4xi32>
// CHECK-NEXT: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, 0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[X]] : tensor<2x3x4xi32>) outs(%[[F]] : tensor<2x1x4xi32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: i32, %[[ACC:.*]]: i32):
// CHECK-NEXT: %[[S:.*]] = arith.addi %[[ACC]], %[[IN]] : i32
// CHECK-NEXT: linalg.yield %[[S]] : i32
// CHECK-NEXT: } -> tensor<2x1x4xi32>
func.func @sum_keepdims_int(%x: tensor<2x3x4xi32>) -> tensor<2x1x4xi32> {
  %0 = graph.sum %x {axes = array<i64: 1>, keepdims = true} : tensor<2x3x4xi32> -> tensor<2x1x4xi32>
  func.return %0 : tensor<2x1x4xi32>
}

// Max over every axis: a rank-0 result (empty output map), starting at -inf.
// CHECK-LABEL: func.func @max_all(
// CHECK-SAME: %[[X:.*]]: tensor<2x3xf32>) -> tensor<f32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<f32>
// CHECK-NEXT: %[[NINF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%[[E]] : tensor<f32>) -> tensor<f32>
// CHECK-NEXT: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>], iterator_types = ["reduction", "reduction"]} ins(%[[X]] : tensor<2x3xf32>) outs(%[[F]] : tensor<f32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[M:.*]] = arith.maximumf %[[ACC]], %[[IN]] : f32
// CHECK-NEXT: linalg.yield %[[M]] : f32
// CHECK-NEXT: } -> tensor<f32>
// CHECK-NEXT: func.return %[[R]] : tensor<f32>
func.func @max_all(%x: tensor<2x3xf32>) -> tensor<f32> {
  %0 = graph.max %x {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x3xf32> -> tensor<f32>
  func.return %0 : tensor<f32>
}

// Integer max with keepdims over every axis: identity INT32_MIN, output map (0, 0).
// CHECK-LABEL: func.func @max_int_keepdims(
// CHECK: %[[MIN:.*]] = arith.constant -2147483648 : i32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[MIN]] : i32) outs(%{{.*}} : tensor<1x1xi32>) -> tensor<1x1xi32>
// CHECK-NEXT: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (0, 0)>], iterator_types = ["reduction", "reduction"]} ins(%{{.*}} : tensor<2x3xi32>) outs(%[[F]] : tensor<1x1xi32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: i32, %[[ACC:.*]]: i32):
// CHECK-NEXT: arith.maxsi %[[ACC]], %[[IN]] : i32
func.func @max_int_keepdims(%x: tensor<2x3xi32>) -> tensor<1x1xi32> {
  %0 = graph.max %x {axes = array<i64: 0, 1>, keepdims = true} : tensor<2x3xi32> -> tensor<1x1xi32>
  func.return %0 : tensor<1x1xi32>
}

// Mean without keepdims: sum over axis 0, then divide by its extent (5).
// CHECK-LABEL: func.func @mean(
// CHECK-SAME: %[[X:.*]]: tensor<5x2xf32>) -> tensor<2xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2xf32>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<2xf32>) -> tensor<2xf32>
// CHECK-NEXT: %[[SUM:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%[[X]] : tensor<5x2xf32>) outs(%[[F]] : tensor<2xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[A:.*]] = arith.addf %[[ACC]], %[[IN]] : f32
// CHECK-NEXT: linalg.yield %[[A]] : f32
// CHECK-NEXT: } -> tensor<2xf32>
// CHECK-NEXT: %[[E2:.*]] = tensor.empty() : tensor<2xf32>
// CHECK-NEXT: %[[MEAN:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%[[SUM]] : tensor<2xf32>) outs(%[[E2]] : tensor<2xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[N:.*]] = arith.constant 5.000000e+00 : f32
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[S]], %[[N]] : f32
// CHECK-NEXT: linalg.yield %[[Q]] : f32
// CHECK-NEXT: } -> tensor<2xf32>
// CHECK-NEXT: func.return %[[MEAN]] : tensor<2xf32>
func.func @mean(%x: tensor<5x2xf32>) -> tensor<2xf32> {
  %0 = graph.mean %x {axes = array<i64: 0>, keepdims = false} : tensor<5x2xf32> -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// Mean with keepdims over two axes: the count is 3 * 4 = 12.
// CHECK-LABEL: func.func @mean_keepdims(
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, 0, 0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%{{.*}} : tensor<2x3x4xf64>) outs(%{{.*}} : tensor<2x1x1xf64>)
// CHECK: arith.addf
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[SUM]] : tensor<2x1x1xf64>) outs(%{{.*}} : tensor<2x1x1xf64>)
// CHECK: %[[N:.*]] = arith.constant 1.200000e+01 : f64
// CHECK-NEXT: arith.divf %{{.*}}, %[[N]] : f64
func.func @mean_keepdims(%x: tensor<2x3x4xf64>) -> tensor<2x1x1xf64> {
  %0 = graph.mean %x {axes = array<i64: 1, 2>, keepdims = true} : tensor<2x3x4xf64> -> tensor<2x1x1xf64>
  func.return %0 : tensor<2x1x1xf64>
}

// Softmax along axis 1: max (-inf fill), exp(x - max), sum (0 fill), divide. The per-row
// values are read back through (d0, d1) -> (d0).
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME: %[[X:.*]]: tensor<2x5xf32>) -> tensor<2x5xf32> {
// CHECK-NEXT: %[[E0:.*]] = tensor.empty() : tensor<2xf32>
// CHECK-NEXT: %[[NINF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: %[[F0:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%[[E0]] : tensor<2xf32>) -> tensor<2xf32>
// CHECK-NEXT: %[[MAX:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<2x5xf32>) outs(%[[F0]] : tensor<2xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[M:.*]] = arith.maximumf %[[ACC]], %[[IN]] : f32
// CHECK-NEXT: linalg.yield %[[M]] : f32
// CHECK-NEXT: } -> tensor<2xf32>
// CHECK-NEXT: %[[E1:.*]] = tensor.empty() : tensor<2x5xf32>
// CHECK-NEXT: %[[EXPS:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[MAX]] : tensor<2x5xf32>, tensor<2xf32>) outs(%[[E1]] : tensor<2x5xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[V:.*]]: f32, %[[MV:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[V]], %[[MV]] : f32
// CHECK-NEXT: %[[EX:.*]] = math.exp %[[D]] : f32
// CHECK-NEXT: linalg.yield %[[EX]] : f32
// CHECK-NEXT: } -> tensor<2x5xf32>
// CHECK-NEXT: %[[E2:.*]] = tensor.empty() : tensor<2xf32>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[F2:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E2]] : tensor<2xf32>) -> tensor<2xf32>
// CHECK-NEXT: %[[SUM:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%[[EXPS]] : tensor<2x5xf32>) outs(%[[F2]] : tensor<2xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[A:.*]] = arith.addf %[[ACC]], %[[IN]] : f32
// CHECK-NEXT: linalg.yield %[[A]] : f32
// CHECK-NEXT: } -> tensor<2xf32>
// CHECK-NEXT: %[[E3:.*]] = tensor.empty() : tensor<2x5xf32>
// CHECK-NEXT: %[[OUT:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[EXPS]], %[[SUM]] : tensor<2x5xf32>, tensor<2xf32>) outs(%[[E3]] : tensor<2x5xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[EV:.*]]: f32, %[[SV:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[EV]], %[[SV]] : f32
// CHECK-NEXT: linalg.yield %[[Q]] : f32
// CHECK-NEXT: } -> tensor<2x5xf32>
// CHECK-NEXT: func.return %[[OUT]] : tensor<2x5xf32>
func.func @softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = graph.softmax %x {axis = 1 : i64} : tensor<2x5xf32> -> tensor<2x5xf32>
  func.return %0 : tensor<2x5xf32>
}

// Softmax along a leading axis of a rank-3 tensor: the reduced maps drop d0.
// CHECK-LABEL: func.func @softmax_axis0(
// CHECK: iterator_types = ["reduction", "parallel", "parallel"]} ins(%{{.*}} : tensor<3x2x4xf64>) outs(%{{.*}} : tensor<2x4xf64>)
// CHECK: arith.maximumf
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK: math.exp
// CHECK: affine_map<(d0, d1, d2) -> (d1, d2)>], iterator_types = ["reduction", "parallel", "parallel"]}
// CHECK: arith.addf
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK: arith.divf
// CHECK-NOT: linalg.generic
// CHECK: func.return
func.func @softmax_axis0(%x: tensor<3x2x4xf64>) -> tensor<3x2x4xf64> {
  %0 = graph.softmax %x {axis = 0 : i64} : tensor<3x2x4xf64> -> tensor<3x2x4xf64>
  func.return %0 : tensor<3x2x4xf64>
}
