// RUN: tessera-opt %s -p graph-dce | filecheck %s
// RUN: tessera-opt %s -p dce | filecheck %s --check-prefix=XDSL

// A call whose results are unused goes when its callee has no side effects; a private
// function nothing calls any more goes with it. xDSL's dce keeps every call.

// @square stays: @main still calls it. @twice is only called by a dead call, and goes.
// CHECK:       func.func private @square(
// CHECK-NOT:   @twice
// CHECK-LABEL: func.func private @log_tensor(tensor<4xf32>) -> tensor<4xf32>
func.func private @square(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.mul %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
func.func private @twice(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @square(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = func.call @square(%0) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %1 : tensor<4xf32>
}

// A declaration's effects are unknown: calls of it, and of functions that call it, stay.
func.func private @log_tensor(tensor<4xf32>) -> tensor<4xf32>

// CHECK-LABEL: func.func private @logged(
// CHECK-NEXT:    func.call @log_tensor(
// CHECK-NEXT:    func.return
func.func private @logged(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @log_tensor(%x) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %x : tensor<4xf32>
}

// A function on a cycle of calls never returns (there is no control flow to stop it):
// calling it is not free of effects.
// CHECK-LABEL: func.func private @forever(
// CHECK-NEXT:    func.call @forever(
func.func private @forever(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @forever(%x) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// Unused private functions go, declarations and cycles included.
// CHECK-NOT:   @unused
func.func private @unused_declaration(tensor<4xf32>)
func.func private @unused_ping(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @unused_pong(%x) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
func.func private @unused_pong(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @unused_ping(%x) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @main(
// CHECK-SAME:      %[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT:    func.call @logged(%[[X]])
// CHECK-NEXT:    func.call @forever(%[[X]])
// CHECK-NEXT:    %[[S:.*]] = func.call @square(%[[X]])
// CHECK-NEXT:    func.return %[[S]]
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @twice(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = graph.relu %0 : tensor<4xf32> -> tensor<4xf32>
  %2 = func.call @logged(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %3 = func.call @forever(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %4 = func.call @square(%x) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %4 : tensor<4xf32>
}

// Public functions stay, called or not.
// CHECK-LABEL: func.func @public_unused(
func.func @public_unused(%x: tensor<4xf32>) -> tensor<4xf32> {
  func.return %x : tensor<4xf32>
}

// XDSL-LABEL: func.func @main(
// XDSL-NEXT:    func.call @twice(
// XDSL-NEXT:    func.call @logged(
