// RUN: tessera-opt %s -p graph-to-linalg | filecheck %s

// graph.contract becomes one linalg.generic: the op's maps for the inputs, the identity on
// the leading (output) dimensions for the output, "parallel" for the output dimensions and
// "reduction" for the rest. The body is cloned; for a reduction kind its yielded value is
// combined into the output's block argument (acc <op> value), starting from the kind's
// identity. `assign` writes an empty tensor, no combining.

// c[i, j] +=! a[i, k] * b[k, j]
// CHECK-LABEL: func.func @add_matmul(
// CHECK-SAME: %[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<3x5xf32>) -> tensor<4x5xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<4x5xf32>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<4x5xf32>) -> tensor<4x5xf32>
// CHECK-NEXT: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[A]], %[[B]] : tensor<4x3xf32>, tensor<3x5xf32>) outs(%[[F]] : tensor<4x5xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK-NEXT: } -> tensor<4x5xf32>
// CHECK-NEXT: func.return %[[G]] : tensor<4x5xf32>
func.func @add_matmul(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>) -> tensor<4x5xf32> {
  %c = graph.contract %a, %b {dims = array<i64: 4, 5, 3>, indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k, j)>], kind = "add"} : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32> {
  ^bb0(%x: f32, %y: f32):
    %p = arith.mulf %x, %y : f32
    graph.yield %p : f32
  }
  func.return %c : tensor<4x5xf32>
}

// c[i, j] = max(a[i, j] + b[j], 0): no fill, all parallel, the body (with its constant)
// cloned as is and its value yielded directly.
// CHECK-LABEL: func.func @assign(
// CHECK-SAME: %[[A:.*]]: tensor<2x3xf64>, %[[B:.*]]: tensor<3xf64>) -> tensor<2x3xf64> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2x3xf64>
// CHECK-NEXT: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[A]], %[[B]] : tensor<2x3xf64>, tensor<3xf64>) outs(%[[E]] : tensor<2x3xf64>) {
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: f64, %[[Y:.*]]: f64, %{{.*}}: f64):
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[X]], %[[Y]] : f64
// CHECK-NEXT: %[[R:.*]] = arith.maximumf %[[S]], %[[ZERO]] : f64
// CHECK-NEXT: linalg.yield %[[R]] : f64
// CHECK-NEXT: } -> tensor<2x3xf64>
// CHECK-NEXT: func.return %[[G]] : tensor<2x3xf64>
func.func @assign(%a: tensor<2x3xf64>, %b: tensor<3xf64>) -> tensor<2x3xf64> {
  %c = graph.contract %a, %b {dims = array<i64: 2, 3>, indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>], kind = "assign"} : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xf64> {
  ^bb0(%x: f64, %y: f64):
    %zero = arith.constant 0.0 : f64
    %s = arith.addf %x, %y : f64
    %r = arith.maximumf %s, %zero : f64
    graph.yield %r : f64
  }
  func.return %c : tensor<2x3xf64>
}

// An assign that yields its block argument: a transposing copy.
// CHECK-LABEL: func.func @assign_arg(
// CHECK-SAME: %[[A:.*]]: tensor<2x3xf32>) -> tensor<3x2xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<3x2xf32>
// CHECK-NEXT: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[A]] : tensor<2x3xf32>) outs(%[[E]] : tensor<3x2xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[X]] : f32
// CHECK-NEXT: } -> tensor<3x2xf32>
func.func @assign_arg(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %c = graph.contract %a {dims = array<i64: 3, 2>, indexing_maps = [affine_map<(j, i) -> (i, j)>], kind = "assign"} : (tensor<2x3xf32>) -> tensor<3x2xf32> {
  ^bb0(%x: f32):
    graph.yield %x : f32
  }
  func.return %c : tensor<3x2xf32>
}

// t +=! a[i, i]: a rank-0 output (empty output map), the diagonal map kept, integer add.
// CHECK-LABEL: func.func @trace(
// CHECK-SAME: %[[A:.*]]: tensor<5x5xi32>) -> tensor<i32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<i32>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : i32) outs(%[[E]] : tensor<i32>) -> tensor<i32>
// CHECK-NEXT: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0, d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%[[A]] : tensor<5x5xi32>) outs(%[[F]] : tensor<i32>) {
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: i32, %[[ACC:.*]]: i32):
// CHECK-NEXT: %[[S:.*]] = arith.addi %[[ACC]], %[[X]] : i32
// CHECK-NEXT: linalg.yield %[[S]] : i32
// CHECK-NEXT: } -> tensor<i32>
// CHECK-NEXT: func.return %[[G]] : tensor<i32>
func.func @trace(%a: tensor<5x5xi32>) -> tensor<i32> {
  %t = graph.contract %a {dims = array<i64: 5>, indexing_maps = [affine_map<(i) -> (i, i)>], kind = "add"} : (tensor<5x5xi32>) -> tensor<i32> {
  ^bb0(%x: i32):
    graph.yield %x : i32
  }
  func.return %t : tensor<i32>
}

