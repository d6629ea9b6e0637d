// RUN: tessera-opt %s -p linalg-to-loops | filecheck %s

// conv_2d_nchw_fchw with strides 2 and dilations 2: loops (n, f, oh, ow, c, kh, kw), the
// input read at (oh * 2 + kh * 2, ow * 2 + kw * 2), the loop bounds from the output and
// filter shapes.

// CHECK-LABEL: func.func @conv(
// CHECK-SAME: %[[X:.*]]: memref<1x2x9x9xf32>, %[[W:.*]]: memref<3x2x3x3xf32>, %[[OUT:.*]]: memref<1x3x3x3xf32> {tessera.out}) {
// CHECK-NEXT: %[[N:.*]] = arith.constant 1 : index
// CHECK-NEXT: %[[F:.*]] = arith.constant 3 : index
// CHECK-NEXT: %[[OH:.*]] = arith.constant 3 : index
// CHECK-NEXT: %[[OW:.*]] = arith.constant 3 : index
// CHECK-NEXT: %[[C:.*]] = arith.constant 2 : index
// CHECK-NEXT: %[[KH:.*]] = arith.constant 3 : index
// CHECK-NEXT: %[[KW:.*]] = arith.constant 3 : index
// CHECK-NEXT: %[[LB:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[STEP:.*]] = arith.constant 1 : index
// CHECK-NEXT: scf.for %[[IN:.*]] = %[[LB]] to %[[N]] step %[[STEP]] {
// CHECK-NEXT: scf.for %[[IF:.*]] = %[[LB]] to %[[F]] step %[[STEP]] {
// CHECK-NEXT: scf.for %[[IOH:.*]] = %[[LB]] to %[[OH]] step %[[STEP]] {
// CHECK-NEXT: scf.for %[[IOW:.*]] = %[[LB]] to %[[OW]] step %[[STEP]] {
// CHECK-NEXT: scf.for %[[IC:.*]] = %[[LB]] to %[[C]] step %[[STEP]] {
// CHECK-NEXT: scf.for %[[IKH:.*]] = %[[LB]] to %[[KH]] step %[[STEP]] {
// CHECK-NEXT: scf.for %[[IKW:.*]] = %[[LB]] to %[[KW]] step %[[STEP]] {
// CHECK-NEXT: %[[H:.*]] = affine.apply affine_map<(d0, d1) -> (((d0 * 2) + (d1 * 2)))> (%[[IOH]], %[[IKH]])
// CHECK-NEXT: %[[V:.*]] = affine.apply affine_map<(d0, d1) -> (((d0 * 2) + (d1 * 2)))> (%[[IOW]], %[[IKW]])
// CHECK-NEXT: %[[XV:.*]] = memref.load %[[X]][%[[IN]], %[[IC]], %[[H]], %[[V]]] : memref<1x2x9x9xf32>
// CHECK-NEXT: %[[WV:.*]] = memref.load %[[W]][%[[IF]], %[[IC]], %[[IKH]], %[[IKW]]] : memref<3x2x3x3xf32>
// CHECK-NEXT: %[[ACC:.*]] = memref.load %[[OUT]][%[[IN]], %[[IF]], %[[IOH]], %[[IOW]]] : memref<1x3x3x3xf32>
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[XV]], %[[WV]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[P]], %[[ACC]] : f32
// CHECK-NEXT: memref.store %[[S]], %[[OUT]][%[[IN]], %[[IF]], %[[IOH]], %[[IOW]]] : memref<1x3x3x3xf32>
func.func @conv(%x: memref<1x2x9x9xf32>, %w: memref<3x2x3x3xf32>, %out: memref<1x3x3x3xf32> {tessera.out}) {
  linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : memref<1x2x9x9xf32>, memref<3x2x3x3xf32>) outs(%out : memref<1x3x3x3xf32>)
  func.return
}

// Strides and dilations that differ per dimension land on the right dimension.

// CHECK-LABEL: func.func @conv_asymmetric(
// CHECK: affine.apply affine_map<(d0, d1) -> (((d0 * 3) + d1))>
// CHECK-NEXT: affine.apply affine_map<(d0, d1) -> ((d0 + (d1 * 2)))>
func.func @conv_asymmetric(%x: memref<1x1x7x6xf32>, %w: memref<1x1x2x2xf32>, %out: memref<1x1x2x4xf32> {tessera.out}) {
  linalg.conv_2d_nchw_fchw {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<[3, 1]> : tensor<2xi64>} ins(%x, %w : memref<1x1x7x6xf32>, memref<1x1x2x2xf32>) outs(%out : memref<1x1x2x4xf32>)
  func.return
}
