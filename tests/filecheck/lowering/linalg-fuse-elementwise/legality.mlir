// RUN: tessera-opt %s -p linalg-fuse-elementwise | filecheck %s
// RUN: tessera-opt %s -p 'linalg-fuse-elementwise{casts=true}' | filecheck %s --check-prefix=CASTS
// RUN: not tessera-opt %s -p 'linalg-fuse-elementwise{max_ops=-1}' 2>&1 | filecheck %s --check-prefix=ERR

// What must not fuse, and `linalg.index` in a producer, which fuses only where it can be
// renamed.

// A reshape indexes with floordiv/mod: neither the exponential before it nor the ReLU after
// it may be fused with it (the fused maps would not be affine-linear, and nothing after
// this pass could schedule the op).
func.func @reshape(%x: tensor<2x8xf32>) -> tensor<16xf32> {
  %e = tensor.empty() : tensor<2x8xf32>
  %f = tensor.empty() : tensor<16xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) {
  ^bb0(%xe: f32, %o: f32):
    %0 = math.exp %xe : f32
    linalg.yield %0 : f32
  } -> tensor<2x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0 floordiv 8, d0 mod 8)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%p : tensor<2x8xf32>) outs(%f : tensor<16xf32>) {
  ^bb0(%pe: f32, %o: f32):
    linalg.yield %pe : f32
  } -> tensor<16xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%r : tensor<16xf32>) outs(%f : tensor<16xf32>) {
  ^bb0(%re: f32, %o: f32):
    %0 = arith.maximumf %re, %zero : f32
    linalg.yield %0 : f32
  } -> tensor<16xf32>
  func.return %y : tensor<16xf32>
}

// CHECK-LABEL: func.func @reshape
// CHECK-NOT:     tessera.fused
// CHECK:         %[[P:.*]] = linalg.generic
// CHECK:           math.exp
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> ((d0 floordiv 8), (d0 mod 8))>, affine_map<(d0) -> (d0)>], {{.*}} ins(%[[P]] :
// CHECK:         linalg.generic {{.*}} ins(%[[R]] :
// CHECK-NOT:     tessera.fused
// CHECK:         func.return

// A widening and a requantization stay ops of their own unless `casts=true` (the NPU's
// int8 array reads widened operands from their i8 buffers and requantizes on the way out).
func.func @casts(%x: tensor<8xi8>) -> tensor<8xi32> {
  %e = tensor.empty() : tensor<8xi32>
  %one = arith.constant 1 : i32
  %w = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<8xi8>) outs(%e : tensor<8xi32>) {
  ^bb0(%xe: i8, %o: i32):
    %0 = arith.extsi %xe : i8 to i32
    linalg.yield %0 : i32
  } -> tensor<8xi32>
  %a = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%w : tensor<8xi32>) outs(%e : tensor<8xi32>) {
  ^bb0(%we: i32, %o: i32):
    %0 = arith.addi %we, %one : i32
    linalg.yield %0 : i32
  } -> tensor<8xi32>
  func.return %a : tensor<8xi32>
}

// CHECK-LABEL: func.func @casts
// CHECK:         %[[W:.*]] = linalg.generic
// CHECK:           arith.extsi
// CHECK:         linalg.generic {{.*}} ins(%[[W]] :
// CHECK-NOT:     tessera.fused

// CASTS-LABEL: func.func @casts
// CASTS-SAME:    (%[[X:.*]]: tensor<8xi8>)
// CASTS:         linalg.generic {{.*}} ins(%[[X]] : tensor<8xi8>) {{.*}}tessera.fused = ["extsi at
// CASTS-NEXT:    ^bb0(%[[XE:.*]]: i8, %{{.*}}: i32):
// CASTS-NEXT:      %[[WIDE:.*]] = arith.extsi %[[XE]] : i8 to i32
// CASTS-NEXT:      arith.addi %[[WIDE]], %{{.*}} : i32

