// RUN: tessera-opt %s -p graph-to-linalg | filecheck %s

// Elementwise graph ops become one parallel linalg.generic each, over the result's shape,
// writing a tensor.empty. Operands broadcast with NumPy rules through their indexing maps:
// missing leading dimensions are dropped from the map, size-1 dimensions read index 0.
// Splat constants are not operands: their value is an arith.constant inside the body.

// CHECK-LABEL: func.func @broadcast_trailing(
// CHECK-SAME: %[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<3xf32>) -> tensor<4x3xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<4x3xf32>
// CHECK-NEXT: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[A]], %[[B]] : tensor<4x3xf32>, tensor<3xf32>) outs(%[[E]] : tensor<4x3xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK-NEXT: } -> tensor<4x3xf32>
// CHECK-NEXT: func.return %[[R]] : tensor<4x3xf32>
func.func @broadcast_trailing(%a: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<4x3xf32> {
  %0 = graph.add %a, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  func.return %0 : tensor<4x3xf32>
}

// A rank-0 operand has an empty map; a size-1 dimension reads index 0; the lhs/rhs order of
// the body op follows the graph op's operands even when the lhs is the broadcast one.
// CHECK-LABEL: func.func @broadcast_scalar_and_unit(
// CHECK-SAME: %[[A:.*]]: tensor<4x3xf32>, %[[S:.*]]: tensor<f32>, %[[C:.*]]: tensor<4x1xf32>) -> tensor<4x3xf32> {
// CHECK-NEXT: %[[E0:.*]] = tensor.empty() : tensor<4x3xf32>
// CHECK-NEXT: %[[M:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[A]], %[[S]] : tensor<4x3xf32>, tensor<f32>) outs(%[[E0]] : tensor<4x3xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT: linalg.yield %[[P]] : f32
// CHECK-NEXT: } -> tensor<4x3xf32>
// CHECK-NEXT: %[[E1:.*]] = tensor.empty() : tensor<4x3xf32>
// CHECK-NEXT: %[[D:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[C]], %[[M]] : tensor<4x1xf32>, tensor<4x3xf32>) outs(%[[E1]] : tensor<4x3xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[Q:.*]] = arith.subf %[[X]], %[[Y]] : f32
// CHECK-NEXT: linalg.yield %[[Q]] : f32
// CHECK-NEXT: } -> tensor<4x3xf32>
// CHECK-NEXT: func.return %[[D]] : tensor<4x3xf32>
func.func @broadcast_scalar_and_unit(%a: tensor<4x3xf32>, %s: tensor<f32>, %c: tensor<4x1xf32>) -> tensor<4x3xf32> {
  %0 = graph.mul %a, %s : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  %1 = graph.sub %c, %0 : (tensor<4x1xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  func.return %1 : tensor<4x3xf32>
}

// Both operands broadcast into a larger result: [2, 1, 4] and [3, 1] -> [2, 3, 4].
// CHECK-LABEL: func.func @broadcast_both(
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, 0, d2)>, affine_map<(d0, d1, d2) -> (d1, 0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<2x1x4xf64>, tensor<3x1xf64>) outs(%{{.*}} : tensor<2x3x4xf64>)
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f64
// CHECK: } -> tensor<2x3x4xf64>
func.func @broadcast_both(%a: tensor<2x1x4xf64>, %b: tensor<3x1xf64>) -> tensor<2x3x4xf64> {
  %0 = graph.maximum %a, %b : (tensor<2x1x4xf64>, tensor<3x1xf64>) -> tensor<2x3x4xf64>
  func.return %0 : tensor<2x3x4xf64>
}

// A size-1 dimension that stays size 1 in the result keeps its loop dimension (d0, not 0).
// CHECK-LABEL: func.func @unit_result_dim(
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<4xi32>, tensor<1x4xi32>) outs(%{{.*}} : tensor<1x4xi32>)
// CHECK: arith.minsi
func.func @unit_result_dim(%a: tensor<4xi32>, %b: tensor<1x4xi32>) -> tensor<1x4xi32> {
  %0 = graph.minimum %a, %b : (tensor<4xi32>, tensor<1x4xi32>) -> tensor<1x4xi32>
  func.return %0 : tensor<1x4xi32>
}

// Rank-0 everything: a generic with no loops.
// CHECK-LABEL: func.func @rank0(
// CHECK-SAME: %[[A:.*]]: tensor<f32>, %[[B:.*]]: tensor<f32>) -> tensor<f32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<f32>
// CHECK-NEXT: linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []} ins(%[[A]], %[[B]] : tensor<f32>, tensor<f32>) outs(%[[E]] : tensor<f32>) {
// CHECK: arith.divf
// CHECK: } -> tensor<f32>
func.func @rank0(%a: tensor<f32>, %b: tensor<f32>) -> tensor<f32> {
  %0 = graph.div %a, %b : (tensor<f32>, tensor<f32>) -> tensor<f32>
  func.return %0 : tensor<f32>
}

