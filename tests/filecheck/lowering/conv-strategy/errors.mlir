// What a user can get wrong is one located diagnostic, never a traceback.
// RUN: not tessera-opt %S/inputs/bad_attribute.mlir -p conv-strategy 2>&1 | filecheck %s --check-prefix=VALUE
// RUN: not tessera-opt %S/inputs/scheduled.mlir -p 'conv-strategy{strategy=im2col}' 2>&1 | filecheck %s --check-prefix=SCHEDULE
// RUN: not tessera-opt %S/inputs/on_memrefs.mlir -p conv-strategy 2>&1 | filecheck %s --check-prefix=MEMREF
// RUN: not tessera-opt %S/inputs/scheduled.mlir -p 'conv-strategy{layout=chwn}' 2>&1 | filecheck %s --check-prefix=OPTION
// A hand-written schedule under `auto` keeps the conv direct (no error):
// RUN: tessera-opt %S/inputs/scheduled.mlir -p conv-strategy | filecheck %s --check-prefix=KEPT

// VALUE: bad_attribute.mlir:2:3: error: conv-strategy: 'tessera.conv_layout' must be one of 'nchw', 'nhwc', not "nchwc"
// VALUE-NEXT: %y = linalg.conv_2d_nchw_fchw
// VALUE-NEXT: ^
// VALUE-NOT: Traceback

// SCHEDULE: scheduled.mlir:2:3: error: conv-strategy: im2col in nchw replaces the conv, but it has a 'tessera.schedule' written for its direct loop nest; drop one of them
// SCHEDULE-NOT: Traceback

// MEMREF: on_memrefs.mlir:2:3: error: conv-strategy: the conv works on memrefs; run conv-strategy before bufferize
// MEMREF-NOT: Traceback

// OPTION: error: conv-strategy: layout=chwn is not one of auto, nchw, nhwc
// OPTION-NOT: Traceback

// KEPT: linalg.conv_2d_nchw_fchw {tessera.schedule = {vector = 2 : i64}, tessera.conv_strategy = "direct", tessera.conv_layout = "nchw", strides
