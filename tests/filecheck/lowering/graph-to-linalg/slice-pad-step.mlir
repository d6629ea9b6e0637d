// RUN: tessera-opt %s -p graph-to-linalg | filecheck %s
// RUN: tessera-opt %s -p graph-to-linalg,bufferize | filecheck %s --check-prefix=BUF
// RUN: tessera-opt %s -p lower-to-c | filecheck %s --check-prefix=C

// graph.slice is a copy generic whose input map is `d * stride + start` (affine-linear, with
// negative coefficients for negative strides); a dimension read from 0 with stride 1 that is
// shorter than the input is cut first by a tensor.extract_slice (its plain map `d` would
// have to span the whole input dimension). graph.pad is a linalg.fill of zeros and a
// tensor.insert_slice at offsets `low`, strides `interior + 1`. graph.step is an
// elementwise generic without a comparison. A slice or pad that changes nothing is dropped.

// CHECK-LABEL: func.func @slice_strided(
// CHECK-SAME: %[[X:.*]]: tensor<4x6xf32>) -> tensor<2x3xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK-NEXT: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (((d0 * 2) + 1), (d1 * 2))>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[X]] : tensor<4x6xf32>) outs(%[[E]] : tensor<2x3xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK-NEXT: } -> tensor<2x3xf32>
// CHECK-NEXT: func.return %[[R]] : tensor<2x3xf32>
func.func @slice_strided(%x: tensor<4x6xf32>) -> tensor<2x3xf32> {
  %0 = graph.slice %x {starts = array<i64: 1, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 2, 2>} : tensor<4x6xf32> -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}

// Flipping a convolution's kernel: stride -1 from the last index of H and W.
// CHECK-LABEL: func.func @slice_reverse(
// CHECK-SAME: %[[W:.*]]: tensor<2x3x3x3xf32>) -> tensor<2x3x3x3xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<2x3x3x3xf32>
// CHECK-NEXT: %{{.*}} = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, ((d2 * -1) + 2), ((d3 * -1) + 2))>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[W]] : tensor<2x3x3x3xf32>) outs(%[[E]] : tensor<2x3x3x3xf32>)
func.func @slice_reverse(%w: tensor<2x3x3x3xf32>) -> tensor<2x3x3x3xf32> {
  %0 = graph.slice %w {starts = array<i64: 0, 0, 2, 2>, sizes = array<i64: 2, 3, 3, 3>, strides = array<i64: 1, 1, -1, -1>} : tensor<2x3x3x3xf32> -> tensor<2x3x3x3xf32>
  func.return %0 : tensor<2x3x3x3xf32>
}

// A leading part of a dimension: the extract_slice is the whole lowering.
// CHECK-LABEL: func.func @slice_prefix(
// CHECK-SAME: %[[X:.*]]: tensor<5x7xi32>) -> tensor<3x7xi32> {
// CHECK-NEXT: %[[S:.*]] = tensor.extract_slice %[[X]][0, 0] [3, 7] [1, 1] : tensor<5x7xi32> to tensor<3x7xi32>
// CHECK-NEXT: func.return %[[S]] : tensor<3x7xi32>
// BUF-LABEL: func.func @slice_prefix(
// BUF-SAME: %[[X:.*]]: memref<5x7xi32>, %[[OUT:.*]]: memref<3x7xi32> {tessera.out}) {
// BUF-NEXT: %[[V:.*]] = memref.subview %[[X]][0, 0] [3, 7] [1, 1] : memref<5x7xi32> to memref<3x7xi32, strided<[7, 1]>>
// BUF-NEXT: "memref.copy"(%[[V]], %[[OUT]]) : (memref<3x7xi32, strided<[7, 1]>>, memref<3x7xi32>) -> ()
// BUF-NEXT: func.return
func.func @slice_prefix(%x: tensor<5x7xi32>) -> tensor<3x7xi32> {
  %0 = graph.slice %x {starts = array<i64: 0, 0>, sizes = array<i64: 3, 7>, strides = array<i64: 1, 1>} : tensor<5x7xi32> -> tensor<3x7xi32>
  func.return %0 : tensor<3x7xi32>
}

