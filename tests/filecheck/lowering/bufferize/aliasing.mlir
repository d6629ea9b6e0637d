// RUN: tessera-opt %s -p bufferize | filecheck %s

// A linalg op overwrites its `outs` buffer in place only when no one can tell.

// One fill result is the `outs` of two matmuls: the first writes a copy, the second the
// filled buffer itself (nothing reads the fill afterwards). The buffer that is returned is
// the output argument; the other one is freed.

// CHECK-LABEL: func.func @shared_init(
// CHECK-SAME: %[[A:.*]]: memref<2x3xf32>, %[[B:.*]]: memref<3x2xf32>, %[[OUT:.*]]: memref<2x2xf32> {tessera.out}) {
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[OUT]] : memref<2x2xf32>)
// CHECK-NEXT: %[[COPY:.*]] = memref.alloc() : memref<2x2xf32>
// CHECK-NEXT: "memref.copy"(%[[OUT]], %[[COPY]]) : (memref<2x2xf32>, memref<2x2xf32>) -> ()
// CHECK-NEXT: linalg.matmul ins(%[[A]], %[[B]] : memref<2x3xf32>, memref<3x2xf32>) outs(%[[COPY]] : memref<2x2xf32>)
// CHECK-NEXT: linalg.matmul ins(%[[A]], %[[B]] : memref<2x3xf32>, memref<3x2xf32>) outs(%[[OUT]] : memref<2x2xf32>)
// CHECK-NEXT: linalg.generic {{.*}} ins(%[[COPY]] : memref<2x2xf32>) outs(%[[OUT]] : memref<2x2xf32>)
// CHECK: memref.dealloc %[[COPY]] : memref<2x2xf32>
// CHECK-NEXT: func.return{{$}}
func.func @shared_init(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> tensor<2x2xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %m1 = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<3x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  %m2 = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<3x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%m1 : tensor<2x2xf32>) outs(%m2 : tensor<2x2xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.subf %o, %x : f32
    linalg.yield %s : f32
  } -> tensor<2x2xf32>
  func.return %r : tensor<2x2xf32>
}

// A chain in destination-passing style (fill, matmul, bias) stays in one buffer.

// CHECK-LABEL: func.func @chain(
// CHECK-SAME: %[[A:.*]]: memref<2x3xf32>, %[[B:.*]]: memref<3x2xf32>, %[[OUT:.*]]: memref<2x2xf32> {tessera.out}) {
// CHECK-NOT: memref.alloc
// CHECK: linalg.fill {{.*}} outs(%[[OUT]] : memref<2x2xf32>)
// CHECK-NEXT: linalg.matmul {{.*}} outs(%[[OUT]] : memref<2x2xf32>)
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[OUT]] : memref<2x2xf32>)
// CHECK-NOT: memref.copy
// CHECK: func.return{{$}}
func.func @chain(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> tensor<2x2xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %m = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<3x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%m : tensor<2x2xf32>) {
  ^bb0(%o: f32):
    %s = arith.addf %o, %zero : f32
    linalg.yield %s : f32
  } -> tensor<2x2xf32>
  func.return %r : tensor<2x2xf32>
}

// An argument used as `outs` is never written: the op writes a copy.

// CHECK-LABEL: func.func @accumulate_into_argument(
// CHECK-SAME: %[[A:.*]]: memref<2x3xf32>, %[[B:.*]]: memref<3x2xf32>, %[[C:.*]]: memref<2x2xf32>, %[[OUT:.*]]: memref<2x2xf32> {tessera.out}) {
// CHECK-NEXT: "memref.copy"(%[[C]], %[[OUT]]) : (memref<2x2xf32>, memref<2x2xf32>) -> ()
// CHECK-NEXT: linalg.matmul ins(%[[A]], %[[B]] : memref<2x3xf32>, memref<3x2xf32>) outs(%[[OUT]] : memref<2x2xf32>)
// CHECK-NEXT: func.return{{$}}
func.func @accumulate_into_argument(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>, %c: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %m = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<3x2xf32>) outs(%c : tensor<2x2xf32>) -> tensor<2x2xf32>
  func.return %m : tensor<2x2xf32>
}

// A tensor that is both an input and the `outs` of one op is copied: the op may read
// elements it has already overwritten.

// CHECK-LABEL: func.func @in_and_out(
// CHECK-SAME: %[[S:.*]]: f32, %[[OUT:.*]]: memref<3x3xf32> {tessera.out}) {
// CHECK-NEXT: %[[F:.*]] = memref.alloc() : memref<3x3xf32>
// CHECK-NEXT: linalg.fill ins(%[[S]] : f32) outs(%[[F]] : memref<3x3xf32>)
// CHECK-NEXT: "memref.copy"(%[[F]], %[[OUT]])
// CHECK-NEXT: linalg.transpose ins(%[[F]]:memref<3x3xf32>) outs(%[[OUT]]:memref<3x3xf32>) permutation = [1, 0]
// CHECK-NEXT: memref.dealloc %[[F]] : memref<3x3xf32>
func.func @in_and_out(%s: f32) -> tensor<3x3xf32> {
  %e = tensor.empty() : tensor<3x3xf32>
  %f = linalg.fill ins(%s : f32) outs(%e : tensor<3x3xf32>) -> tensor<3x3xf32>
  %t = linalg.transpose ins(%f : tensor<3x3xf32>) outs(%f : tensor<3x3xf32>) permutation = [1, 0]
  func.return %t : tensor<3x3xf32>
}

// A `tensor.empty` used as `outs` twice: each op gets its own buffer, with no copy (an empty
// tensor has no contents to keep).

// CHECK-LABEL: func.func @empty_twice(
// CHECK-SAME: %[[S:.*]]: f32, %[[T:.*]]: f32, %[[OUT0:.*]]: memref<4xf32> {tessera.out}, %[[OUT1:.*]]: memref<4xf32> {tessera.out}) {
// CHECK-NEXT: linalg.fill ins(%[[S]] : f32) outs(%[[OUT1]] : memref<4xf32>)
// CHECK-NEXT: linalg.fill ins(%[[T]] : f32) outs(%[[OUT0]] : memref<4xf32>)
// CHECK-NEXT: func.return{{$}}
func.func @empty_twice(%s: f32, %t: f32) -> (tensor<4xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%s : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %g = linalg.fill ins(%t : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  func.return %g, %f : tensor<4xf32>, tensor<4xf32>
}
