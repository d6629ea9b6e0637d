// EXPECT: parse-undefined-value.mlir:7:1
// EXPECT-LAST: values used but not defined: [%b]
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.relu %b : tensor<4xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
