// RUN: tessera-opt %s | filecheck %s
// RUN: tessera-opt %s | tessera-opt | filecheck %s
// RUN: tessera-opt %s --print-op-generic | tessera-opt | filecheck %s

// graph.contract: one indexing map per input over the iteration space `dims` (output
// dimensions first, then reduction dimensions), a scalar body and a combining `kind`.
// Maps print with xDSL's canonical d0, d1, ... names.

// c[i, j] +=! a[i, k] * b[k, j]
// CHECK-LABEL: func.func @matmul(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>) -> tensor<4x5xf32> {
// CHECK-NEXT:    %c = graph.contract %a, %b {dims = array<i64: 4, 5, 3>, indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>], kind = "add"} : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32> {
// CHECK-NEXT:    ^bb0(%x: f32, %y: f32):
// CHECK-NEXT:      %p = arith.mulf %x, %y : f32
// CHECK-NEXT:      graph.yield %p : f32
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return %c : tensor<4x5xf32>
func.func @matmul(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>) -> tensor<4x5xf32> {
  %c = graph.contract %a, %b {dims = array<i64: 4, 5, 3>, indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k, j)>], kind = "add"} : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32> {
  ^bb0(%x: f32, %y: f32):
    %p = arith.mulf %x, %y : f32
    graph.yield %p : f32
  }
  func.return %c : tensor<4x5xf32>
}

// An elementwise comprehension with a broadcast input and a constant in the body:
// c[i, j] = max(a[i, j] + b[j], 0)
// CHECK-LABEL: func.func @assign(%a: tensor<2x3xf64>, %b: tensor<3xf64>) -> tensor<2x3xf64> {
// CHECK-NEXT:    %c = graph.contract %a, %b {dims = array<i64: 2, 3>, indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], kind = "assign"} : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xf64> {
// CHECK-NEXT:    ^bb0(%x: f64, %y: f64):
// CHECK-NEXT:      %zero = arith.constant 0.000000e+00 : f64
// CHECK-NEXT:      %s = arith.addf %x, %y : f64
// CHECK-NEXT:      %r = arith.maximumf %s, %zero : f64
// CHECK-NEXT:      graph.yield %r : f64
// CHECK-NEXT:    }
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

// A dimension named twice in one map walks a diagonal: t +=! a[i, i] (a rank-0 output, so
// every dimension reduces).
// CHECK-LABEL: func.func @trace(%a: tensor<5x5xi32>) -> tensor<i32> {
// CHECK-NEXT:    %t = graph.contract %a {dims = array<i64: 5>, indexing_maps = [affine_map<(d0) -> (d0, d0)>], kind = "add"} : (tensor<5x5xi32>) -> tensor<i32> {
// CHECK-NEXT:    ^bb0(%x: i32):
// CHECK-NEXT:      graph.yield %x : i32
// CHECK-NEXT:    }
func.func @trace(%a: tensor<5x5xi32>) -> tensor<i32> {
  %t = graph.contract %a {dims = array<i64: 5>, indexing_maps = [affine_map<(i) -> (i, i)>], kind = "add"} : (tensor<5x5xi32>) -> tensor<i32> {
  ^bb0(%x: i32):
    graph.yield %x : i32
  }
  func.return %t : tensor<i32>
}

// Max, min and product reductions; a transposed map; a comparison and a select in the body.
// CHECK-LABEL: func.func @kinds(%a: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<3xf32> {
// CHECK-NEXT:    %m = graph.contract %a {dims = array<i64: 3, 4>, indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], kind = "max"} : (tensor<3x4xf32>) -> tensor<3xf32> {
// CHECK:         %n = graph.contract %a, %b {dims = array<i64: 3, 4>, indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], kind = "min"} : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3xf32> {
// CHECK-NEXT:    ^bb0(%u: f32, %w: f32):
// CHECK-NEXT:      %lt = arith.cmpf olt, %u, %w : f32
// CHECK-NEXT:      %v = arith.select %lt, %u, %w : f32
// CHECK-NEXT:      graph.yield %v : f32
// CHECK-NEXT:    }
// CHECK-NEXT:    %p = graph.contract %a {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>], kind = "mul"} : (tensor<3x4xf32>) -> tensor<4xf32> {
// CHECK-NEXT:    ^bb0(%z: f32):
// CHECK-NEXT:      graph.yield %z : f32
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return %m : tensor<3xf32>
func.func @kinds(%a: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<3xf32> {
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
  // p[j] *=! a[k, j]: a column product, the reduction dimension indexing the rows.
  %p = graph.contract %a {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(j, k) -> (k, j)>], kind = "mul"} : (tensor<3x4xf32>) -> tensor<4xf32> {
  ^bb0(%z: f32):
    graph.yield %z : f32
  }
  func.return %m : tensor<3xf32>
}