// max: -inf; min: +inf (0x7f800000) with the cloned cmpf/select body feeding minimumf;
// mul: 1, through a transposed map.
// CHECK-LABEL: func.func @float_kinds(
// CHECK-SAME: %[[A:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<4xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<4xf32>) {
// CHECK-NEXT: %[[E0:.*]] = tensor.empty() : tensor<3xf32>
// CHECK-NEXT: %[[NINF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: %[[F0:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%[[E0]] : tensor<3xf32>) -> tensor<3xf32>
// CHECK-NEXT: %[[M:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%[[A]] : tensor<3x4xf32>) outs(%[[F0]] : tensor<3xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[MX:.*]] = arith.maximumf %[[ACC]], %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[MX]] : f32
// CHECK-NEXT: } -> tensor<3xf32>
// CHECK-NEXT: %[[E1:.*]] = tensor.empty() : tensor<3xf32>
// CHECK-NEXT: %[[PINF:.*]] = arith.constant 0x7f800000 : f32
// CHECK-NEXT: %[[F1:.*]] = linalg.fill ins(%[[PINF]] : f32) outs(%[[E1]] : tensor<3xf32>) -> tensor<3xf32>
// CHECK-NEXT: %[[N:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%[[A]], %[[B]] : tensor<3x4xf32>, tensor<4xf32>) outs(%[[F1]] : tensor<3xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[U:.*]]: f32, %[[W:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[LT:.*]] = arith.cmpf olt, %[[U]], %[[W]] : f32
// CHECK-NEXT: %[[V:.*]] = arith.select %[[LT]], %[[U]], %[[W]] : f32
// CHECK-NEXT: %[[MN:.*]] = arith.minimumf %[[ACC]], %[[V]] : f32
// CHECK-NEXT: linalg.yield %[[MN]] : f32
// CHECK-NEXT: } -> tensor<3xf32>
// CHECK-NEXT: %[[E2:.*]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[F2:.*]] = linalg.fill ins(%[[ONE]] : f32) outs(%[[E2]] : tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: %[[P:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%[[A]] : tensor<3x4xf32>) outs(%[[F2]] : tensor<4xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[Z:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[PR:.*]] = arith.mulf %[[ACC]], %[[Z]] : f32
// CHECK-NEXT: linalg.yield %[[PR]] : f32
// CHECK-NEXT: } -> tensor<4xf32>
// CHECK-NEXT: func.return %[[M]], %[[N]], %[[P]] : tensor<3xf32>, tensor<3xf32>, tensor<4xf32>
func.func @float_kinds(%a: tensor<3x4xf32>, %b: tensor<4xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<4xf32>) {
  %m = graph.contract %a {dims = array<i64: 3, 4>, indexing_maps = [affine_map<(i, k) -> (i, k)>], kind = "max"} : (tensor<3x4xf32>) -> tensor<3xf32> {
  ^bb0(%x: f32):
    graph.yield %x : f32
  }
  %n = graph.contract %a, %b {dims = array<i64: 3, 4>, indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (k)>], kind = "min"} : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3xf32> {
  ^bb0(%u: f32, %w: f32):
    %lt = arith.cmpf olt, %u, %w : f32
    %v = arith.select %lt, %u, %w : f32
    graph.yield %v : f32
  }
  %p = graph.contract %a {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(j, k) -> (k, j)>], kind = "mul"} : (tensor<3x4xf32>) -> tensor<4xf32> {
  ^bb0(%z: f32):
    graph.yield %z : f32
  }
  func.return %m, %n, %p : tensor<3xf32>, tensor<3xf32>, tensor<4xf32>
}

// Integer identities: the smallest and largest i8, and 1; signed integer combiners.
// CHECK-LABEL: func.func @int_kinds(
// CHECK: %[[LO:.*]] = arith.constant -128 : i8
// CHECK-NEXT: linalg.fill ins(%[[LO]] : i8)
// CHECK: ^{{.*}}(%[[X:.*]]: i8, %[[ACC:.*]]: i8):
// CHECK-NEXT: arith.maxsi %[[ACC]], %[[X]] : i8
// CHECK: %[[HI:.*]] = arith.constant 127 : i8
// CHECK-NEXT: linalg.fill ins(%[[HI]] : i8)
// CHECK: ^{{.*}}(%[[X:.*]]: i8, %[[ACC:.*]]: i8):
// CHECK-NEXT: arith.minsi %[[ACC]], %[[X]] : i8
// CHECK: %[[ONE:.*]] = arith.constant 1 : i8
// CHECK-NEXT: linalg.fill ins(%[[ONE]] : i8)
// CHECK: ^{{.*}}(%[[X:.*]]: i8, %[[ACC:.*]]: i8):
// CHECK-NEXT: arith.muli %[[ACC]], %[[X]] : i8
func.func @int_kinds(%a: tensor<3x4xi8>) -> (tensor<3xi8>, tensor<3xi8>, tensor<3xi8>) {
  %m = graph.contract %a {dims = array<i64: 3, 4>, indexing_maps = [affine_map<(i, k) -> (i, k)>], kind = "max"} : (tensor<3x4xi8>) -> tensor<3xi8> {
  ^bb0(%x: i8):
    graph.yield %x : i8
  }
  %n = graph.contract %a {dims = array<i64: 3, 4>, indexing_maps = [affine_map<(i, k) -> (i, k)>], kind = "min"} : (tensor<3x4xi8>) -> tensor<3xi8> {
  ^bb0(%x: i8):
    graph.yield %x : i8
  }
  %p = graph.contract %a {dims = array<i64: 3, 4>, indexing_maps = [affine_map<(i, k) -> (i, k)>], kind = "mul"} : (tensor<3x4xi8>) -> tensor<3xi8> {
  ^bb0(%x: i8):
    graph.yield %x : i8
  }
  func.return %m, %n, %p : tensor<3xi8>, tensor<3xi8>, tensor<3xi8>
}
