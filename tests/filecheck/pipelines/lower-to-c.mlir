// RUN: tessera-opt %s -p lower-to-linalg | filecheck %s --check-prefix=LINALG
// RUN: tessera-opt %s -p lower-to-loops | filecheck %s --check-prefix=LOOPS
// RUN: tessera-opt %s -p lower-to-loops,lower-affine,canonicalize,cse | filecheck %s --check-prefix=CIR
// RUN: tessera-opt %s -p lower-to-loops,lower-affine,canonicalize,cse -t c | filecheck %s --check-prefix=CSRC

// The named pipelines on a small graph function: x @ w + b, relu, then a reshape (whose
// floordiv / mod map is what leaves affine.apply ops at the loop level) scaled by a splat.

func.func @mlp(%x: tensor<2x3xf32>, %w: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<8xf32> {
  %0 = graph.matmul %x, %w : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %1 = graph.add %0, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %2 = graph.relu %1 : tensor<2x4xf32> -> tensor<2x4xf32>
  %3 = graph.reshape %2 : tensor<2x4xf32> -> tensor<8xf32>
  %k = graph.constant dense<2.0> : tensor<f32>
  %4 = graph.mul %3, %k : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  func.return %4 : tensor<8xf32>
}

// lower-to-linalg: linalg on tensors, no graph op left; canonicalize drops the dead
// constant tensor and cse shares the zero between the fill and relu's body.
// LINALG-LABEL: func.func @mlp(
// LINALG-SAME: %[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<4xf32>) -> tensor<8xf32> {
// LINALG-NOT: graph.
// LINALG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// LINALG: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32)
// LINALG-NEXT: %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<2x3xf32>, tensor<3x4xf32>) outs(%[[F]] : tensor<2x4xf32>) -> tensor<2x4xf32>
// LINALG-NEXT: %[[ADD:.*]] = linalg.generic {{.*}} ins(%[[MM]], %[[B]] : tensor<2x4xf32>, tensor<4xf32>)
// LINALG: arith.addf
// LINALG: %[[RELU:.*]] = linalg.generic {{.*}} ins(%[[ADD]] : tensor<2x4xf32>)
// LINALG: arith.maximumf %{{.*}}, %[[ZERO]] : f32
// LINALG: %[[RS:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> ((d0 floordiv 4), (d0 mod 4))>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%[[RELU]] : tensor<2x4xf32>)
// LINALG-NOT: dense<
// LINALG-NOT: graph.
// LINALG: %[[MUL:.*]] = linalg.generic {{.*}} ins(%[[RS]] : tensor<8xf32>)
// LINALG-NEXT: ^{{.*}}(%[[V:.*]]: f32, %{{.*}}: f32):
// LINALG-NEXT: %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// LINALG-NEXT: arith.mulf %[[V]], %[[TWO]] : f32
// LINALG: func.return %[[MUL]] : tensor<8xf32>

// lower-to-loops: memrefs, the result an out-parameter, every linalg op an scf.for nest of
// memref.load / memref.store; the reshape's map is still affine.apply.
// LOOPS-LABEL: func.func @mlp(
// LOOPS-SAME: %[[X:.*]]: memref<2x3xf32>, %[[W:.*]]: memref<3x4xf32>, %[[B:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<8xf32> {tessera.out}) {
// LOOPS-NOT: linalg.
// LOOPS-NOT: tensor
// The fill: a 2-deep nest of stores.
// LOOPS: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// LOOPS: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// LOOPS-NEXT: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// LOOPS-NEXT: memref.store %[[ZERO]], %[[MMBUF:[0-9a-z_]+]][%[[I]], %[[J]]] : memref<2x4xf32>
// The matmul: a 3-deep nest, accumulating in place.
// LOOPS: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// LOOPS-NEXT: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// LOOPS-NEXT: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// LOOPS-NEXT: %[[A:.*]] = memref.load %[[X]][%[[I]], %[[K]]] : memref<2x3xf32>
// LOOPS-NEXT: %[[BW:.*]] = memref.load %[[W]][%[[K]], %[[J]]] : memref<3x4xf32>
// LOOPS-NEXT: %[[ACC:.*]] = memref.load %[[MMBUF]][%[[I]], %[[J]]] : memref<2x4xf32>
// LOOPS-NEXT: %[[P:.*]] = arith.mulf %[[A]], %[[BW]] : f32
// LOOPS-NEXT: %[[S:.*]] = arith.addf %[[P]], %[[ACC]] : f32
// LOOPS-NEXT: memref.store %[[S]], %[[MMBUF]][%[[I]], %[[J]]] : memref<2x4xf32>
// The bias add reads b through its broadcast map.
// LOOPS: memref.load %[[B]][%{{.*}}] : memref<4xf32>
// LOOPS: arith.maximumf
// The reshape.
// LOOPS: scf.for %[[L:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// LOOPS-NEXT: %[[R:.*]] = affine.apply affine_map<(d0) -> ((d0 floordiv 4))> (%[[L]])
// LOOPS-NEXT: %[[C:.*]] = affine.apply affine_map<(d0) -> ((d0 mod 4))> (%[[L]])
// LOOPS-NEXT: memref.load %{{.*}}[%[[R]], %[[C]]] : memref<2x4xf32>
// The last op writes the out-parameter directly; temporaries are freed.
// LOOPS: %[[V:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// LOOPS-NEXT: memref.store %[[V]], %[[OUT]][%{{.*}}] : memref<8xf32>
// LOOPS: memref.dealloc %[[MMBUF]] : memref<2x4xf32>
// LOOPS: func.return{{$}}

// The unscheduled C level (lower-to-c without its schedule pass): the same loops, the affine maps lowered to index arithmetic; no linalg, no
// affine, no tensors left.
// CIR-LABEL: func.func @mlp(
// CIR-SAME: %[[X:.*]]: memref<2x3xf32>, %[[W:.*]]: memref<3x4xf32>, %[[B:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<8xf32> {tessera.out}) {
// CIR-NOT: linalg.
// CIR-NOT: affine
// CIR-NOT: tensor
// CIR: %[[FOUR:.*]] = arith.constant 4 : index
// CIR: scf.for
// CIR-NEXT: scf.for
// CIR: %[[EIGHT:.*]] = arith.constant 8 : index
// CIR-NEXT: scf.for %[[L:.*]] = %{{.*}} to %[[EIGHT]] step %{{.*}} {
// CIR-NEXT: %[[R:.*]] = arith.floordivsi %[[L]], %[[FOUR]] : index
// CIR-NEXT: %[[C:.*]] = arith.remsi %[[L]], %[[FOUR]] : index
// CIR-NEXT: memref.load %{{.*}}[%[[R]], %[[C]]] : memref<2x4xf32>
// CIR: memref.store %{{.*}}, %[[OUT]][%{{.*}}] : memref<8xf32>
// CIR: func.return{{$}}
// CIR-NEXT: }
// CIR-NEXT: }

// -t c: a prototype and a definition of tsr_mlp with const inputs and the out-parameter.
// CSRC: #include <math.h>
// CSRC: void tsr_mlp(const float *restrict, const float *restrict, const float *restrict, float *restrict);
// CSRC: void tsr_mlp(const float *restrict [[X:v[0-9a-z_]+]], const float *restrict [[W:v[0-9a-z_]+]], const float *restrict [[B:v[0-9a-z_]+]], float *restrict [[OUT:v[0-9a-z_]+]]) {
// CSRC: malloc((size_t)8 * sizeof(float))
// CSRC: {{v[0-9a-z_]+}}[{{v[0-9a-z_]+}} * 4 + {{v[0-9a-z_]+}}] = 0.0f;
// CSRC: for (int64_t [[I:v[0-9a-z_]+]] = 0; [[I]] < 2; [[I]] += 1) {
// CSRC-NEXT: for (int64_t [[J:v[0-9a-z_]+]] = 0; [[J]] < 4; [[J]] += 1) {
// CSRC-NEXT: for (int64_t [[K:v[0-9a-z_]+]] = 0; [[K]] < 3; [[K]] += 1) {
// CSRC-NEXT: const float {{v[0-9a-z_]+}} = [[X]][[[I]] * 3 + [[K]]];
// CSRC-NEXT: const float {{v[0-9a-z_]+}} = [[W]][[[K]] * 4 + [[J]]];
// CSRC: [[B]][{{v[0-9a-z_]+}}]
// CSRC: tessera_maximumf_f32(
// CSRC: tessera_floordivsi_index(
// CSRC: [[OUT]][{{v[0-9a-z_]+}}] = {{v[0-9a-z_]+}};
// CSRC: free(
// CSRC-NOT: linalg
// CSRC-NOT: affine
