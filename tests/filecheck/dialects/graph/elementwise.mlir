// RUN: tessera-opt %s | filecheck %s
// RUN: tessera-opt %s | tessera-opt | filecheck %s
// RUN: tessera-opt %s --print-op-generic | tessera-opt | filecheck %s

// Constants, the broadcasting binary ops and the unary ops print in their custom form,
// keep extra attributes, and survive a round trip through the custom and generic forms.

// CHECK-LABEL: func.func @constants() -> tensor<2x2xf32> {
// CHECK-NEXT:    %k = graph.constant dense<{{\[\[}}1.000000e+00, -2.500000e+00], [3.000000e+00, 2.500000e-01]]> : tensor<2x2xf32>
// CHECK-NEXT:    %s = graph.constant dense<7> : tensor<3xi32>
// CHECK-NEXT:    %z = graph.constant dense<1.500000e+00> : tensor<f64>
// CHECK-NEXT:    %i = graph.constant dense<[1, -128, 127]> : tensor<3xi8>
// CHECK-NEXT:    func.return %k : tensor<2x2xf32>
func.func @constants() -> tensor<2x2xf32> {
  %k = graph.constant dense<[[1.0, -2.5], [3.0, 0.25]]> : tensor<2x2xf32>
  %s = graph.constant dense<7> : tensor<3xi32>
  %z = graph.constant dense<1.5> : tensor<f64>
  %i = graph.constant dense<[1, -128, 127]> : tensor<3xi8>
  func.return %k : tensor<2x2xf32>
}

// CHECK-LABEL: func.func @binary(%a: tensor<4x3xf32>, %b: tensor<3xf32>, %s: tensor<f32>, %c: tensor<4x1xf32>) -> tensor<4x3xf32> {
// CHECK-NEXT:    %0 = graph.add %a, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    %1 = graph.sub %0, %s : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
// CHECK-NEXT:    %2 = graph.mul %c, %b : (tensor<4x1xf32>, tensor<3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    %3 = graph.div %1, %2 : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    %4 = graph.maximum %3, %s : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
// CHECK-NEXT:    %5 = graph.minimum %4, %c {note = "kept"} : (tensor<4x3xf32>, tensor<4x1xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    func.return %5 : tensor<4x3xf32>
func.func @binary(%a: tensor<4x3xf32>, %b: tensor<3xf32>, %s: tensor<f32>, %c: tensor<4x1xf32>) -> tensor<4x3xf32> {
  %0 = graph.add %a, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %1 = graph.sub %0, %s : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  %2 = graph.mul %c, %b : (tensor<4x1xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %3 = graph.div %1, %2 : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %4 = graph.maximum %3, %s : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  %5 = graph.minimum %4, %c {note = "kept"} : (tensor<4x3xf32>, tensor<4x1xf32>) -> tensor<4x3xf32>
  func.return %5 : tensor<4x3xf32>
}

// Both operands may broadcast at once; extent-1 against extent-0 gives 0.
// CHECK-LABEL: func.func @two_way(%a: tensor<2x1x5xi8>, %b: tensor<3x1xi8>, %e: tensor<0x1xf64>, %f: tensor<7xf64>) -> tensor<2x3x5xi8> {
// CHECK-NEXT:    %0 = graph.div %a, %b : (tensor<2x1x5xi8>, tensor<3x1xi8>) -> tensor<2x3x5xi8>
// CHECK-NEXT:    %1 = graph.add %e, %f : (tensor<0x1xf64>, tensor<7xf64>) -> tensor<0x7xf64>
// CHECK-NEXT:    %2 = graph.sub %b, %b : (tensor<3x1xi8>, tensor<3x1xi8>) -> tensor<3x1xi8>
// CHECK-NEXT:    func.return %0 : tensor<2x3x5xi8>
func.func @two_way(%a: tensor<2x1x5xi8>, %b: tensor<3x1xi8>, %e: tensor<0x1xf64>, %f: tensor<7xf64>) -> tensor<2x3x5xi8> {
  %0 = graph.div %a, %b : (tensor<2x1x5xi8>, tensor<3x1xi8>) -> tensor<2x3x5xi8>
  %1 = graph.add %e, %f : (tensor<0x1xf64>, tensor<7xf64>) -> tensor<0x7xf64>
  %2 = graph.sub %b, %b : (tensor<3x1xi8>, tensor<3x1xi8>) -> tensor<3x1xi8>
  func.return %0 : tensor<2x3x5xi8>
}

// neg and relu accept integers; the others need floats.
// CHECK-LABEL: func.func @unary(%x: tensor<2x3xf32>, %i: tensor<5xi32>) -> tensor<2x3xf32> {
// CHECK-NEXT:    %0 = graph.neg %x : tensor<2x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    %1 = graph.relu %0 : tensor<2x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    %2 = graph.sigmoid %1 : tensor<2x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    %3 = graph.tanh %2 : tensor<2x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    %4 = graph.exp %3 : tensor<2x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    %5 = graph.log %4 : tensor<2x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    %6 = graph.sqrt %5 {tag} : tensor<2x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    %7 = graph.neg %i : tensor<5xi32> -> tensor<5xi32>
// CHECK-NEXT:    %8 = graph.relu %7 : tensor<5xi32> -> tensor<5xi32>
// CHECK-NEXT:    func.return %6 : tensor<2x3xf32>
func.func @unary(%x: tensor<2x3xf32>, %i: tensor<5xi32>) -> tensor<2x3xf32> {
  %0 = graph.neg %x : tensor<2x3xf32> -> tensor<2x3xf32>
  %1 = graph.relu %0 : tensor<2x3xf32> -> tensor<2x3xf32>
  %2 = graph.sigmoid %1 : tensor<2x3xf32> -> tensor<2x3xf32>
  %3 = graph.tanh %2 : tensor<2x3xf32> -> tensor<2x3xf32>
  %4 = graph.exp %3 : tensor<2x3xf32> -> tensor<2x3xf32>
  %5 = graph.log %4 : tensor<2x3xf32> -> tensor<2x3xf32>
  %6 = graph.sqrt %5 {tag} : tensor<2x3xf32> -> tensor<2x3xf32>
  %7 = graph.neg %i : tensor<5xi32> -> tensor<5xi32>
  %8 = graph.relu %7 : tensor<5xi32> -> tensor<5xi32>
  func.return %6 : tensor<2x3xf32>
}
