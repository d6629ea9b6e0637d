// RUN: tessera-opt %s | filecheck %s
// RUN: tessera-opt %s | tessera-opt | filecheck %s
// RUN: tessera-opt %s --print-op-generic | tessera-opt | filecheck %s

// graph.slice, graph.pad and graph.step: printed, parsed back and verified.

// A slice reads input[start + i * stride] per dimension; a negative stride walks down (a
// stride of -1 from the last index reverses the dimension), and a rank-0 slice is empty.
// CHECK-LABEL: func.func @slice(%x: tensor<4x6xf32>, %s: tensor<i32>) -> tensor<2x3xf32> {
// CHECK-NEXT:    %0 = graph.slice %x {starts = array<i64: 1, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 2, 2>} : tensor<4x6xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    %1 = graph.slice %x {starts = array<i64: 3, 5>, sizes = array<i64: 4, 6>, strides = array<i64: -1, -1>} : tensor<4x6xf32> -> tensor<4x6xf32>
// CHECK-NEXT:    %2 = graph.slice %x {starts = array<i64: 0, 4>, sizes = array<i64: 1, 3>, strides = array<i64: 1, -2>} : tensor<4x6xf32> -> tensor<1x3xf32>
// CHECK-NEXT:    %3 = graph.slice %s {starts = array<i64>, sizes = array<i64>, strides = array<i64>} : tensor<i32> -> tensor<i32>
// CHECK-NEXT:    func.return %0 : tensor<2x3xf32>
func.func @slice(%x: tensor<4x6xf32>, %s: tensor<i32>) -> tensor<2x3xf32> {
  %0 = graph.slice %x {starts = array<i64: 1, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 2, 2>} : tensor<4x6xf32> -> tensor<2x3xf32>
  %1 = graph.slice %x {starts = array<i64: 3, 5>, sizes = array<i64: 4, 6>, strides = array<i64: -1, -1>} : tensor<4x6xf32> -> tensor<4x6xf32>
  %2 = graph.slice %x {starts = array<i64: 0, 4>, sizes = array<i64: 1, 3>, strides = array<i64: 1, -2>} : tensor<4x6xf32> -> tensor<1x3xf32>
  %3 = graph.slice %s {starts = array<i64>, sizes = array<i64>, strides = array<i64>} : tensor<i32> -> tensor<i32>
  func.return %0 : tensor<2x3xf32>
}

// Result extent = low + high + size + (size - 1) * interior; a dimension of one element
// has no interior.
// CHECK-LABEL: func.func @pad(%x: tensor<3x1xi8>) -> tensor<8x4xi8> {
// CHECK-NEXT:    %0 = graph.pad %x {low = array<i64: 1, 2>, high = array<i64: 2, 1>, interior = array<i64: 1, 5>} : tensor<3x1xi8> -> tensor<8x4xi8>
// CHECK-NEXT:    %1 = graph.pad %x {low = array<i64: 0, 0>, high = array<i64: 0, 0>, interior = array<i64: 0, 0>} : tensor<3x1xi8> -> tensor<3x1xi8>
// CHECK-NEXT:    func.return %0 : tensor<8x4xi8>
func.func @pad(%x: tensor<3x1xi8>) -> tensor<8x4xi8> {
  %0 = graph.pad %x {low = array<i64: 1, 2>, high = array<i64: 2, 1>, interior = array<i64: 1, 5>} : tensor<3x1xi8> -> tensor<8x4xi8>
  %1 = graph.pad %x {low = array<i64: 0, 0>, high = array<i64: 0, 0>, interior = array<i64: 0, 0>} : tensor<3x1xi8> -> tensor<3x1xi8>
  func.return %0 : tensor<8x4xi8>
}

// graph.step takes float and integer tensors and keeps their type.
// CHECK-LABEL: func.func @step(%x: tensor<2x3xf64>, %y: tensor<5xi32>) -> (tensor<2x3xf64>, tensor<5xi32>) {
// CHECK-NEXT:    %0 = graph.step %x : tensor<2x3xf64> -> tensor<2x3xf64>
// CHECK-NEXT:    %1 = graph.step %y : tensor<5xi32> -> tensor<5xi32>
// CHECK-NEXT:    func.return %0, %1 : tensor<2x3xf64>, tensor<5xi32>
func.func @step(%x: tensor<2x3xf64>, %y: tensor<5xi32>) -> (tensor<2x3xf64>, tensor<5xi32>) {
  %0 = graph.step %x : tensor<2x3xf64> -> tensor<2x3xf64>
  %1 = graph.step %y : tensor<5xi32> -> tensor<5xi32>
  func.return %0, %1 : tensor<2x3xf64>, tensor<5xi32>
}
