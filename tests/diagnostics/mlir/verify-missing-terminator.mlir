// EXPECT: error: invalid IR: Operation graph.relu terminates block in single-block region but is not a terminator
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.relu %a : tensor<4xf32> -> tensor<4xf32>
}
