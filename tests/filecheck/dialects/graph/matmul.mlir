// RUN: tessera-opt %s | filecheck %s
// RUN: tessera-opt %s | tessera-opt | filecheck %s
// RUN: tessera-opt %s --print-op-generic | tessera-opt | filecheck %s

// graph.matmul: [..., M, K] x [..., K, N] -> [..., M, N], batch dimensions broadcast.

// CHECK-LABEL: func.func @plain(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>) -> tensor<4x5xf32> {
// CHECK-NEXT:    %0 = graph.matmul %a, %b : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
// CHECK-NEXT:    func.return %0 : tensor<4x5xf32>
func.func @plain(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>) -> tensor<4x5xf32> {
  %0 = graph.matmul %a, %b : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
  func.return %0 : tensor<4x5xf32>
}

// CHECK-LABEL: func.func @batched(%a: tensor<2x1x4x3xf64>, %b: tensor<7x3x1xf64>, %c: tensor<6x3x5xi8>, %d: tensor<5x2xi8>) -> tensor<2x7x4x1xf64> {
// CHECK-NEXT:    %0 = graph.matmul %a, %b : (tensor<2x1x4x3xf64>, tensor<7x3x1xf64>) -> tensor<2x7x4x1xf64>
// CHECK-NEXT:    %1 = graph.matmul %c, %d {origin = "x.tsr"} : (tensor<6x3x5xi8>, tensor<5x2xi8>) -> tensor<6x3x2xi8>
// CHECK-NEXT:    func.return %0 : tensor<2x7x4x1xf64>
func.func @batched(%a: tensor<2x1x4x3xf64>, %b: tensor<7x3x1xf64>, %c: tensor<6x3x5xi8>, %d: tensor<5x2xi8>) -> tensor<2x7x4x1xf64> {
  %0 = graph.matmul %a, %b : (tensor<2x1x4x3xf64>, tensor<7x3x1xf64>) -> tensor<2x7x4x1xf64>
  %1 = graph.matmul %c, %d {origin = "x.tsr"} : (tensor<6x3x5xi8>, tensor<5x2xi8>) -> tensor<6x3x2xi8>
  func.return %0 : tensor<2x7x4x1xf64>
}

// A location written in the text does not show in the printed form.
// CHECK-LABEL: func.func @located(%a: tensor<1x1xi32>) -> tensor<1x1xi32> {
// CHECK-NEXT:    %0 = graph.matmul %a, %a : (tensor<1x1xi32>, tensor<1x1xi32>) -> tensor<1x1xi32>
func.func @located(%a: tensor<1x1xi32>) -> tensor<1x1xi32> {
  %0 = graph.matmul %a, %a : (tensor<1x1xi32>, tensor<1x1xi32>) -> tensor<1x1xi32> loc("prog.tsr":3:9)
  func.return %0 : tensor<1x1xi32>
}
