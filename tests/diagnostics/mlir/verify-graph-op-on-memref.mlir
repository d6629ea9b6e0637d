// EXPECT: error: memref<4xf32> should be of base attribute tensor
func.func @f(%a: memref<4xf32>) -> memref<4xf32> {
  %0 = graph.relu %a : memref<4xf32> -> memref<4xf32>
  func.return %0 : memref<4xf32>
}