// A prefix in one dimension, a reversed stride-2 walk in the other: cut, then the generic.
// CHECK-LABEL: func.func @slice_prefix_and_reverse(
// CHECK-SAME: %[[X:.*]]: tensor<5x7xf64>) -> tensor<3x4xf64> {
// CHECK-NEXT: %[[S:.*]] = tensor.extract_slice %[[X]][0, 0] [3, 7] [1, 1] : tensor<5x7xf64> to tensor<3x7xf64>
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<3x4xf64>
// CHECK-NEXT: %{{.*}} = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, ((d1 * -2) + 6))>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[S]] : tensor<3x7xf64>) outs(%[[E]] : tensor<3x4xf64>)
// BUF-LABEL: func.func @slice_prefix_and_reverse(
// BUF-SAME: %[[X:.*]]: memref<5x7xf64>, %[[OUT:.*]]: memref<3x4xf64> {tessera.out}) {
// BUF-NEXT: %[[V:.*]] = memref.subview %[[X]][0, 0] [3, 7] [1, 1] : memref<5x7xf64> to memref<3x7xf64, strided<[7, 1]>>
// BUF-NEXT: %[[B:.*]] = memref.alloc() : memref<3x7xf64>
// BUF-NEXT: "memref.copy"(%[[V]], %[[B]]) : (memref<3x7xf64, strided<[7, 1]>>, memref<3x7xf64>) -> ()
// BUF-NEXT: linalg.generic {{.*}} ins(%[[B]] : memref<3x7xf64>) outs(%[[OUT]] : memref<3x4xf64>)
// BUF: memref.dealloc %[[B]] : memref<3x7xf64>
func.func @slice_prefix_and_reverse(%x: tensor<5x7xf64>) -> tensor<3x4xf64> {
  %0 = graph.slice %x {starts = array<i64: 0, 6>, sizes = array<i64: 3, 4>, strides = array<i64: 1, -2>} : tensor<5x7xf64> -> tensor<3x4xf64>
  func.return %0 : tensor<3x4xf64>
}

// CHECK-LABEL: func.func @slice_identity(
// CHECK-SAME: %[[X:.*]]: tensor<5x7xf32>, %[[S:.*]]: tensor<i8>) -> (tensor<5x7xf32>, tensor<i8>) {
// CHECK-NEXT: func.return %[[X]], %[[S]] : tensor<5x7xf32>, tensor<i8>
func.func @slice_identity(%x: tensor<5x7xf32>, %s: tensor<i8>) -> (tensor<5x7xf32>, tensor<i8>) {
  %0 = graph.slice %x {starts = array<i64: 0, 0>, sizes = array<i64: 5, 7>, strides = array<i64: 1, 1>} : tensor<5x7xf32> -> tensor<5x7xf32>
  %1 = graph.slice %s {starts = array<i64>, sizes = array<i64>, strides = array<i64>} : tensor<i8> -> tensor<i8>
  func.return %0, %1 : tensor<5x7xf32>, tensor<i8>
}

// CHECK-LABEL: func.func @pad(
// CHECK-SAME: %[[X:.*]]: tensor<3x4xf32>) -> tensor<8x5xf32> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<8x5xf32>
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<8x5xf32>) -> tensor<8x5xf32>
// CHECK-NEXT: %[[P:.*]] = tensor.insert_slice %[[X]] into %[[F]][1, 0] [3, 4] [2, 1] : tensor<3x4xf32> into tensor<8x5xf32>
// CHECK-NEXT: func.return %[[P]] : tensor<8x5xf32>
// BUF-LABEL: func.func @pad(
// BUF-SAME: %[[X:.*]]: memref<3x4xf32>, %[[OUT:.*]]: memref<8x5xf32> {tessera.out}) {
// BUF-NEXT: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// BUF-NEXT: linalg.fill ins(%[[Z]] : f32) outs(%[[OUT]] : memref<8x5xf32>)
// BUF-NEXT: %[[V:.*]] = memref.subview %[[OUT]][1, 0] [3, 4] [2, 1] : memref<8x5xf32> to memref<3x4xf32, strided<[10, 1], offset: 5>>
// BUF-NEXT: "memref.copy"(%[[X]], %[[V]]) : (memref<3x4xf32>, memref<3x4xf32, strided<[10, 1], offset: 5>>) -> ()
// BUF-NEXT: func.return
func.func @pad(%x: tensor<3x4xf32>) -> tensor<8x5xf32> {
  %0 = graph.pad %x {low = array<i64: 1, 0>, high = array<i64: 2, 1>, interior = array<i64: 1, 0>} : tensor<3x4xf32> -> tensor<8x5xf32>
  func.return %0 : tensor<8x5xf32>
}

