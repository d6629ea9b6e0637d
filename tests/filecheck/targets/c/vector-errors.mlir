// RUN: tessera-opt %s -t c --split-input-file --verify-diagnostics | filecheck %s

// What the C target cannot do with vectors and parallel loops is reported at the op.

// A parallel loop's iterations run concurrently: nothing can be carried from one to the next.
func.func @carried(%x: memref<8xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  // CHECK: vector-errors.mlir:[[# @LINE + 1]]:3: error: c target: a {tessera.parallel} scf.for cannot carry values (iter_args): its iterations run concurrently
  %sum = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
    %v = memref.load %x[%i] : memref<8xf32>
    %next = arith.addf %acc, %v : f32
    scf.yield %next : f32
  } {tessera.parallel}
  memref.store %sum, %out[] : memref<f32>
  func.return
}

// -----

// A constant offset is checked against the end of the buffer.
func.func @past_the_end(%m: memref<2x8xf32>) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  // CHECK: vector-errors.mlir:[[# @LINE + 1]]:3: error: c target: 'vector.load' of 8 lanes at element 12 is out of bounds of memref<2x8xf32>
  %v = vector.load %m[%c1, %c4] : memref<2x8xf32>, vector<8xf32>
  func.return
}

// -----

// GCC's vector types are a power of two bytes wide, and one-dimensional.
func.func @three_lanes(%m: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  // CHECK: vector-errors.mlir:[[# @LINE + 1]]:3: error: c target: unsupported type vector<3xf32>; only 1-D vectors of 2^k lanes
  %v = vector.load %m[%c0] : memref<8xf32>, vector<3xf32>
  func.return
}

// -----

func.func @two_dims(%m: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  // CHECK: vector-errors.mlir:[[# @LINE + 1]]:3: error: c target: unsupported type vector<2x4xf32>; only 1-D vectors of 2^k lanes
  %v = vector.load %m[%c0, %c0] : memref<4x8xf32>, vector<2x4xf32>
  func.return
}

// -----

// Vectors live in function bodies; they are never parameters.
// CHECK: vector-errors.mlir:[[# @LINE + 1]]:1: error: c target: unsupported type vector<8xf32>
func.func @parameter(%v: vector<8xf32>) {
  func.return
}

// -----

func.func @lane_out_of_range(%m: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %v = vector.load %m[%c0] : memref<8xf32>, vector<8xf32>
  // CHECK: vector-errors.mlir:[[# @LINE + 1]]:3: error: c target: lane 9 is not in vector<8xf32>
  %e = vector.extract %v[9] : f32 from vector<8xf32>
  memref.store %e, %m[%c0] : memref<8xf32>
  func.return
}

