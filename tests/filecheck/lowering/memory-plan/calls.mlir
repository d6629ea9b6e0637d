// RUN: tessera-opt %s -p memory-plan | filecheck %s
// RUN: tessera-opt %s -p memory-plan,memory-plan | filecheck %s

// A buffer passed to a function defined in the module is in use during the call only
// (bufferized functions write their results into out-parameters and keep nothing), so it
// is planned like any other; the callee plans its own buffers in its own arena. The
// caller's figures include the callee's, at the call: its peak is its arena (128) plus the
// callee's peak (256); without reuse, %h and %s (160 bytes) are live across the call that
// needs 256 more. A second run leaves planned functions as they are.

// CHECK-LABEL: func.func @caller(
// CHECK-SAME:  %[[X:.*]]: memref<32xf32>, %[[OUT:.*]]: memref<8xf32> {tessera.out})
// CHECK-SAME:  attributes {tessera.memory = {peak = 384 : i64, unplanned = 416 : i64, arena = 128 : i64, buffers = 2 : i64}} {
// CHECK-NEXT:  %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK-NEXT:  %[[OH:.*]] = arith.constant 0 : index
// CHECK-NEXT:  %[[H:.*]] = memref.view %[[ARENA]][%[[OH]]][] : memref<128xi8> to memref<32xf32>
// CHECK-NEXT:  %[[OS:.*]] = arith.constant 0 : index
// CHECK-NEXT:  %[[S:.*]] = memref.view %[[ARENA]][%[[OS]]][] : memref<128xi8> to memref<8xf32>
// CHECK-NEXT:  func.call @callee(%[[X]], %[[H]])
// CHECK-NOT:   memref.alloc
// CHECK:       memref.dealloc %[[ARENA]] : memref<128xi8>
// CHECK-NEXT:  func.return
func.func @caller(%x: memref<32xf32>, %out: memref<8xf32> {tessera.out}) {
  %h = memref.alloc() : memref<32xf32>
  %s = memref.alloc() : memref<8xf32>
  func.call @callee(%x, %h) : (memref<32xf32>, memref<32xf32>) -> ()
  %c0 = arith.constant 0 : index
  %v = memref.load %h[%c0] : memref<32xf32>
  memref.store %v, %s[%c0] : memref<8xf32>
  "memref.copy"(%s, %out) : (memref<8xf32>, memref<8xf32>) -> ()
  memref.dealloc %h : memref<32xf32>
  memref.dealloc %s : memref<8xf32>
  func.return
}

// CHECK-LABEL: func.func @callee(
// CHECK-SAME:  attributes {tessera.memory = {peak = 256 : i64, unplanned = 256 : i64, arena = 256 : i64, buffers = 2 : i64}} {
// CHECK-NEXT:  %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<256xi8>
// CHECK-NEXT:  %[[OT:.*]] = arith.constant 0 : index
// CHECK-NEXT:  memref.view %[[ARENA]][%[[OT]]][] : memref<256xi8> to memref<32xf32>
// CHECK-NEXT:  %[[OU:.*]] = arith.constant 128 : index
// CHECK-NEXT:  memref.view %[[ARENA]][%[[OU]]][] : memref<256xi8> to memref<32xf32>
func.func @callee(%x: memref<32xf32>, %out: memref<32xf32> {tessera.out}) {
  %t = memref.alloc() : memref<32xf32>
  %u = memref.alloc() : memref<32xf32>
  "memref.copy"(%x, %t) : (memref<32xf32>, memref<32xf32>) -> ()
  "memref.copy"(%t, %u) : (memref<32xf32>, memref<32xf32>) -> ()
  "memref.copy"(%u, %out) : (memref<32xf32>, memref<32xf32>) -> ()
  memref.dealloc %t : memref<32xf32>
  memref.dealloc %u : memref<32xf32>
  func.return
}
