// RUN: tessera-opt %s -p linalg-fuse-elementwise | filecheck %s
// RUN: tessera-opt %s -p 'linalg-fuse-elementwise{recompute=false}' | filecheck %s --check-prefix=ONCE
// RUN: tessera-opt %s -p 'linalg-fuse-elementwise{max_ops=0}' | filecheck %s --check-prefix=ONCE

// Producers whose fusion would run their body more often than their own loops do.

// Two users: the exponential (1 op) is recomputed in both and disappears.
func.func @two_users(%x: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %e = tensor.empty() : tensor<16xf32>
  %one = arith.constant 1.000000e+00 : f32
  %p = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%xe: f32, %o: f32):
    %0 = math.exp %xe : f32
    linalg.yield %0 : f32
  } -> tensor<16xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%p : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%pe: f32, %o: f32):
    %0 = arith.addf %pe, %one : f32
    linalg.yield %0 : f32
  } -> tensor<16xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%p : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%pe: f32, %o: f32):
    %0 = arith.mulf %pe, %pe : f32
    linalg.yield %0 : f32
  } -> tensor<16xf32>
  func.return %a, %b : tensor<16xf32>, tensor<16xf32>
}

// CHECK-LABEL: func.func @two_users
// CHECK-SAME:    (%[[X:.*]]: tensor<16xf32>)
// CHECK-NOT:     math.exp
// CHECK:         %[[A:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<16xf32>) {{.*}} attrs = {tessera.fused = ["exp at {{.*}}"]}
// CHECK-NEXT:    ^bb0(%[[XA:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[EA:.*]] = math.exp %[[XA]] : f32
// CHECK-NEXT:      arith.addf %[[EA]], %{{.*}} : f32
// CHECK:         %[[B:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<16xf32>) {{.*}} attrs = {tessera.fused = ["exp at {{.*}}"]}
// CHECK-NEXT:    ^bb0(%[[XB:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[EB:.*]] = math.exp %[[XB]] : f32
// CHECK-NEXT:      arith.mulf %[[EB]], %[[EB]] : f32
// CHECK:         func.return %[[A]], %[[B]]

// ONCE-LABEL: func.func @two_users
// ONCE:          %[[P:.*]] = linalg.generic
// ONCE-NEXT:     ^bb0
// ONCE-NEXT:       math.exp
// ONCE:          linalg.generic {{.*}} ins(%[[P]] :
// ONCE-NOT:        tessera.fused
// ONCE:          linalg.generic {{.*}} ins(%[[P]] :
// ONCE-NOT:        tessera.fused
// ONCE:          func.return

// One user that reads each element of a [16] producer four times (a broadcast along the
// rows): a recomputation too.
func.func @broadcast_read(%v: tensor<16xf32>, %y: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<16xf32>
  %e2 = tensor.empty() : tensor<4x16xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%v : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%ve: f32, %o: f32):
    %0 = math.exp %ve : f32
    linalg.yield %0 : f32
  } -> tensor<16xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%p, %y : tensor<16xf32>, tensor<4x16xf32>) outs(%e2 : tensor<4x16xf32>) {
  ^bb0(%pe: f32, %ye: f32, %o: f32):
    %0 = arith.addf %pe, %ye : f32
    linalg.yield %0 : f32
  } -> tensor<4x16xf32>
  func.return %s : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @broadcast_read
// CHECK-SAME:    (%[[V:.*]]: tensor<16xf32>, %[[Y:.*]]: tensor<4x16xf32>)
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], {{.*}} ins(%[[V]], %[[Y]] :
// CHECK-SAME:      tessera.fused = ["exp at
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      math.exp

// ONCE-LABEL: func.func @broadcast_read
// ONCE:          %[[P:.*]] = linalg.generic
// ONCE:          linalg.generic {{.*}} ins(%[[P]], %{{.*}} :
// ONCE-NOT:        tessera.fused

// A user that cannot take the producer (here the return): a producer that computes
// anything is fused into all its users or none, since fusing it into `a` alone would
// compute it twice and still store it.
func.func @kept_for_return(%x: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %e = tensor.empty() : tensor<16xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%xe: f32, %o: f32):
    %0 = math.exp %xe : f32
    linalg.yield %0 : f32
  } -> tensor<16xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%p : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%pe: f32, %o: f32):
    %0 = arith.negf %pe : f32
    linalg.yield %0 : f32
  } -> tensor<16xf32>
  func.return %p, %a : tensor<16xf32>, tensor<16xf32>
}

// CHECK-LABEL: func.func @kept_for_return
// CHECK:         %[[P:.*]] = linalg.generic
// CHECK:           math.exp
// CHECK:         %[[A:.*]] = linalg.generic {{.*}} ins(%[[P]] :
// CHECK-NOT:       tessera.fused
// CHECK:         func.return %[[P]], %[[A]]

// A producer that only moves data (a transpose) costs nothing to read through: it is fused
// into the user that can take it even without recomputation, and stays for the return.
func.func @copy_kept(%x: tensor<8x4xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %t = linalg.transpose ins(%x : tensor<8x4xf32>) outs(%e : tensor<4x8xf32>) permutation = [1, 0]
  %a = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%t : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%te: f32, %o: f32):
    %0 = arith.negf %te : f32
    linalg.yield %0 : f32
  } -> tensor<4x8xf32>
  func.return %t, %a : tensor<4x8xf32>, tensor<4x8xf32>
}

// CHECK-LABEL: func.func @copy_kept
// CHECK-SAME:    (%[[X:.*]]: tensor<8x4xf32>)
// CHECK:         %[[T:.*]] = linalg.transpose ins(%[[X]]
// CHECK-NEXT:    %[[A:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], {{.*}} ins(%[[X]] : tensor<8x4xf32>) {{.*}} attrs = {tessera.fused = ["transpose at
// CHECK:         func.return %[[T]], %[[A]]

// ONCE-LABEL: func.func @copy_kept
// ONCE:          %[[T:.*]] = linalg.transpose
// ONCE-NEXT:     linalg.generic {{.*}} ins(%{{.*}} : tensor<8x4xf32>) {{.*}}tessera.fused = ["transpose at
