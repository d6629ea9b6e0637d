// RUN: tessera-opt %s -p linalg-to-loops | filecheck %s

// A reshape through floordiv/mod: one loop over the output, the input indices computed.

// CHECK-LABEL: func.func @reshape(
// CHECK-SAME: %[[X:.*]]: memref<2x4xf32>, %[[OUT:.*]]: memref<8xf32> {tessera.out}) {
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: %[[R:.*]] = affine.apply affine_map<(d0) -> ((d0 floordiv 4))> (%[[I]])
// CHECK-NEXT: %[[C:.*]] = affine.apply affine_map<(d0) -> ((d0 mod 4))> (%[[I]])
// CHECK-NEXT: %[[V:.*]] = memref.load %[[X]][%[[R]], %[[C]]] : memref<2x4xf32>
// CHECK-NEXT: memref.store %[[V]], %[[OUT]][%[[I]]] : memref<8xf32>
func.func @reshape(%x: memref<2x4xf32>, %out: memref<8xf32> {tessera.out}) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0 floordiv 4, d0 mod 4)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : memref<2x4xf32>) outs(%out : memref<8xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  func.return
}

// An output map with an offset writes the input into the interior of a padded buffer: the
// loops run over the input (2x3), the stores are shifted by 2.

// CHECK-LABEL: func.func @pad(
// CHECK-SAME: %[[X:.*]]: memref<1x1x2x3xf32>, %[[OUT:.*]]: memref<1x1x6x7xf32> {tessera.out}) {
// CHECK-NEXT: %[[B0:.*]] = arith.constant 1 : index
// CHECK-NEXT: %[[B1:.*]] = arith.constant 1 : index
// CHECK-NEXT: %[[B2:.*]] = arith.constant 2 : index
// CHECK-NEXT: %[[B3:.*]] = arith.constant 3 : index
// CHECK: scf.for %[[N:.*]] = %{{.*}} to %[[B0]]
// CHECK-NEXT: scf.for %[[C:.*]] = %{{.*}} to %[[B1]]
// CHECK-NEXT: scf.for %[[H:.*]] = %{{.*}} to %[[B2]]
// CHECK-NEXT: scf.for %[[W:.*]] = %{{.*}} to %[[B3]]
// CHECK-NEXT: %[[V:.*]] = memref.load %[[X]][%[[N]], %[[C]], %[[H]], %[[W]]] : memref<1x1x2x3xf32>
// CHECK-NEXT: %[[H2:.*]] = affine.apply affine_map<(d0) -> ((d0 + 2))> (%[[H]])
// CHECK-NEXT: %[[W2:.*]] = affine.apply affine_map<(d0) -> ((d0 + 2))> (%[[W]])
// CHECK-NEXT: memref.store %[[V]], %[[OUT]][%[[N]], %[[C]], %[[H2]], %[[W2]]] : memref<1x1x6x7xf32>
func.func @pad(%x: memref<1x1x2x3xf32>, %out: memref<1x1x6x7xf32> {tessera.out}) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 + 2, d3 + 2)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x1x2x3xf32>) outs(%out : memref<1x1x6x7xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  func.return
}

// A constant index in a map (a broadcast of row 0) is an index constant; linalg.index is the
// loop's induction variable; the body's scalar ops are kept.

// CHECK-LABEL: func.func @row0_plus_index(
// CHECK-SAME: %[[X:.*]]: memref<3x4xf32>, %[[OUT:.*]]: memref<2x4xf32> {tessera.out}) {
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[V:.*]] = memref.load %[[X]][%[[ZERO]], %[[J]]] : memref<3x4xf32>
// CHECK-NEXT: %[[C:.*]] = arith.index_cast %[[I]] : index to i32
// CHECK-NEXT: %[[F:.*]] = arith.sitofp %[[C]] : i32 to f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[V]], %[[F]] : f32
// CHECK-NEXT: memref.store %[[S]], %[[OUT]][%[[I]], %[[J]]] : memref<2x4xf32>
func.func @row0_plus_index(%x: memref<3x4xf32>, %out: memref<2x4xf32> {tessera.out}) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<3x4xf32>) outs(%out : memref<2x4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %i = linalg.index 0 : index
    %c = arith.index_cast %i : index to i32
    %f = arith.sitofp %c : i32 to f32
    %s = arith.addf %in, %f : f32
    linalg.yield %s : f32
  }
  func.return
}

// A pooling window as a generic: max over (kh, kw) of the input at (oh * 2 + kh, ...), the
// window sizes from a shape-only operand that is never loaded; the running maximum is loaded
// and stored in the innermost loop.

// CHECK-LABEL: func.func @max_pool(
// CHECK-SAME: %[[X:.*]]: memref<1x1x4x4xf32>, %[[WIN:.*]]: memref<2x2xf32>, %[[OUT:.*]]: memref<1x1x2x2xf32> {tessera.out}) {
// CHECK-NOT: memref.load %[[WIN]]
// CHECK-COUNT-6: scf.for
// CHECK-NEXT: %[[H:.*]] = affine.apply affine_map<(d0, d1) -> (((d0 * 2) + d1))> (%{{.*}}, %{{.*}})
// CHECK-NEXT: %[[W:.*]] = affine.apply affine_map<(d0, d1) -> (((d0 * 2) + d1))> (%{{.*}}, %{{.*}})
// CHECK-NEXT: %[[IN:.*]] = memref.load %[[X]][%{{.*}}, %{{.*}}, %[[H]], %[[W]]] : memref<1x1x4x4xf32>
// CHECK-NEXT: %[[ACC:.*]] = memref.load %[[OUT]][%{{.*}}] : memref<1x1x2x2xf32>
// CHECK-NEXT: %[[M:.*]] = arith.maximumf %[[ACC]], %[[IN]] : f32
// CHECK-NEXT: memref.store %[[M]], %[[OUT]][%{{.*}}] : memref<1x1x2x2xf32>
func.func @max_pool(%x: memref<1x1x4x4xf32>, %win: memref<2x2xf32>, %out: memref<1x1x2x2xf32> {tessera.out}) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%x, %win : memref<1x1x4x4xf32>, memref<2x2xf32>) outs(%out : memref<1x1x2x2xf32>) {
  ^bb0(%in: f32, %w: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  }
  func.return
}

// Affine `mod` is never negative, but lower-affine turns it into arith.remsi, which is for
// a negative dividend: (d0 - 1) mod 4 is rewritten (d0 + 3) mod 4, equal over d0 in [0, 4).
// A dividend that cannot be negative is left alone.

// CHECK-LABEL: func.func @roll(
// CHECK: affine.apply affine_map<(d0) -> (((d0 + 3) mod 4))>
// CHECK: affine.apply affine_map<(d0) -> (((d0 + 1) mod 4))>
func.func @roll(%x: memref<4xf32>, %out: memref<4xf32> {tessera.out}, %out2: memref<4xf32> {tessera.out}) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> ((d0 - 1) mod 4)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : memref<4xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> ((d0 + 1) mod 4)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : memref<4xf32>) outs(%out2 : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  func.return
}
