// RUN: tessera-opt %s -p 'memory-plan{reuse=false}' | filecheck %s

// reuse=false still builds the arena but gives every buffer bytes of its own, in program
// order, 64-byte aligned: the same chain as in plan.mlir needs all three slots. The figures
// are still recorded; the planned peak is now the sum of the (rounded) sizes.

// CHECK-LABEL: func.func @chain(
// CHECK-SAME:  attributes {tessera.memory = {peak = 256 : i64, unplanned = 228 : i64, arena = 256 : i64, buffers = 3 : i64}} {
// CHECK-NEXT:  %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<256xi8>
// CHECK-NEXT:  %[[OA:.*]] = arith.constant 0 : index
// CHECK-NEXT:  %{{.*}} = memref.view %[[ARENA]][%[[OA]]][] : memref<256xi8> to memref<16xf32>
// CHECK-NEXT:  %[[OB:.*]] = arith.constant 64 : index
// CHECK-NEXT:  %{{.*}} = memref.view %[[ARENA]][%[[OB]]][] : memref<256xi8> to memref<25xf32>
// CHECK-NEXT:  %[[OC:.*]] = arith.constant 192 : index
// CHECK-NEXT:  %{{.*}} = memref.view %[[ARENA]][%[[OC]]][] : memref<256xi8> to memref<16xf32>
// CHECK-NOT:   memref.alloc
// CHECK:       memref.dealloc %[[ARENA]] : memref<256xi8>
// CHECK-NEXT:  func.return
func.func @chain(%x: memref<16xf32>, %out: memref<16xf32> {tessera.out}) {
  %a = memref.alloc() : memref<16xf32>
  %b = memref.alloc() : memref<25xf32>
  %c = memref.alloc() : memref<16xf32>
  "memref.copy"(%x, %a) : (memref<16xf32>, memref<16xf32>) -> ()
  %c0 = arith.constant 0 : index
  %v = memref.load %a[%c0] : memref<16xf32>
  memref.store %v, %b[%c0] : memref<25xf32>
  %w = memref.load %b[%c0] : memref<25xf32>
  memref.store %w, %c[%c0] : memref<16xf32>
  "memref.copy"(%c, %out) : (memref<16xf32>, memref<16xf32>) -> ()
  memref.dealloc %a : memref<16xf32>
  memref.dealloc %b : memref<25xf32>
  memref.dealloc %c : memref<16xf32>
  func.return
}
