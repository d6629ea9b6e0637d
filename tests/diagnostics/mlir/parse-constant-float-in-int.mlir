// EXPECT: parse-constant-float-in-int.mlir:4:30
// EXPECT-LAST: Expected integer value
func.func @f() -> tensor<2xi32> {
  %0 = graph.constant dense<[1.5, 2.5]> : tensor<2xi32>
  func.return %0 : tensor<2xi32>
}
