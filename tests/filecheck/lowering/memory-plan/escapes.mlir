// RUN: tessera-opt %s -p memory-plan | filecheck %s

// Only buffers the pass can see the whole life of are planned. Out-parameters are the
// caller's and are never touched; a buffer that is returned, passed to a function with no
// body (which might keep it), carried into a loop, allocated inside a loop or of dynamic
// size keeps its own allocation, and its dealloc.

// CHECK-LABEL: func.func @out_param(
// CHECK-SAME:  %[[X:.*]]: memref<8xf32>, %[[OUT:.*]]: memref<8xf32> {tessera.out})
// CHECK-SAME:  attributes {tessera.memory = {peak = 32 : i64, unplanned = 32 : i64, arena = 32 : i64, buffers = 1 : i64}} {
// CHECK-NEXT:  %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<32xi8>
// CHECK-NEXT:  %[[O:.*]] = arith.constant 0 : index
// CHECK-NEXT:  %[[T:.*]] = memref.view %[[ARENA]][%[[O]]][] : memref<32xi8> to memref<8xf32>
// CHECK-NEXT:  "memref.copy"(%[[X]], %[[T]])
// CHECK-NEXT:  "memref.copy"(%[[T]], %[[OUT]])
// CHECK-NEXT:  memref.dealloc %[[ARENA]] : memref<32xi8>
// CHECK-NEXT:  func.return
func.func @out_param(%x: memref<8xf32>, %out: memref<8xf32> {tessera.out}) {
  %t = memref.alloc() : memref<8xf32>
  "memref.copy"(%x, %t) : (memref<8xf32>, memref<8xf32>) -> ()
  "memref.copy"(%t, %out) : (memref<8xf32>, memref<8xf32>) -> ()
  memref.dealloc %t : memref<8xf32>
  func.return
}

func.func private @keep(memref<8xf32>)

// A function with nothing to plan gets no arena, only its figures: here the returned
// buffer, the one an external function might keep, and the one carried by the loop, each
// counted from its alloc to its dealloc (or the end), in both figures.

// CHECK-LABEL: func.func @escaping(
// CHECK-SAME:  attributes {tessera.memory = {peak = 96 : i64, unplanned = 96 : i64, arena = 0 : i64, buffers = 0 : i64}} {
// CHECK-NEXT:  %[[R:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT:  %[[K:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT:  func.call @keep(%[[K]])
// CHECK-NEXT:  %[[L:.*]] = memref.alloc() : memref<8xf32>
// CHECK:       scf.for {{.*}} iter_args({{.*}} = %[[L]])
// CHECK:       memref.dealloc %[[K]] : memref<8xf32>
// CHECK-NEXT:  memref.dealloc %[[L]] : memref<8xf32>
// CHECK-NEXT:  func.return %[[R]] : memref<8xf32>
func.func @escaping(%x: memref<8xf32>) -> memref<8xf32> {
  %r = memref.alloc() : memref<8xf32>
  %k = memref.alloc() : memref<8xf32>
  func.call @keep(%k) : (memref<8xf32>) -> ()
  %l = memref.alloc() : memref<8xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %final = scf.for %i = %c0 to %c4 step %c1 iter_args(%m = %l) -> (memref<8xf32>) {
    scf.yield %m : memref<8xf32>
  }
  "memref.copy"(%x, %r) : (memref<8xf32>, memref<8xf32>) -> ()
  memref.dealloc %k : memref<8xf32>
  memref.dealloc %l : memref<8xf32>
  func.return %r : memref<8xf32>
}

// A buffer allocated in a loop body (one per iteration) and one of dynamic size are left
// where they are and counted in neither figure; the static top-level one is planned.

// CHECK-LABEL: func.func @left_alone(
// CHECK-SAME:  attributes {tessera.memory = {peak = 16 : i64, unplanned = 16 : i64, arena = 16 : i64, buffers = 1 : i64}} {
// CHECK-NEXT:  %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16xi8>
// CHECK:       memref.view %[[ARENA]]{{.*}} to memref<4xf32>
// CHECK:       scf.for
// CHECK-NEXT:    %[[INNER:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT:    memref.dealloc %[[INNER]] : memref<4xf32>
// CHECK:       %[[DYN:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NEXT:  memref.dealloc %[[DYN]] : memref<?xf32>
// CHECK-NEXT:  "memref.copy"
// CHECK-NEXT:  memref.dealloc %[[ARENA]] : memref<16xi8>
// CHECK-NEXT:  func.return
func.func @left_alone(%x: memref<4xf32>, %n: index, %out: memref<4xf32> {tessera.out}) {
  %t = memref.alloc() : memref<4xf32>
  "memref.copy"(%x, %t) : (memref<4xf32>, memref<4xf32>) -> ()
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %inner = memref.alloc() : memref<4xf32>
    memref.dealloc %inner : memref<4xf32>
  }
  %dyn = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %dyn : memref<?xf32>
  "memref.copy"(%t, %out) : (memref<4xf32>, memref<4xf32>) -> ()
  memref.dealloc %t : memref<4xf32>
  func.return
}
