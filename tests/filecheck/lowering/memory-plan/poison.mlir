// RUN: tessera-opt %s -p 'memory-plan{poison=true}' | filecheck %s

// poison=true (a test aid) fills a buffer's bytes with 0xFF just before the first op that
// touches it and just after the last one, so that reading it outside its interval (what a
// wrong plan would hand to another buffer) reads NaN or -1. Here `a` lives over the first
// two copies and `b` over the last two; they share bytes 0..63.

// CHECK-LABEL: func.func @chain(
// CHECK-NEXT:  %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64xi8>
// CHECK-NEXT:  %[[ONE:.*]] = arith.constant 1 : index
// CHECK-NEXT:  %[[FF:.*]] = arith.constant -1 : i8
// CHECK-NEXT:  arith.constant 0 : index
// CHECK-NEXT:  %[[A:.*]] = memref.view
// CHECK-NEXT:  arith.constant 0 : index
// CHECK-NEXT:  %[[B:.*]] = memref.view
// CHECK-NEXT:  %[[LO:.*]] = arith.constant 0 : index
// CHECK-NEXT:  %[[HI:.*]] = arith.constant 64 : index
// CHECK-NEXT:  scf.for %[[I:.*]] = %[[LO]] to %[[HI]] step %[[ONE]] {
// CHECK-NEXT:    memref.store %[[FF]], %[[ARENA]][%[[I]]] : memref<64xi8>
// CHECK-NEXT:  }
// CHECK-NEXT:  "memref.copy"(%{{.*}}, %[[A]])
// CHECK-NEXT:  "memref.copy"(%[[A]], %{{.*}})
// CHECK-NEXT:  arith.constant 0 : index
// CHECK-NEXT:  arith.constant 64 : index
// CHECK-NEXT:  scf.for
// CHECK-NEXT:    memref.store %[[FF]], %[[ARENA]]
// CHECK-NEXT:  }
// CHECK-NEXT:  arith.constant 0 : index
// CHECK-NEXT:  arith.constant 64 : index
// CHECK-NEXT:  scf.for
// CHECK-NEXT:    memref.store %[[FF]], %[[ARENA]]
// CHECK-NEXT:  }
// CHECK-NEXT:  "memref.copy"(%{{.*}}, %[[B]])
// CHECK-NEXT:  "memref.copy"(%[[B]], %{{.*}})
// CHECK-NEXT:  arith.constant 0 : index
// CHECK-NEXT:  arith.constant 64 : index
// CHECK-NEXT:  scf.for
// CHECK-NEXT:    memref.store %[[FF]], %[[ARENA]]
// CHECK-NEXT:  }
// CHECK-NEXT:  memref.dealloc %[[ARENA]] : memref<64xi8>
// CHECK-NEXT:  func.return
func.func @chain(%x: memref<16xf32>, %y: memref<16xf32>, %out: memref<16xf32> {tessera.out}) {
  %a = memref.alloc() : memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  "memref.copy"(%x, %a) : (memref<16xf32>, memref<16xf32>) -> ()
  "memref.copy"(%a, %y) : (memref<16xf32>, memref<16xf32>) -> ()
  "memref.copy"(%y, %b) : (memref<16xf32>, memref<16xf32>) -> ()
  "memref.copy"(%b, %out) : (memref<16xf32>, memref<16xf32>) -> ()
  memref.dealloc %a : memref<16xf32>
  memref.dealloc %b : memref<16xf32>
  func.return
}
