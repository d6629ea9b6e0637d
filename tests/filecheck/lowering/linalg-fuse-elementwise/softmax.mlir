// RUN: tessera-opt %s -p linalg-fuse-elementwise | filecheck %s
// RUN: tessera-opt %s -p 'linalg-fuse-elementwise{reductions=false}' | filecheck %s --check-prefix=NORED
// RUN: tessera-opt %s -p 'linalg-fuse-elementwise{recompute=false}' | filecheck %s --check-prefix=NORED
// RUN: tessera-opt %s -p 'linalg-fuse-elementwise{max_ops=1}' | filecheck %s --check-prefix=NORED

// Softmax as graph-to-linalg writes it: max, exp(x - max), sum, divide. The exponentials
// have two users, the sum (a reduction) and the division; their body (2 ops) is cheap
// enough to recompute, so it is inlined into both and never stored: three passes over x,
// and no 8x10 temporary.

func.func @softmax(%x: tensor<8x10xf32>) -> tensor<8x10xf32> {
  %e = tensor.empty() : tensor<8x10xf32>
  %r = tensor.empty() : tensor<8xf32>
  %lowest = arith.constant 0xff800000 : f32
  %zero = arith.constant 0.000000e+00 : f32
  %minf = linalg.fill ins(%lowest : f32) outs(%r : tensor<8xf32>) -> tensor<8xf32>
  %max = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x10xf32>) outs(%minf : tensor<8xf32>) {
  ^bb0(%xe: f32, %acc: f32):
    %0 = arith.maximumf %acc, %xe : f32
    linalg.yield %0 : f32
  } -> tensor<8xf32>
  %exps = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %max : tensor<8x10xf32>, tensor<8xf32>) outs(%e : tensor<8x10xf32>) {
  ^bb0(%xe: f32, %me: f32, %o: f32):
    %0 = arith.subf %xe, %me : f32
    %1 = math.exp %0 : f32
    linalg.yield %1 : f32
  } -> tensor<8x10xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%r : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%exps : tensor<8x10xf32>) outs(%zeros : tensor<8xf32>) {
  ^bb0(%ee: f32, %acc: f32):
    %0 = arith.addf %acc, %ee : f32
    linalg.yield %0 : f32
  } -> tensor<8xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%exps, %sum : tensor<8x10xf32>, tensor<8xf32>) outs(%e : tensor<8x10xf32>) {
  ^bb0(%ee: f32, %se: f32, %o: f32):
    %0 = arith.divf %ee, %se : f32
    linalg.yield %0 : f32
  } -> tensor<8x10xf32>
  func.return %y : tensor<8x10xf32>
}

// CHECK-LABEL: func.func @softmax
// CHECK-SAME:    (%[[X:.*]]: tensor<8x10xf32>)
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<8x10xf32>)
// CHECK-NOT:       tessera.fused
// CHECK:           arith.maximumf
// CHECK:         %[[ZEROS:.*]] = linalg.fill
// CHECK-NEXT:    %[[SUM:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:      ins(%[[X]], %[[MAX]] : tensor<8x10xf32>, tensor<8xf32>) outs(%[[ZEROS]] : tensor<8xf32>)
// CHECK-SAME:      attrs = {tessera.fused = ["subf+exp at {{.*}}softmax.mlir:22:3"]}
// CHECK-NEXT:    ^bb0(%[[XE:.*]]: f32, %[[ME:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[XE]], %[[ME]] : f32
// CHECK-NEXT:      %[[EXP:.*]] = math.exp %[[D]] : f32
// CHECK-NEXT:      %[[ADD:.*]] = arith.addf %[[ACC]], %[[EXP]] : f32
// CHECK-NEXT:      linalg.yield %[[ADD]] : f32
// CHECK-NEXT:    } -> tensor<8xf32>
// CHECK-NEXT:    %[[Y:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[X]], %[[MAX]], %[[SUM]] : tensor<8x10xf32>, tensor<8xf32>, tensor<8xf32>)
// CHECK-SAME:      attrs = {tessera.fused = ["subf+exp at {{.*}}softmax.mlir:22:3"]}
// CHECK-NEXT:    ^bb0(%[[XE2:.*]]: f32, %[[ME2:.*]]: f32, %[[SE:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[D2:.*]] = arith.subf %[[XE2]], %[[ME2]] : f32
// CHECK-NEXT:      %[[EXP2:.*]] = math.exp %[[D2]] : f32
// CHECK-NEXT:      %[[DIV:.*]] = arith.divf %[[EXP2]], %[[SE]] : f32
// CHECK-NEXT:      linalg.yield %[[DIV]] : f32
// CHECK-NEXT:    } -> tensor<8x10xf32>
// CHECK-NEXT:    func.return %[[Y]] : tensor<8x10xf32>

// Without fusion into reductions, without recomputation, or with a body limit below the
// exponentials' two ops, all or nothing: the exponentials have two users and cannot be
// fused into one and still be stored for the other, so all four generics stay.
// NORED-LABEL: func.func @softmax
// NORED-NOT:     tessera.fused
// NORED:         %[[MAX:.*]] = linalg.generic
// NORED:         %[[EXPS:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[MAX]] :
// NORED:           math.exp
// NORED:         %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[EXPS]] :
// NORED:         linalg.generic {{.*}} ins(%[[EXPS]], %[[SUM]] :
// NORED-NOT:     tessera.fused