// A consumer that accumulates into the producer's result (its `outs`) does not take it.
func.func @writes_into(%x: tensor<8xf32>, %y: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%xe: f32, %o: f32):
    %0 = math.exp %xe : f32
    linalg.yield %0 : f32
  } -> tensor<8xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%y : tensor<8xf32>) outs(%p : tensor<8xf32>) {
  ^bb0(%ye: f32, %acc: f32):
    %0 = arith.addf %acc, %ye : f32
    linalg.yield %0 : f32
  } -> tensor<8xf32>
  func.return %s : tensor<8xf32>
}

// CHECK-LABEL: func.func @writes_into
// CHECK:         %[[P:.*]] = linalg.generic
// CHECK:         linalg.generic {{.*}} outs(%[[P]] :
// CHECK-NOT:     tessera.fused

// `linalg.index` in a producer names the producer's loops. Written through the transposed
// map (d1, d0), the producer's loop 1 is the consumer's loop 0 in the fused op.
func.func @index_transposed(%y: tensor<4x8xi32>) -> tensor<4x8xi32> {
  %e = tensor.empty() : tensor<4x8xi32>
  %iota = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<4x8xi32>) {
  ^bb0(%o: i32):
    %i = linalg.index 1 : index
    %0 = arith.index_cast %i : index to i32
    linalg.yield %0 : i32
  } -> tensor<4x8xi32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%iota, %y : tensor<4x8xi32>, tensor<4x8xi32>) outs(%e : tensor<4x8xi32>) {
  ^bb0(%ie: i32, %ye: i32, %o: i32):
    %0 = arith.addi %ie, %ye : i32
    linalg.yield %0 : i32
  } -> tensor<4x8xi32>
  func.return %s : tensor<4x8xi32>
}

// CHECK-LABEL: func.func @index_transposed
// CHECK-SAME:    (%[[Y:.*]]: tensor<4x8xi32>)
// CHECK:         linalg.generic {{.*}} ins(%[[Y]] : tensor<4x8xi32>) {{.*}}tessera.fused = ["index+index_cast at
// CHECK-NEXT:    ^bb0(%[[YE:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT:      %[[I:.*]] = linalg.index 0 : index
// CHECK-NEXT:      %[[C:.*]] = arith.index_cast %[[I]] : index to i32
// CHECK-NEXT:      arith.addi %[[C]], %[[YE]] : i32

// Read at a window position `d0 + d1`, the producer's loop is no loop of the consumer:
// its `linalg.index` has nothing to become, and it is not fused.
func.func @index_window(%y: tensor<3xi32>) -> tensor<6xi32> {
  %e = tensor.empty() : tensor<8xi32>
  %f = tensor.empty() : tensor<6xi32>
  %zero = arith.constant 0 : i32
  %z = linalg.fill ins(%zero : i32) outs(%f : tensor<6xi32>) -> tensor<6xi32>
  %iota = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%e : tensor<8xi32>) {
  ^bb0(%o: i32):
    %i = linalg.index 0 : index
    %0 = arith.index_cast %i : index to i32
    linalg.yield %0 : i32
  } -> tensor<8xi32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0 + d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%iota, %y : tensor<8xi32>, tensor<3xi32>) outs(%z : tensor<6xi32>) {
  ^bb0(%ie: i32, %ye: i32, %acc: i32):
    %0 = arith.muli %ie, %ye : i32
    %1 = arith.addi %acc, %0 : i32
    linalg.yield %1 : i32
  } -> tensor<6xi32>
  func.return %s : tensor<6xi32>
}

// CHECK-LABEL: func.func @index_window
// CHECK:         %[[IOTA:.*]] = linalg.generic
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      linalg.index 0
// CHECK:         linalg.generic {{.*}} ins(%[[IOTA]], %{{.*}} :
// CHECK-NOT:     tessera.fused

// ERR: error: linalg-fuse-elementwise: max_ops=-1 must not be negative
// ERR-NOT: Traceback