// Splat constants (rank-0 or not, on either side) are inlined into the body: the generic
// only reads the non-constant operand. The lowered arith.constant tensor stays (dead) in the
// function until canonicalize removes it.
// CHECK-LABEL: func.func @splat_inlined(
// CHECK-SAME: %[[X:.*]]: tensor<4x3xf32>) -> tensor<4x3xf32> {
// CHECK-NEXT: arith.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[E0:.*]] = tensor.empty() : tensor<4x3xf32>
// CHECK-NEXT: %[[D:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[X]] : tensor<4x3xf32>) outs(%[[E0]] : tensor<4x3xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[IN]], %[[TWO]] : f32
// CHECK-NEXT: linalg.yield %[[Q]] : f32
// CHECK-NEXT: } -> tensor<4x3xf32>
// CHECK-NEXT: arith.constant dense<-1.500000e+00> : tensor<4x3xf32>
// CHECK-NEXT: %[[E1:.*]] = tensor.empty() : tensor<4x3xf32>
// CHECK-NEXT: %[[S:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[D]] : tensor<4x3xf32>) outs(%[[E1]] : tensor<4x3xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[K:.*]] = arith.constant -1.500000e+00 : f32
// CHECK-NEXT: %[[R:.*]] = arith.subf %[[K]], %[[IN]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK-NEXT: } -> tensor<4x3xf32>
// CHECK-NEXT: func.return %[[S]] : tensor<4x3xf32>
func.func @splat_inlined(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %two = graph.constant dense<2.0> : tensor<f32>
  %0 = graph.div %x, %two : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  %k = graph.constant dense<-1.5> : tensor<4x3xf32>
  %1 = graph.sub %k, %0 : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  func.return %1 : tensor<4x3xf32>
}

// Integer splats are inlined with the integer type; a constant that is not a splat stays
// an operand.
// CHECK-LABEL: func.func @int_splat_and_dense(
// CHECK-SAME: %[[X:.*]]: tensor<3xi32>) -> tensor<3xi32> {
// CHECK-NEXT: arith.constant dense<7> : tensor<i32>
// CHECK-NEXT: %[[E0:.*]] = tensor.empty() : tensor<3xi32>
// CHECK-NEXT: %[[A:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%[[X]] : tensor<3xi32>) outs(%[[E0]] : tensor<3xi32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: %[[SEVEN:.*]] = arith.constant 7 : i32
// CHECK-NEXT: %[[SUM:.*]] = arith.addi %[[SEVEN]], %[[IN]] : i32
// CHECK-NEXT: linalg.yield %[[SUM]] : i32
// CHECK-NEXT: } -> tensor<3xi32>
// CHECK-NEXT: %[[DENSE:.*]] = arith.constant dense<[1, 2, 3]> : tensor<3xi32>
// CHECK-NEXT: %[[E1:.*]] = tensor.empty() : tensor<3xi32>
// CHECK-NEXT: %[[P:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%[[A]], %[[DENSE]] : tensor<3xi32>, tensor<3xi32>) outs(%[[E1]] : tensor<3xi32>) {
// CHECK-NEXT: ^{{.*}}(%[[L:.*]]: i32, %[[R:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: %[[M:.*]] = arith.muli %[[L]], %[[R]] : i32
// CHECK-NEXT: linalg.yield %[[M]] : i32
// CHECK-NEXT: } -> tensor<3xi32>
// CHECK-NEXT: func.return %[[P]] : tensor<3xi32>
func.func @int_splat_and_dense(%x: tensor<3xi32>) -> tensor<3xi32> {
  %seven = graph.constant dense<7> : tensor<i32>
  %0 = graph.add %seven, %x : (tensor<i32>, tensor<3xi32>) -> tensor<3xi32>
  %dense = graph.constant dense<[1, 2, 3]> : tensor<3xi32>
  %1 = graph.mul %0, %dense : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  func.return %1 : tensor<3xi32>
}

