// RUN: tessera-opt %s -p linalg-fuse-elementwise | filecheck %s

// An elementwise chain, x * w + b then ReLU, is one generic: the product is inlined into the
// bias add, the bias add into the ReLU. The bias is read through its own map (d1), composed
// with the consumer's; `tessera.fused` names each producer with its location, in the order
// they were fused (the last link first).

func.func @chain(%x: tensor<4x16xf32>, %w: tensor<4x16xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %m = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %w : tensor<4x16xf32>, tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%xe: f32, %we: f32, %o: f32):
    %p = arith.mulf %xe, %we : f32
    linalg.yield %p : f32
  } -> tensor<4x16xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%m, %b : tensor<4x16xf32>, tensor<16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%me: f32, %be: f32, %o: f32):
    %a = arith.addf %me, %be : f32
    linalg.yield %a : f32
  } -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%s : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%se: f32, %o: f32):
    %y = arith.maximumf %se, %zero : f32
    linalg.yield %y : f32
  } -> tensor<4x16xf32>
  func.return %r : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @chain
// CHECK-SAME:    (%[[X:.*]]: tensor<4x16xf32>, %[[W:.*]]: tensor<4x16xf32>, %[[B:.*]]: tensor<16xf32>)
// CHECK-NEXT:    %[[E:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK-NEXT:    %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:    %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[X]], %[[W]], %[[B]] : tensor<4x16xf32>, tensor<4x16xf32>, tensor<16xf32>) outs(%[[E]] : tensor<4x16xf32>)
// CHECK-SAME:      attrs = {tessera.fused = ["addf at {{.*}}chain.mlir:16:3", "mulf at {{.*}}chain.mlir:11:3"]}
// CHECK-NEXT:    ^bb0(%[[XE:.*]]: f32, %[[WE:.*]]: f32, %[[BE:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[P:.*]] = arith.mulf %[[XE]], %[[WE]] : f32
// CHECK-NEXT:      %[[A:.*]] = arith.addf %[[P]], %[[BE]] : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.maximumf %[[A]], %[[ZERO]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
// CHECK-NEXT:    } -> tensor<4x16xf32>
// CHECK-NEXT:    func.return %[[R]] : tensor<4x16xf32>

// The named movement ops fuse as the generics they stand for: a broadcast bias is read
// through (d1), a transpose through the swapped map (d1, d0), a fill's value replaces the
// element read. Nothing is left of them, nor of their empty destinations.

func.func @movement(%a: tensor<4x16xf32>, %b: tensor<16xf32>, %t: tensor<16x4xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %two = arith.constant 2.000000e+00 : f32
  %e1 = tensor.empty() : tensor<4x16xf32>
  %bias = linalg.broadcast ins(%b : tensor<16xf32>) outs(%e1 : tensor<4x16xf32>) dimensions = [0]
  %e2 = tensor.empty() : tensor<4x16xf32>
  %tt = linalg.transpose ins(%t : tensor<16x4xf32>) outs(%e2 : tensor<4x16xf32>) permutation = [1, 0]
  %e3 = tensor.empty() : tensor<4x16xf32>
  %twos = linalg.fill ins(%two : f32) outs(%e3 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a, %bias, %tt, %twos : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%ae: f32, %be: f32, %te: f32, %k: f32, %o: f32):
    %0 = arith.addf %ae, %be : f32
    %1 = arith.mulf %te, %k : f32
    %2 = arith.addf %0, %1 : f32
    linalg.yield %2 : f32
  } -> tensor<4x16xf32>
  func.return %s : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @movement
// CHECK-SAME:    (%[[A:.*]]: tensor<4x16xf32>, %[[B:.*]]: tensor<16xf32>, %[[T:.*]]: tensor<16x4xf32>)
// CHECK-NEXT:    %[[E:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK-NEXT:    %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:    %[[S:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[A]], %[[B]], %[[T]] : tensor<4x16xf32>, tensor<16xf32>, tensor<16x4xf32>) outs(%[[E]] : tensor<4x16xf32>)
// CHECK-SAME:      attrs = {tessera.fused = ["fill at {{.*}}", "transpose at {{.*}}", "broadcast at {{.*}}"]}
// CHECK-NEXT:    ^bb0(%[[AE:.*]]: f32, %[[BE:.*]]: f32, %[[TE:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[S0:.*]] = arith.addf %[[AE]], %[[BE]] : f32
// CHECK-NEXT:      %[[S1:.*]] = arith.mulf %[[TE]], %[[TWO]] : f32
// CHECK-NEXT:      %[[S2:.*]] = arith.addf %[[S0]], %[[S1]] : f32
// CHECK-NEXT:      linalg.yield %[[S2]] : f32
// CHECK-NEXT:    } -> tensor<4x16xf32>
// CHECK-NEXT:    func.return %[[S]] : tensor<4x16xf32>

// A producer read twice by one consumer through the same map is inlined once, and its
// input read once.

func.func @square(%x: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%xe: f32, %o: f32):
    %0 = arith.negf %xe : f32
    linalg.yield %0 : f32
  } -> tensor<8xf32>
  %sq = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%n, %n : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%l: f32, %r: f32, %o: f32):
    %0 = arith.mulf %l, %r : f32
    linalg.yield %0 : f32
  } -> tensor<8xf32>
  func.return %sq : tensor<8xf32>
}

// CHECK-LABEL: func.func @square
// CHECK-SAME:    (%[[X:.*]]: tensor<8xf32>)
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%[[X]] : tensor<8xf32>)
// CHECK-SAME:      attrs = {tessera.fused = ["negf at {{.*}}"]}
// CHECK-NEXT:    ^bb0(%[[XE:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[N:.*]] = arith.negf %[[XE]] : f32
// CHECK-NEXT:      %[[M:.*]] = arith.mulf %[[N]], %[[N]] : f32
// CHECK-NEXT:      linalg.yield %[[M]] : f32
// CHECK-NOT:     linalg.generic
