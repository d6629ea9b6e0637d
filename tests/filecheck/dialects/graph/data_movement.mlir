// RUN: tessera-opt %s | filecheck %s
// RUN: tessera-opt %s | tessera-opt | filecheck %s
// RUN: tessera-opt %s --print-op-generic | tessera-opt | filecheck %s

// graph.transpose, graph.reshape, graph.broadcast_to and graph.concat.

// CHECK-LABEL: func.func @transpose(%x: tensor<2x3x5xf32>, %s: tensor<i8>) -> tensor<5x2x3xf32> {
// CHECK-NEXT:    %0 = graph.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<2x3x5xf32> -> tensor<5x2x3xf32>
// CHECK-NEXT:    %1 = graph.transpose %x {perm = array<i64: 0, 1, 2>} : tensor<2x3x5xf32> -> tensor<2x3x5xf32>
// CHECK-NEXT:    %2 = graph.transpose %s {perm = array<i64>} : tensor<i8> -> tensor<i8>
// CHECK-NEXT:    func.return %0 : tensor<5x2x3xf32>
func.func @transpose(%x: tensor<2x3x5xf32>, %s: tensor<i8>) -> tensor<5x2x3xf32> {
  %0 = graph.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<2x3x5xf32> -> tensor<5x2x3xf32>
  %1 = graph.transpose %x {perm = array<i64: 0, 1, 2>} : tensor<2x3x5xf32> -> tensor<2x3x5xf32>
  %2 = graph.transpose %s {perm = array<i64>} : tensor<i8> -> tensor<i8>
  func.return %0 : tensor<5x2x3xf32>
}

// CHECK-LABEL: func.func @reshape(%x: tensor<2x3x5xf32>, %s: tensor<i32>) -> tensor<6x5xf32> {
// CHECK-NEXT:    %0 = graph.reshape %x : tensor<2x3x5xf32> -> tensor<6x5xf32>
// CHECK-NEXT:    %1 = graph.reshape %x : tensor<2x3x5xf32> -> tensor<30xf32>
// CHECK-NEXT:    %2 = graph.reshape %s : tensor<i32> -> tensor<1x1xi32>
// CHECK-NEXT:    %3 = graph.reshape %2 : tensor<1x1xi32> -> tensor<i32>
// CHECK-NEXT:    func.return %0 : tensor<6x5xf32>
func.func @reshape(%x: tensor<2x3x5xf32>, %s: tensor<i32>) -> tensor<6x5xf32> {
  %0 = graph.reshape %x : tensor<2x3x5xf32> -> tensor<6x5xf32>
  %1 = graph.reshape %x : tensor<2x3x5xf32> -> tensor<30xf32>
  %2 = graph.reshape %s : tensor<i32> -> tensor<1x1xi32>
  %3 = graph.reshape %2 : tensor<1x1xi32> -> tensor<i32>
  func.return %0 : tensor<6x5xf32>
}

// CHECK-LABEL: func.func @broadcast(%x: tensor<3x1xf64>, %s: tensor<i8>) -> tensor<2x3x4xf64> {
// CHECK-NEXT:    %0 = graph.broadcast_to %x : tensor<3x1xf64> -> tensor<2x3x4xf64>
// CHECK-NEXT:    %1 = graph.broadcast_to %s : tensor<i8> -> tensor<7x2xi8>
// CHECK-NEXT:    %2 = graph.broadcast_to %x : tensor<3x1xf64> -> tensor<3x1xf64>
// CHECK-NEXT:    func.return %0 : tensor<2x3x4xf64>
func.func @broadcast(%x: tensor<3x1xf64>, %s: tensor<i8>) -> tensor<2x3x4xf64> {
  %0 = graph.broadcast_to %x : tensor<3x1xf64> -> tensor<2x3x4xf64>
  %1 = graph.broadcast_to %s : tensor<i8> -> tensor<7x2xi8>
  %2 = graph.broadcast_to %x : tensor<3x1xf64> -> tensor<3x1xf64>
  func.return %0 : tensor<2x3x4xf64>
}

// CHECK-LABEL: func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %c: tensor<2x1xf32>) -> tensor<2x9xf32> {
// CHECK-NEXT:    %0 = graph.concat %a, %b, %c {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x9xf32>
// CHECK-NEXT:    %1 = graph.concat %a, %a {axis = -2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    %2 = graph.concat %c {axis = 0 : i64} : (tensor<2x1xf32>) -> tensor<2x1xf32>
// CHECK-NEXT:    func.return %0 : tensor<2x9xf32>
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %c: tensor<2x1xf32>) -> tensor<2x9xf32> {
  %0 = graph.concat %a, %b, %c {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x9xf32>
  %1 = graph.concat %a, %a {axis = -2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %2 = graph.concat %c {axis = 0 : i64} : (tensor<2x1xf32>) -> tensor<2x1xf32>
  func.return %0 : tensor<2x9xf32>
}