// Interior padding alone (the dilation of a strided convolution's gradient), in i8.
// CHECK-LABEL: func.func @pad_interior(
// CHECK-SAME: %[[X:.*]]: tensor<2x3xi8>) -> tensor<7x3xi8> {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<7x3xi8>
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0 : i8
// CHECK-NEXT: %[[F:.*]] = linalg.fill ins(%[[Z]] : i8) outs(%[[E]] : tensor<7x3xi8>) -> tensor<7x3xi8>
// CHECK-NEXT: %[[P:.*]] = tensor.insert_slice %[[X]] into %[[F]][0, 0] [2, 3] [6, 1] : tensor<2x3xi8> into tensor<7x3xi8>
// CHECK-NEXT: func.return %[[P]] : tensor<7x3xi8>
func.func @pad_interior(%x: tensor<2x3xi8>) -> tensor<7x3xi8> {
  %0 = graph.pad %x {low = array<i64: 0, 0>, high = array<i64: 0, 0>, interior = array<i64: 5, 0>} : tensor<2x3xi8> -> tensor<7x3xi8>
  func.return %0 : tensor<7x3xi8>
}

// Interior padding of a one-element dimension adds nothing.
// CHECK-LABEL: func.func @pad_identity(
// CHECK-SAME: %[[X:.*]]: tensor<1x3xf32>) -> tensor<1x3xf32> {
// CHECK-NEXT: func.return %[[X]] : tensor<1x3xf32>
func.func @pad_identity(%x: tensor<1x3xf32>) -> tensor<1x3xf32> {
  %0 = graph.pad %x {low = array<i64: 0, 0>, high = array<i64: 0, 0>, interior = array<i64: 4, 0>} : tensor<1x3xf32> -> tensor<1x3xf32>
  func.return %0 : tensor<1x3xf32>
}

// Floats: ceil(minnum(maxnum(x, 0), 1)) + 0; integers: min(max(x, 0), 1). No comparison:
// xDSL's arith.cmpf/cmpi take no vectors, and the C schedule vectorizes the body (the
// lanes depend on the host, hence the pattern).
// C-LABEL: func.func @step(
// C: %[[V:.*]] = vector.load %{{.*}} : memref<4x5xf32>, vector<[[N:[0-9]+]]xf32>
// C: arith.maxnumf %[[V]], %{{.*}} : vector<[[N]]xf32>
// C: math.ceil %{{.*}} : vector<[[N]]xf32>
// CHECK-LABEL: func.func @step(
// CHECK-SAME: %[[X:.*]]: tensor<4x5xf32>, %[[Y:.*]]: tensor<6xi8>) -> (tensor<4x5xf32>, tensor<6xi8>) {
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<4x5xf32>
// CHECK-NEXT: %[[F:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[X]] : tensor<4x5xf32>) outs(%[[E]] : tensor<4x5xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[A:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[LO:.*]] = arith.maxnumf %[[A]], %[[ZERO]] : f32
// CHECK-NEXT: %[[HI:.*]] = arith.minnumf %[[LO]], %[[ONE]] : f32
// CHECK-NEXT: %[[UP:.*]] = math.ceil %[[HI]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[UP]], %[[ZERO]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK-NEXT: } -> tensor<4x5xf32>
// CHECK-NEXT: %[[E2:.*]] = tensor.empty() : tensor<6xi8>
// CHECK-NEXT: %[[I:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%[[Y]] : tensor<6xi8>) outs(%[[E2]] : tensor<6xi8>) {
// CHECK-NEXT: ^{{.*}}(%[[B:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: %[[IZERO:.*]] = arith.constant 0 : i8
// CHECK-NEXT: %[[IONE:.*]] = arith.constant 1 : i8
// CHECK-NEXT: %[[ILO:.*]] = arith.maxsi %[[B]], %[[IZERO]] : i8
// CHECK-NEXT: %[[IS:.*]] = arith.minsi %[[ILO]], %[[IONE]] : i8
// CHECK-NEXT: linalg.yield %[[IS]] : i8
// CHECK-NEXT: } -> tensor<6xi8>
// CHECK-NEXT: func.return %[[F]], %[[I]] : tensor<4x5xf32>, tensor<6xi8>
func.func @step(%x: tensor<4x5xf32>, %y: tensor<6xi8>) -> (tensor<4x5xf32>, tensor<6xi8>) {
  %0 = graph.step %x : tensor<4x5xf32> -> tensor<4x5xf32>
  %1 = graph.step %y : tensor<6xi8> -> tensor<6xi8>
  func.return %0, %1 : tensor<4x5xf32>, tensor<6xi8>
}
