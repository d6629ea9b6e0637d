// RUN: tessera-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Each rule of graph.contract and graph.yield, violated once.

func.func @unknown_kind(%a: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 3]]:3: error: 'graph.contract' unknown kind 'avg' (expected one of assign, add, mul, max, min)
  // CHECK-NEXT: %c = graph.contract %a {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(i, k) -> (i, k)>], kind = "avg"} : (tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK-NEXT: {{^ *\^$}}
  %c = graph.contract %a {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(i, k) -> (i, k)>], kind = "avg"} : (tensor<4x3xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32):
    graph.yield %x : f32
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @leading_dims_differ_from_output(%a: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' leading dims [3, 4] do not match the output [4]
  %c = graph.contract %a {dims = array<i64: 3, 4>, indexing_maps = [affine_map<(k, i) -> (i, k)>], kind = "add"} : (tensor<4x3xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32):
    graph.yield %x : f32
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @fewer_dims_than_output(%a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' leading dims [4] do not match the output [4, 3]
  %c = graph.contract %a {dims = array<i64: 4>, indexing_maps = [affine_map<(i) -> (i, i)>], kind = "assign"} : (tensor<4x3xf32>) -> tensor<4x3xf32> {
  ^bb0(%x: f32):
    graph.yield %x : f32
  }
  func.return %c : tensor<4x3xf32>
}

// -----

func.func @assign_with_reduction(%a: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' 'assign' has no reduction dimensions
  %c = graph.contract %a {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(i, k) -> (i, k)>], kind = "assign"} : (tensor<4x3xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32):
    graph.yield %x : f32
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @too_few_maps(%a: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<4xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' 1 indexing maps for 2 inputs
  %c = graph.contract %a, %b {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(i, k) -> (i, k)>], kind = "add"} : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32, %y: f32):
    %p = arith.mulf %x, %y : f32
    graph.yield %p : f32
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @map_dim_count(%a: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' indexing map (d0, d1, d2) -> (d0, d1) of input 0 does not fit 2 dims and shape [4, 3]
  %c = graph.contract %a {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(i, k, l) -> (i, k)>], kind = "add"} : (tensor<4x3xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32):
    graph.yield %x : f32
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @map_result_count(%a: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' indexing map (d0, d1) -> (d0) of input 0 does not fit 2 dims and shape [4, 3]
  %c = graph.contract %a {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(i, k) -> (i)>], kind = "add"} : (tensor<4x3xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32):
    graph.yield %x : f32
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @map_extent_mismatch(%a: tensor<4x3xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // b is indexed by k, of extent 3, but has 4 elements.
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' input 1 of shape [4] disagrees with dims [4, 3] through map (d0, d1) -> (d1)
  %c = graph.contract %a, %b {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (k)>], kind = "add"} : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32, %y: f32):
    %p = arith.mulf %x, %y : f32
    graph.yield %p : f32
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @diagonal_of_non_square(%a: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' input 0 of shape [4, 3] disagrees with dims [4] through map (d0) -> (d0, d0)
  %c = graph.contract %a {dims = array<i64: 4>, indexing_maps = [affine_map<(i) -> (i, i)>], kind = "assign"} : (tensor<4x3xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32):
    graph.yield %x : f32
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @map_not_plain_dims(%a: tensor<5xf32>) -> tensor<4xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' indexing map (d0, d1) -> ((d0 + d1)) of input 0 must use plain dimensions, got (d0 + d1)
  %c = graph.contract %a {dims = array<i64: 4, 2>, indexing_maps = [affine_map<(i, k) -> (i + k)>], kind = "add"} : (tensor<5xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32):
    graph.yield %x : f32
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @reduction_dim_indexed_by_no_input(%a: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' reduction dimension d1 is indexed by no input
  %c = graph.contract %a {dims = array<i64: 4, 2>, indexing_maps = [affine_map<(i, k) -> (i)>], kind = "mul"} : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32):
    graph.yield %x : f32
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @body_argument_count(%a: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' the body needs one scalar argument per input
  %c = graph.contract %a {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(i, k) -> (i, k)>], kind = "add"} : (tensor<4x3xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32, %y: f32):
    graph.yield %x : f32
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @body_argument_type(%a: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' body argument type f64 differs from the element type of tensor<4x3xf32>
  %c = graph.contract %a {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(i, k) -> (i, k)>], kind = "add"} : (tensor<4x3xf32>) -> tensor<4xf32> {
  ^bb0(%x: f64):
    %t = arith.truncf %x : f64 to f32
    graph.yield %t : f32
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @yield_type(%a: tensor<4x3xi32>) -> tensor<4xi32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' the body must yield one scalar of the result element type
  %c = graph.contract %a {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(i, k) -> (i, k)>], kind = "add"} : (tensor<4x3xi32>) -> tensor<4xi32> {
  ^bb0(%x: i32):
    %f = arith.sitofp %x : i32 to f32
    graph.yield %f : f32
  }
  func.return %c : tensor<4xi32>
}

// -----

func.func @no_yield(%a: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' the body must yield one scalar of the result element type
  %c = graph.contract %a {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(i, k) -> (i, k)>], kind = "add"} : (tensor<4x3xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32):
    %n = arith.negf %x : f32
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @empty_body(%a: tensor<4x3xf32>) -> tensor<4xf32> {
  // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:3: error: 'graph.contract' Region 'body' at position 0 expected a single block, but got 0 blocks
  %c = graph.contract %a {dims = array<i64: 4, 3>, indexing_maps = [affine_map<(i, k) -> (i, k)>], kind = "add"} : (tensor<4x3xf32>) -> tensor<4xf32> {
  }
  func.return %c : tensor<4xf32>
}

// -----

func.func @yield_outside_contract(%a: tensor<4xf32>) -> tensor<4xf32> {
  scf.execute_region {
    // CHECK: contract-invalid.mlir:[[# @LINE + 1]]:5: error: 'graph.yield' expects parent op 'graph.contract'
    graph.yield %a : tensor<4xf32>
  }
  func.return %a : tensor<4xf32>
}
