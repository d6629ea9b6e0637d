// EXPECT: parse-garbage.mlir:3:6
// EXPECT-LAST: Operation this is not registered
this is not mlir
