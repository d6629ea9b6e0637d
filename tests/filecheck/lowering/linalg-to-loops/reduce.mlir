// RUN: tessera-opt %s -p linalg-to-loops | filecheck %s

// linalg.reduce has no loop lowering in xDSL: it becomes a generic with reduction
// iterators for the reduced dimensions, then loops that load, combine and store the
// accumulator.

// CHECK-LABEL: func.func @sum_rows(
// CHECK-SAME: %[[X:.*]]: memref<4x5xf32>, %[[OUT:.*]]: memref<4xf32> {tessera.out}) {
// CHECK-NEXT: %[[B0:.*]] = arith.constant 4 : index
// CHECK-NEXT: %[[B1:.*]] = arith.constant 5 : index
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %[[B0]]
// CHECK-NEXT: scf.for %[[J:.*]] = %{{.*}} to %[[B1]]
// CHECK-NEXT: %[[IN:.*]] = memref.load %[[X]][%[[I]], %[[J]]] : memref<4x5xf32>
// CHECK-NEXT: %[[ACC:.*]] = memref.load %[[OUT]][%[[I]]] : memref<4xf32>
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[IN]], %[[ACC]] : f32
// CHECK-NEXT: memref.store %[[S]], %[[OUT]][%[[I]]] : memref<4xf32>
func.func @sum_rows(%x: memref<4x5xf32>, %out: memref<4xf32> {tessera.out}) {
  linalg.reduce ins(%x : memref<4x5xf32>) outs(%out : memref<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  func.return
}

// Reducing the leading dimension of three, and reducing everything to a scalar.

// CHECK-LABEL: func.func @max_dims_0_2(
// CHECK-SAME: %[[X:.*]]: memref<2x3x4xi32>, %[[OUT:.*]]: memref<3xi32> {tessera.out}) {
// CHECK: scf.for %[[I:.*]] =
// CHECK-NEXT: scf.for %[[J:.*]] =
// CHECK-NEXT: scf.for %[[K:.*]] =
// CHECK-NEXT: %[[IN:.*]] = memref.load %[[X]][%[[I]], %[[J]], %[[K]]] : memref<2x3x4xi32>
// CHECK-NEXT: %[[ACC:.*]] = memref.load %[[OUT]][%[[J]]] : memref<3xi32>
// CHECK-NEXT: %[[M:.*]] = arith.maxsi %[[IN]], %[[ACC]] : i32
// CHECK-NEXT: memref.store %[[M]], %[[OUT]][%[[J]]] : memref<3xi32>
func.func @max_dims_0_2(%x: memref<2x3x4xi32>, %out: memref<3xi32> {tessera.out}) {
  linalg.reduce ins(%x : memref<2x3x4xi32>) outs(%out : memref<3xi32>) dimensions = [0, 2]
    (%in: i32, %acc: i32) {
      %m = arith.maxsi %in, %acc : i32
      linalg.yield %m : i32
    }
  func.return
}

// CHECK-LABEL: func.func @sum_all(
// CHECK-SAME: %[[X:.*]]: memref<3xf64>, %[[OUT:.*]]: memref<f64> {tessera.out}) {
// CHECK: scf.for %[[I:.*]] =
// CHECK-NEXT: %[[IN:.*]] = memref.load %[[X]][%[[I]]] : memref<3xf64>
// CHECK-NEXT: %[[ACC:.*]] = memref.load %[[OUT]][] : memref<f64>
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[IN]], %[[ACC]] : f64
// CHECK-NEXT: memref.store %[[S]], %[[OUT]][] : memref<f64>
func.func @sum_all(%x: memref<3xf64>, %out: memref<f64> {tessera.out}) {
  linalg.reduce ins(%x : memref<3xf64>) outs(%out : memref<f64>) dimensions = [0]
    (%in: f64, %acc: f64) {
      %s = arith.addf %in, %acc : f64
      linalg.yield %s : f64
    }
  func.return
}
