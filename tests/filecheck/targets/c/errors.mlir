// RUN: tessera-opt %s -t c --split-input-file --verify-diagnostics | filecheck %s
// RUN: not tessera-opt %s -t c 2>&1 | filecheck %s --check-prefix=EXIT

// What C cannot express is reported at the op, with the source line and a caret.

// CHECK: errors.mlir:[[# @LINE + 4]]:3: error: c target: cannot emit 'scf.while'
func.func @loop(%n: i32) {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %r = scf.while (%i = %c0) : (i32) -> i32 {
    %more = arith.cmpi slt, %i, %n : i32
    scf.condition(%more) %i : i32
  } do {
  ^bb0(%i: i32):
    %next = arith.addi %i, %c1 : i32
    scf.yield %next : i32
  }
  func.return
}

// -----

// Without --verify-diagnostics the first error ends the run: one message, exit code 1.
// EXIT:      errors.mlir:[[# @LINE + 5]]:1: error: c target: @returns returns values; only functions that return nothing can be emitted (results become {tessera.out} arguments)
// EXIT-NEXT: {{^}}func.func @returns(%x: f32) -> f32 {
// EXIT-NEXT: {{^}}^
// EXIT-NOT:  Traceback
// CHECK: errors.mlir:[[# @LINE + 1]]:1: error: c target: @returns returns values; only functions that return nothing can be emitted (results become {tessera.out} arguments)
func.func @returns(%x: f32) -> f32 {
  func.return %x : f32
}

// -----

// CHECK: errors.mlir:[[# @LINE + 1]]:1: error: c target: memref<?xf32> has a dynamic shape; only static shapes
func.func @dynamic(%x: memref<?xf32>) {
  func.return
}

// -----

// CHECK: errors.mlir:[[# @LINE + 1]]:1: error: c target: unsupported type f16
func.func @half(%x: f16, %out: memref<f16>) {
  %y = arith.addf %x, %x : f16
  func.return
}

// -----

func.func @twice(%a: memref<4xf32>, %b: memref<4xf32>) {
  "memref.copy"(%a, %b) : (memref<4xf32>, memref<4xf32>) -> ()
  func.return
}
// CHECK: errors.mlir:[[# @LINE + 2]]:3: error: c target: call to @twice passes one buffer as arguments 0 and 1, and writes it (parameters are restrict)
func.func @aliasing(%a: memref<4xf32>) {
  func.call @twice(%a, %a) : (memref<4xf32>, memref<4xf32>) -> ()
  func.return
}

// -----

"memref.global"() <{sym_name = "table", sym_visibility = "private", type = memref<2xi32>, initial_value = dense<[1, 2]> : tensor<2xi32>, constant}> : () -> ()
// CHECK: errors.mlir:[[# @LINE + 5]]:3: error: c target: writes to the constant memref.global @table
func.func @write_constant() {
  %c0 = arith.constant 0 : index
  %c7 = arith.constant 7 : i32
  %t = memref.get_global @table : memref<2xi32>
  memref.store %c7, %t[%c0] : memref<2xi32>
  func.return
}
