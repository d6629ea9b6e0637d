// RUN: tessera-opt %s -p memory-plan | filecheck %s

// A chain a -> b -> c of 64-byte buffers: a and c are never live at once, so they share
// bytes; b overlaps both. The largest-first, best-fit placement puts a at 0, b after it,
// and c in the gap a left. The arena is their planned peak; the three allocations and their
// deallocs become views of it, at the places the allocations were.

// CHECK-LABEL: func.func @chain(
// CHECK-SAME:  %[[X:.*]]: memref<16xf32>, %[[OUT:.*]]: memref<16xf32> {tessera.out})
// CHECK-SAME:  attributes {tessera.memory = {peak = 128 : i64, unplanned = 192 : i64, arena = 128 : i64, buffers = 3 : i64}} {
// CHECK-NEXT:  %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK-NEXT:  %[[OA:.*]] = arith.constant 0 : index
// CHECK-NEXT:  %[[A:.*]] = memref.view %[[ARENA]][%[[OA]]][] : memref<128xi8> to memref<16xf32>
// CHECK-NEXT:  %[[OB:.*]] = arith.constant 64 : index
// CHECK-NEXT:  %[[B:.*]] = memref.view %[[ARENA]][%[[OB]]][] : memref<128xi8> to memref<16xf32>
// CHECK-NEXT:  %[[OC:.*]] = arith.constant 0 : index
// CHECK-NEXT:  %[[C:.*]] = memref.view %[[ARENA]][%[[OC]]][] : memref<128xi8> to memref<16xf32>
// CHECK-NEXT:  "memref.copy"(%[[X]], %[[A]])
// CHECK-NEXT:  "memref.copy"(%[[A]], %[[B]])
// CHECK-NEXT:  "memref.copy"(%[[B]], %[[C]])
// CHECK-NEXT:  "memref.copy"(%[[C]], %[[OUT]])
// CHECK-NEXT:  memref.dealloc %[[ARENA]] : memref<128xi8>
// CHECK-NEXT:  func.return
func.func @chain(%x: memref<16xf32>, %out: memref<16xf32> {tessera.out}) {
  %a = memref.alloc() : memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  %c = memref.alloc() : memref<16xf32>
  "memref.copy"(%x, %a) : (memref<16xf32>, memref<16xf32>) -> ()
  "memref.copy"(%a, %b) : (memref<16xf32>, memref<16xf32>) -> ()
  "memref.copy"(%b, %c) : (memref<16xf32>, memref<16xf32>) -> ()
  "memref.copy"(%c, %out) : (memref<16xf32>, memref<16xf32>) -> ()
  memref.dealloc %a : memref<16xf32>
  memref.dealloc %b : memref<16xf32>
  memref.dealloc %c : memref<16xf32>
  func.return
}

// Sizes round up to 64 bytes. The 256-byte buffer is placed first; the 4-byte one is live
// with it and goes after it; the 100-byte one (128 in the arena) is live with the small one
// only, so it takes the large one's bytes, the best fit below the small one.
// `unplanned` counts the exact sizes, all live at once until the deallocs.

// CHECK-LABEL: func.func @sizes(
// CHECK-SAME:  attributes {tessera.memory = {peak = 260 : i64, unplanned = 360 : i64, arena = 260 : i64, buffers = 3 : i64}} {
// CHECK-NEXT:  %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<260xi8>
// CHECK-NEXT:  %[[OS:.*]] = arith.constant 256 : index
// CHECK-NEXT:  %{{.*}} = memref.view %[[ARENA]][%[[OS]]][] : memref<260xi8> to memref<i32>
// CHECK-NEXT:  %[[OL:.*]] = arith.constant 0 : index
// CHECK-NEXT:  %{{.*}} = memref.view %[[ARENA]][%[[OL]]][] : memref<260xi8> to memref<64xf32>
// CHECK:       %[[OM:[0-9]+]] = arith.constant 0 : index
// CHECK-NEXT:  %{{.*}} = memref.view %[[ARENA]][%[[OM]]][] : memref<260xi8> to memref<100xi8>
func.func @sizes(%x: memref<64xf32>, %out: memref<100xi8> {tessera.out}) {
  %small = memref.alloc() : memref<i32>
  %large = memref.alloc() : memref<64xf32>
  "memref.copy"(%x, %large) : (memref<64xf32>, memref<64xf32>) -> ()
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %v = memref.load %large[%c0] : memref<64xf32>
  %i = arith.fptosi %v : f32 to i32
  memref.store %i, %small[] : memref<i32>
  %u = memref.load %large[%c1] : memref<64xf32>
  %mid = memref.alloc() : memref<100xi8>
  %j = arith.fptosi %u : f32 to i8
  memref.store %j, %mid[%c1] : memref<100xi8>
  %w = memref.load %small[] : memref<i32>
  %t = arith.trunci %w : i32 to i8
  memref.store %t, %mid[%c0] : memref<100xi8>
  "memref.copy"(%mid, %out) : (memref<100xi8>, memref<100xi8>) -> ()
  memref.dealloc %small : memref<i32>
  memref.dealloc %large : memref<64xf32>
  memref.dealloc %mid : memref<100xi8>
  func.return
}

// An op nested in a loop counts at the loop: `a` is read and `b` written inside the same
// top-level scf.for, so they are live together even though `a`'s last read comes before
// `b`'s first write in the body.

// CHECK-LABEL: func.func @loop(
// CHECK-SAME:  attributes {tessera.memory = {peak = 128 : i64, unplanned = 128 : i64, arena = 128 : i64, buffers = 2 : i64}} {
// CHECK:       arith.constant 0 : index
// CHECK-NEXT:  memref.view {{.*}} to memref<16xf32>
// CHECK-NEXT:  %[[OB:.*]] = arith.constant 64 : index
// CHECK-NEXT:  memref.view %{{.*}}[%[[OB]]][] : memref<128xi8> to memref<16xf32>
func.func @loop(%x: memref<16xf32>, %out: memref<16xf32> {tessera.out}) {
  %a = memref.alloc() : memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  "memref.copy"(%x, %a) : (memref<16xf32>, memref<16xf32>) -> ()
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %a[%i] : memref<16xf32>
    memref.store %v, %b[%i] : memref<16xf32>
  }
  "memref.copy"(%b, %out) : (memref<16xf32>, memref<16xf32>) -> ()
  memref.dealloc %a : memref<16xf32>
  memref.dealloc %b : memref<16xf32>
  func.return
}