// Two splat operands: a generic with no inputs at all, only the output.
// CHECK-LABEL: func.func @all_constant(
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2xf32>
// CHECK-NEXT: linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%[[E]] : tensor<2xf32>) {
// CHECK-NEXT: ^{{.*}}(%{{.*}}: f32):
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[THREE:.*]] = arith.constant 3.000000e+00 : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ONE]], %[[THREE]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
func.func @all_constant() -> tensor<2xf32> {
  %a = graph.constant dense<1.0> : tensor<2xf32>
  %b = graph.constant dense<3.0> : tensor<f32>
  %0 = graph.add %a, %b : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// Float and integer spellings of every binary op.
// CHECK-LABEL: func.func @float_binary(
// CHECK: arith.addf
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.divf
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK-NOT: arith.{{.*}}i {{.*}} : f32
// CHECK: func.return
func.func @float_binary(%a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {
  %0 = graph.add %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %1 = graph.sub %0, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %2 = graph.mul %1, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %3 = graph.div %2, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %4 = graph.maximum %3, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %5 = graph.minimum %4, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  func.return %5 : tensor<2xf32>
}

// CHECK-LABEL: func.func @int_binary(
// CHECK: arith.addi %{{.*}}, %{{.*}} : i8
// CHECK: arith.subi %{{.*}}, %{{.*}} : i8
// CHECK: arith.muli %{{.*}}, %{{.*}} : i8
// CHECK: arith.divsi %{{.*}}, %{{.*}} : i8
// CHECK: arith.maxsi %{{.*}}, %{{.*}} : i8
// CHECK: arith.minsi %{{.*}}, %{{.*}} : i8
// CHECK-NOT: arith.{{[a-z]+}}f
// CHECK: func.return
func.func @int_binary(%a: tensor<2xi8>, %b: tensor<2xi8>) -> tensor<2xi8> {
  %0 = graph.add %a, %b : (tensor<2xi8>, tensor<2xi8>) -> tensor<2xi8>
  %1 = graph.sub %0, %b : (tensor<2xi8>, tensor<2xi8>) -> tensor<2xi8>
  %2 = graph.mul %1, %b : (tensor<2xi8>, tensor<2xi8>) -> tensor<2xi8>
  %3 = graph.div %2, %b : (tensor<2xi8>, tensor<2xi8>) -> tensor<2xi8>
  %4 = graph.maximum %3, %b : (tensor<2xi8>, tensor<2xi8>) -> tensor<2xi8>
  %5 = graph.minimum %4, %b : (tensor<2xi8>, tensor<2xi8>) -> tensor<2xi8>
  func.return %5 : tensor<2xi8>
}

// relu is max(x, 0) with a body constant; sigmoid expands to 1 / (1 + exp(-x)).
// CHECK-LABEL: func.func @relu_sigmoid(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>) -> tensor<4xf32> {
// CHECK-NEXT: %[[E0:.*]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%[[X]] : tensor<4xf32>) outs(%[[E0]] : tensor<4xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[MAX:.*]] = arith.maximumf %[[IN]], %[[ZERO]] : f32
// CHECK-NEXT: linalg.yield %[[MAX]] : f32
// CHECK-NEXT: } -> tensor<4xf32>
// CHECK-NEXT: %[[E1:.*]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT: %[[S:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%[[R]] : tensor<4xf32>) outs(%[[E1]] : tensor<4xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[NEG:.*]] = arith.negf %[[IN]] : f32
// CHECK-NEXT: %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[DEN:.*]] = arith.addf %[[ONE]], %[[EXP]] : f32
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[ONE]], %[[DEN]] : f32
// CHECK-NEXT: linalg.yield %[[Q]] : f32
// CHECK-NEXT: } -> tensor<4xf32>
// CHECK-NEXT: func.return %[[S]] : tensor<4xf32>
func.func @relu_sigmoid(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.relu %x : tensor<4xf32> -> tensor<4xf32>
  %1 = graph.sigmoid %0 : tensor<4xf32> -> tensor<4xf32>
  func.return %1 : tensor<4xf32>
}

// The math functions map one to one; float neg is arith.negf.
// CHECK-LABEL: func.func @math_unary(
// CHECK: %[[T:.*]] = math.tanh %{{.*}} : f64
// CHECK-NEXT: linalg.yield %[[T]] : f64
// CHECK: %[[EX:.*]] = math.exp %{{.*}} : f64
// CHECK-NEXT: linalg.yield %[[EX]] : f64
// CHECK: %[[L:.*]] = math.log %{{.*}} : f64
// CHECK-NEXT: linalg.yield %[[L]] : f64
// CHECK: %[[SQ:.*]] = math.sqrt %{{.*}} : f64
// CHECK-NEXT: linalg.yield %[[SQ]] : f64
// CHECK: %[[N:.*]] = arith.negf %{{.*}} : f64
// CHECK-NEXT: linalg.yield %[[N]] : f64
// CHECK: } -> tensor<2x2xf64>
// CHECK-NEXT: func.return
func.func @math_unary(%a: tensor<2x2xf64>) -> tensor<2x2xf64> {
  %0 = graph.tanh %a : tensor<2x2xf64> -> tensor<2x2xf64>
  %1 = graph.exp %0 : tensor<2x2xf64> -> tensor<2x2xf64>
  %2 = graph.log %1 : tensor<2x2xf64> -> tensor<2x2xf64>
  %3 = graph.sqrt %2 : tensor<2x2xf64> -> tensor<2x2xf64>
  %4 = graph.neg %3 : tensor<2x2xf64> -> tensor<2x2xf64>
  func.return %4 : tensor<2x2xf64>
}

// Integer neg is 0 - x; integer relu is maxsi with an integer zero.
// CHECK-LABEL: func.func @int_unary(
// CHECK: ^{{.*}}(%[[IN:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT: %[[N:.*]] = arith.subi %[[ZERO]], %[[IN]] : i32
// CHECK-NEXT: linalg.yield %[[N]] : i32
// CHECK: ^{{.*}}(%[[IN:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT: %[[R:.*]] = arith.maxsi %[[IN]], %[[ZERO]] : i32
// CHECK-NEXT: linalg.yield %[[R]] : i32
func.func @int_unary(%a: tensor<3xi32>) -> tensor<3xi32> {
  %0 = graph.neg %a : tensor<3xi32> -> tensor<3xi32>
  %1 = graph.relu %0 : tensor<3xi32> -> tensor<3xi32>
  func.return %1 : tensor<3xi32>
}
