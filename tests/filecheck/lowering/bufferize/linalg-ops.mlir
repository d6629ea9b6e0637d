// RUN: tessera-opt %s -p bufferize | filecheck %s

// Every linalg op kind keeps its attributes and body, reads the buffers of its inputs and
// writes the buffer of its `outs`.

// CHECK-LABEL: func.func @conv(
// CHECK-SAME: %[[X:.*]]: memref<1x2x9x9xf32>, %[[W:.*]]: memref<3x2x3x3xf32>, %[[OUT:.*]]: memref<1x3x3x3xf32> {tessera.out}) {
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[OUT]] : memref<1x3x3x3xf32>)
// CHECK-NEXT: linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[X]], %[[W]] : memref<1x2x9x9xf32>, memref<3x2x3x3xf32>) outs(%[[OUT]] : memref<1x3x3x3xf32>){{$}}
func.func @conv(%x: tensor<1x2x9x9xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<1x3x3x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x2x9x9xf32>, tensor<3x2x3x3xf32>) outs(%f : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  func.return %c : tensor<1x3x3x3xf32>
}

// CHECK-LABEL: func.func @transpose_broadcast(
// CHECK-SAME: %[[X:.*]]: memref<2x3xf32>, %[[OUT:.*]]: memref<4x3x2xf32> {tessera.out}) {
// CHECK-NEXT: %[[T:.*]] = memref.alloc() : memref<3x2xf32>
// CHECK-NEXT: linalg.transpose ins(%[[X]]:memref<2x3xf32>) outs(%[[T]]:memref<3x2xf32>) permutation = [1, 0]
// CHECK-NEXT: linalg.broadcast ins(%[[T]]:memref<3x2xf32>) outs(%[[OUT]]:memref<4x3x2xf32>) dimensions = [0]
// CHECK-NEXT: memref.dealloc %[[T]] : memref<3x2xf32>
// CHECK-NEXT: func.return{{$}}
func.func @transpose_broadcast(%x: tensor<2x3xf32>) -> tensor<4x3x2xf32> {
  %t0 = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%x : tensor<2x3xf32>) outs(%t0 : tensor<3x2xf32>) permutation = [1, 0]
  %b0 = tensor.empty() : tensor<4x3x2xf32>
  %b = linalg.broadcast ins(%t : tensor<3x2xf32>) outs(%b0 : tensor<4x3x2xf32>) dimensions = [0]
  func.return %b : tensor<4x3x2xf32>
}

// CHECK-LABEL: func.func @reduce_max(
// CHECK-SAME: %[[X:.*]]: memref<4x5xf32>, %[[OUT:.*]]: memref<4xf32> {tessera.out}) {
// CHECK-NEXT: %[[NEG:.*]] = arith.constant -3.40282347e+38 : f32
// CHECK-NEXT: linalg.fill ins(%[[NEG]] : f32) outs(%[[OUT]] : memref<4xf32>)
// CHECK-NEXT: linalg.reduce ins(%[[X]]:memref<4x5xf32>) outs(%[[OUT]]:memref<4xf32>) dimensions = [1]
// CHECK-NEXT: (%[[IN:.*]]: f32, %[[ACC:.*]]: f32) {
// CHECK-NEXT: %[[M:.*]] = arith.maximumf %[[IN]], %[[ACC]] : f32
// CHECK-NEXT: linalg.yield %[[M]] : f32
// CHECK-NEXT: }
func.func @reduce_max(%x: tensor<4x5xf32>) -> tensor<4xf32> {
  %neg = arith.constant -3.40282347e+38 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%neg : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.reduce ins(%x : tensor<4x5xf32>) outs(%f : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %m = arith.maximumf %in, %acc : f32
      linalg.yield %m : f32
    }
  func.return %r : tensor<4xf32>
}

// A generic with `linalg.index`, a window map and an offset output map keeps its maps.

// CHECK-LABEL: func.func @pad_iota(
// CHECK-SAME: %[[X:.*]]: memref<1x1x2x2xf32>, %[[OUT:.*]]: memref<1x1x6x6xf32> {tessera.out}) {
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[OUT]] : memref<1x1x6x6xf32>)
// CHECK-NEXT: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, (d2 + 2), (d3 + 2))>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]] : memref<1x1x2x2xf32>) outs(%[[OUT]] : memref<1x1x6x6xf32>) {
// CHECK: linalg.index 2 : index
// CHECK-NOT: linalg.yield {{.*}} -> tensor
func.func @pad_iota(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x6x6xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<1x1x6x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x6x6xf32>) -> tensor<1x1x6x6xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 + 2, d3 + 2)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x1x2x2xf32>) outs(%f : tensor<1x1x6x6xf32>) {
  ^bb0(%in: f32, %o: f32):
    %i = linalg.index 2 : index
    %ii = arith.index_cast %i : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %s = arith.addf %in, %fi : f32
    linalg.yield %s : f32
  } -> tensor<1x1x6x6xf32>
  func.return %p : tensor<1x1x6x6xf32>
}

// tensor.extract reads the buffer.

// CHECK-LABEL: func.func @extract(
// CHECK-SAME: %[[X:.*]]: memref<3xi32>) -> i32 {
// CHECK-NEXT: %[[I:.*]] = arith.constant 1 : index
// CHECK-NEXT: %[[V:.*]] = memref.load %[[X]][%[[I]]] : memref<3xi32>
// CHECK-NEXT: func.return %[[V]] : i32
func.func @extract(%x: tensor<3xi32>) -> i32 {
  %i = arith.constant 1 : index
  %v = tensor.extract %x[%i] : tensor<3xi32>
  func.return %v : i32
}
