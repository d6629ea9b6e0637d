// RUN: tessera-opt %s -p linalg-to-loops | filecheck %s
// RUN: tessera-opt %s -p 'linalg-to-loops{lower_copies=false}' | filecheck %s --check-prefix=KEEP

// memref.copy (from bufferize) becomes a loop nest of loads and stores, unless
// lower_copies=false leaves it for the target.

// CHECK-LABEL: func.func @copies(
// CHECK-SAME: %[[X:.*]]: memref<2x3xf32>, %[[S:.*]]: memref<i8>, %[[OUT:.*]]: memref<2x3xf32> {tessera.out}, %[[OUT1:.*]]: memref<i8> {tessera.out}) {
// CHECK-NEXT: %[[LB:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[STEP:.*]] = arith.constant 1 : index
// CHECK-NEXT: %[[B0:.*]] = arith.constant 2 : index
// CHECK-NEXT: %[[B1:.*]] = arith.constant 3 : index
// CHECK-NEXT: scf.for %[[I:.*]] = %[[LB]] to %[[B0]] step %[[STEP]] {
// CHECK-NEXT: scf.for %[[J:.*]] = %[[LB]] to %[[B1]] step %[[STEP]] {
// CHECK-NEXT: %[[V:.*]] = memref.load %[[X]][%[[I]], %[[J]]] : memref<2x3xf32>
// CHECK-NEXT: memref.store %[[V]], %[[OUT]][%[[I]], %[[J]]] : memref<2x3xf32>
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: %[[W:.*]] = memref.load %[[S]][] : memref<i8>
// CHECK-NEXT: memref.store %[[W]], %[[OUT1]][] : memref<i8>
// CHECK-NEXT: func.return

// KEEP-LABEL: func.func @copies(
// KEEP-NEXT: "memref.copy"
// KEEP-NEXT: "memref.copy"
// KEEP-NEXT: func.return
func.func @copies(%x: memref<2x3xf32>, %s: memref<i8>, %out: memref<2x3xf32> {tessera.out}, %out1: memref<i8> {tessera.out}) {
  "memref.copy"(%x, %out) : (memref<2x3xf32>, memref<2x3xf32>) -> ()
  "memref.copy"(%s, %out1) : (memref<i8>, memref<i8>) -> ()
  func.return
}
