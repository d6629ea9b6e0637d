"""`conv-strategy`: how each 2-D convolution runs on the C target (linalg on tensors).

`graph-to-linalg` lowers `graph.conv2d` to `linalg.conv_2d_nchw_fchw`, a direct loop nest
that the `schedule` pass tiles. That nest vectorizes along the output width only where the
input is read contiguously along it (stride 1) and the width fills the vector lanes, so
strided convolutions, narrow feature maps and long reductions leave much of the CPU unused.
This pass rewrites each conv by a *strategy* and a *layout*:

- `direct`, `nchw`: the named conv, left as it is.
- `direct`, `nhwc`: `linalg.conv_2d_nhwc_hwcf` with the channels innermost, between an
  NHWC copy of the input (the padding copy `graph-to-linalg` wrote is rebuilt to write NHWC
  directly, so the input is copied once, as before), an HWCF copy of the weights and an
  NCHW copy of the result. The schedule then vectorizes along the filters, whatever the
  stride or the width.
- `im2col`, `nchw`: the input's patches gathered into a column matrix
  `col[C·KH·KW, N·OH·OW]` by one `linalg.generic` (its maps are affine-linear: row
  `c·KH·KW + kh·KW + kw`, column `n·OH·OW + oh·OW + ow`), the weights viewed as
  `[F, C·KH·KW]`, then one `linalg.matmul` `[F, K] × [K, N·OH·OW]`, which gets the C
  target's BLIS-style GEMM schedule (packing, register tile, cache blocking). The images of
  a batch are columns of the one GEMM, not a batch of small ones: the default schedule gives
  its blocked GEMM nest only to 2-D matmuls, and one long N dimension blocks better.
- `im2col`, `nhwc`: the same GEMM transposed, `col[N·OH·OW, K] × [K, F]`, its vector
  dimension the filters. `auto` never picks it: where it measured faster than the NCHW
  GEMM, a direct conv was faster still (see `choose`).

Reshapes: `bufferize` has no `tensor.collapse_shape`/`expand_shape` (and the emitters no
memref views), so the weight and result reshapes are copies, written as generics whose maps
are affine-linear (`c·KH·KW + kh·KW + kw`), never floordiv/mod: they are scheduled and run
on every target, and the conv's elementwise consumers (ReLU, a residual add) fuse into the
result copy's epilogue as they would into the conv's, so the copy costs about one pass over
the output; the weight copy is the size of the weights. The gather reads the
padded input; its loops get their extents from two empty window-shaped operands
(`[KH, KW]` and `[OH, OW]`) that the body never reads, as pooling does in `graph-to-linalg`.
Integer convs whose inputs are narrower than the accumulator (`i8` into `i32`, as
`linalg.conv_2d_nchw_fchw` allows) widen while gathering, so the GEMM is on one type.

Choice, per conv, first match wins:
1. the pass options `strategy=direct|im2col` and `layout=nchw|nhwc` (each on its own);
2. the op's attributes `tessera.conv_strategy = "im2col"` / `tessera.conv_layout = "nhwc"`,
   written by hand or by a user;
3. `auto` (the default): `choose`, a heuristic fitted to `bench/conv_strategy.py`'s
   measurements on the C target (see `choose` for the rules and the numbers behind them).
   A conv that carries a hand-written `tessera.schedule` stays direct under `auto`: the
   schedule was written for its loop nest.

The decision is in the IR: every op a conv becomes carries `tessera.conv_strategy` and
`tessera.conv_layout`, except the `linalg.matmul` itself, which stays an ordinary GEMM so
that it shares tuned matmul schedules (the tuning database keys an op by its printed text).
Running the pass again changes nothing. Every new op takes the conv's location.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, tensor
from xdsl.dialects.builtin import ModuleOp, StringAttr, TensorType
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tessera.compiler.diagnostics import TesseraError
from tessera.lowering.affine_forms import linear_map
from tessera.lowering.graph_to_linalg import PARALLEL, Emitter, amap, dim, identity_map

STRATEGY_ATTR = "tessera.conv_strategy"
LAYOUT_ATTR = "tessera.conv_layout"
STRATEGIES = ("direct", "im2col")
LAYOUTS = ("nchw", "nhwc")
SCHEDULE_ATTR = "tessera.schedule"  # lowering/schedule.py's; not imported: it loads codegen


# Thresholds of `choose`, each read off `python -m bench.conv_strategy` (1 thread, AMD EPYC
# Zen 5 with AVX-512: 16 f32 lanes, 1 MiB of L2 per core); the names are its cases, the
# times milliseconds per call.
SMALL_CONV_MACS = 64 * 1024  # 1x1-small (12.5K MACs): every rewrite 0.57-0.90x of direct
L2_WEIGHT_BYTES = 512 * 1024  # weights-330k (324 KiB): direct/nhwc 0.69, im2col 0.81;
#                               resnet-3x3-28 (576 KiB): im2col 1.26, direct/nhwc 1.62
SCALAR_FRACTION = 8  # small-5x5-s2 (rates 1 and 2 of 16 lanes): im2col 0.0055, direct/nhwc
#                      0.0087; lenet5-conv1 (rate 4): direct/nchw 0.0103, im2col 0.0225
LAYOUT_GAIN = 2.0  # few-filters-8 (rates 8 vs 4): nhwc 0.0237, nchw 0.0250; cifar-first-3x3
#                    (16 vs 16): nhwc 0.0253, nchw 0.0081 (its transposing copies unamortised)


@dataclass(frozen=True)
class ConvShape:
    """A `linalg.conv_2d_nchw_fchw` as numbers: the padded input is [n, c, h, w], the
    weights [f, c, kh, kw], the output [n, f, oh, ow]."""

    n: int
    c: int
    h: int
    w: int
    f: int
    kh: int
    kw: int
    oh: int
    ow: int
    stride: tuple[int, int]
    dilation: tuple[int, int]
    element_bytes: int = 4

    @staticmethod
    def of(op: linalg.Conv2DNchwFchwOp) -> ConvShape:
        n, c, h, w = op.inputs[0].type.get_shape()
        f, _, kh, kw = op.inputs[1].type.get_shape()
        _, _, oh, ow = op.outputs[0].type.get_shape()
        sh, sw = op.strides.get_values()
        dh, dw = op.dilations.get_values()
        element = op.outputs[0].type.get_element_type()
        width = getattr(element, "bitwidth", None) or getattr(element, "width", None)
        element_bytes = max(1, width // 8) if isinstance(width, int) else 4
        return ConvShape(n, c, h, w, f, kh, kw, oh, ow, (sh, sw), (dh, dw), element_bytes)

    @property
    def reduction(self) -> int:
        """K of the GEMM: one output element sums this many products."""
        return self.c * self.kh * self.kw

    @property
    def pixels(self) -> int:
        """The GEMM's other free dimension: output positions over the whole batch."""
        return self.n * self.oh * self.ow

    @property
    def macs(self) -> int:
        return self.f * self.reduction * self.pixels

    @property
    def weight_bytes(self) -> int:
        return self.f * self.reduction * self.element_bytes


def vector_rate(extent: int, lanes: int) -> float:
    """Elements per instruction along a loop of `extent` vectorized by the default schedule
    (`targets/c/default_schedule.py` picks the width; the remainder runs scalar)."""
    from tessera.targets.c.default_schedule import _lanes

    width = _lanes(extent, lanes)
    return extent / (extent // width + extent % width)


def choose(shape: ConvShape, strategy: str | None = None, layout: str | None = None,
           lanes: int | None = None) -> tuple[str, str]:
    """(strategy, layout) for `shape` under the C target's default schedules, the ones not
    given chosen by rules fitted to `python -m bench.conv_strategy`: on the 23 conv shapes
    they were fitted to they pick the variant measured fastest, and on 5 shapes measured
    afterwards the fastest in 4, one 8% slower than it in the fifth (a small 1x1 conv).
    `lanes`: the vector width in elements (default: the host's for the element type).

    The direct nest vectorizes along its output's innermost dimension: the width in NCHW
    (only at stride 1: a strided width is a gather), the filters in NHWC. Its rate there is
    `vector_rate`. It has no cache blocking, so the weights are streamed once per output
    tile; the im2col GEMM is blocked and packed, and its vector dimension (all output
    positions) is long.

    1. Under SMALL_CONV_MACS: direct NCHW; any rewrite adds copies worth more than it saves.
    2. A 1x1 kernel: im2col (the gather is a plain copy; the conv is a GEMM).
    3. Weights over L2_WEIGHT_BYTES (half of L2): im2col, blocked for the cache.
    4. Both direct layouts at most 1/SCALAR_FRACTION of the lanes: im2col.
    5. Else direct; NHWC where its rate is at least LAYOUT_GAIN times NCHW's.
    An im2col GEMM is NCHW-oriented ([F, K] x [K, N·OH·OW]): measured faster than NHWC or
    within 2% in 17 of 23 shapes; in the other 6 a direct conv was faster than both.
    """
    if lanes is None:
        from tessera.targets.c.machine import host

        lanes = host().lanes(shape.element_bytes)
    nchw_rate = vector_rate(shape.ow, lanes) if shape.stride[1] == 1 else 1.0
    nhwc_rate = vector_rate(shape.f, lanes)
    if strategy is None:
        if shape.macs < SMALL_CONV_MACS:
            strategy, layout = "direct", layout or "nchw"
        elif (shape.kh * shape.kw == 1 or shape.weight_bytes > L2_WEIGHT_BYTES
              or max(nchw_rate, nhwc_rate) <= lanes / SCALAR_FRACTION):
            strategy = "im2col"
        else:
            strategy = "direct"
    if layout is None:
        if strategy == "im2col":
            layout = "nchw"
        else:
            layout = "nhwc" if nhwc_rate >= LAYOUT_GAIN * nchw_rate else "nchw"
    return strategy, layout


# -- the rewrites ----------------------------------------------------------------------------


def _padding_of(value: SSAValue) -> tuple[SSAValue, int, int, SSAValue] | None:
    """(unpadded input, pad h, pad w, pad value) when `value` is the padding copy that
    `graph-to-linalg` writes (a generic copying into the interior of a filled buffer)."""
    copy = value.owner
    if not (isinstance(copy, linalg.GenericOp) and len(copy.inputs) == 1
            and len(copy.outputs) == 1 and isinstance(copy.outputs[0].owner, linalg.FillOp)):
        return None
    maps = [m.data for m in copy.indexing_maps]
    out_form = linear_map(maps[1])
    body = list(copy.body.block.ops)
    if (maps[0] != identity_map(4) or out_form is None
            or [coeffs for coeffs, _ in out_form] != [[int(i == j) for j in range(4)]
                                                       for i in range(4)]
            or out_form[0][1] or out_form[1][1]
            or len(body) != 1 or tuple(body[0].operands) != (copy.body.block.args[0],)):
        return None
    return copy.inputs[0], out_form[2][1], out_form[3][1], copy.outputs[0].owner.inputs[0]


class ConvRewrite:
    """The ops that replace one conv, built with `graph-to-linalg`'s emitter (so each takes
    the conv's location)."""

    def __init__(self, op: linalg.Conv2DNchwFchwOp, strategy: str, layout: str):
        self.op = op
        self.e = Emitter(op, [])
        self.s = ConvShape.of(op)
        self.strategy, self.layout = strategy, layout
        self.x, self.w = op.inputs
        self.out_type: TensorType = op.outputs[0].type
        self.acc = self.out_type.get_element_type()

    def build(self) -> SSAValue:
        if self.strategy == "im2col":
            return self.im2col()
        return self.direct_nhwc()

    # The output, re-laid out: `out_map` takes the conv's (n, f, oh, ow) to an index of the
    # tensor the strategy computes the result in.

    def initial(self, shape: Sequence[int], out_map: AffineMap) -> SSAValue:
        """The accumulator in the new layout: a fill with the same value where the conv's
        was a fill (always, from `graph-to-linalg`), else a copy of its values."""
        outs = self.op.outputs[0]
        if isinstance(outs.owner, linalg.FillOp):
            init = self.e.empty(shape, self.acc)
            return self.e.add(linalg.FillOp([outs.owner.inputs[0]], [init], [init.type]))
        return self.e.generic([outs], self.e.empty(shape, self.acc),
                              [identity_map(4), out_map], [PARALLEL] * 4, lambda a: [])

    def restore(self, result: SSAValue, out_map: AffineMap) -> SSAValue:
        """`result` copied back to NCHW: the conv's consumers read it unchanged."""
        return self.e.generic([result], self.e.empty(self.out_type.get_shape(), self.acc),
                              [out_map, identity_map(4)], [PARALLEL] * 4, lambda a: [])

    def widen(self, args) -> list[Operation]:
        """A copy's body: the element as is, or sign-extended to the accumulator's type."""
        if args[0].type == self.acc:
            return []
        return [arith.ExtSIOp(args[0], self.acc)]

    def im2col(self) -> SSAValue:
        s, e = self.s, self.e
        sh, sw = s.stride
        dh, dw = s.dilation
        k, p = s.reduction, s.pixels
        # Gather: the input index is the conv's. The loops run in the column matrix's
        # row-major order, so it is written sequentially: (c, kh, kw, n, oh, ow) for nchw,
        # (n, oh, ow, c, kh, kw) for nhwc.
        order = ("c", "kh", "kw", "n", "oh", "ow") if self.layout == "nchw" else \
            ("n", "oh", "ow", "c", "kh", "kw")
        n, c, kh, kw, oh, ow = (dim(order.index(name))
                                for name in ("n", "c", "kh", "kw", "oh", "ow"))
        row = c * (s.kh * s.kw) + kh * s.kw + kw
        column = n * (s.oh * s.ow) + oh * s.ow + ow
        if self.layout == "nchw":
            col_shape, col_map = (k, p), amap(6, [row, column])
        else:
            col_shape, col_map = (p, k), amap(6, [column, row])
        window = e.empty((s.kh, s.kw), self.x.type.get_element_type())
        extent = e.empty((s.oh, s.ow), self.x.type.get_element_type())
        col = e.generic(
            [self.x, window, extent], e.empty(col_shape, self.acc),
            [amap(6, [n, c, oh * sh + kh * dh, ow * sw + kw * dw]),
             amap(6, [kh, kw]), amap(6, [oh, ow]), col_map],
            [PARALLEL] * 6, self.widen)
        # Weights: iteration (f, c, kh, kw); row-major [F, C·KH·KW] is the same order.
        f, c, kh, kw = (dim(i) for i in range(4))
        flat = c * (s.kh * s.kw) + kh * s.kw + kw
        w_shape, w_map = ((s.f, k), amap(4, [f, flat])) if self.layout == "nchw" else \
            ((k, s.f), amap(4, [flat, f]))
        weights = e.generic([self.w], e.empty(w_shape, self.acc),
                            [identity_map(4), w_map], [PARALLEL] * 4, self.widen)
        # Result: (n, f, oh, ow) -> (f, n·OH·OW + oh·OW + ow), or its transpose.
        n, f, oh, ow = (dim(i) for i in range(4))
        pixel = n * (s.oh * s.ow) + oh * s.ow + ow
        if self.layout == "nchw":
            y_shape, y_map, operands = (s.f, p), amap(4, [f, pixel]), [weights, col]
        else:
            y_shape, y_map, operands = (p, s.f), amap(4, [pixel, f]), [col, weights]
        init = self.initial(y_shape, y_map)
        product = e.add(linalg.MatmulOp(operands, [init], [init.type]))
        return self.restore(product, y_map)

    def direct_nhwc(self) -> SSAValue:
        s, e = self.s, self.e
        x_nhwc = self.input_nhwc()
        f, c, kh, kw = (dim(i) for i in range(4))
        weights = e.generic([self.w], e.empty((s.kh, s.kw, s.c, s.f),
                                              self.w.type.get_element_type()),
                            [identity_map(4), amap(4, [kh, kw, c, f])], [PARALLEL] * 4,
                            lambda a: [])
        n, f, oh, ow = (dim(i) for i in range(4))
        y_map = amap(4, [n, oh, ow, f])
        init = self.initial((s.n, s.oh, s.ow, s.f), y_map)
        conv = e.add(linalg.Conv2DNhwc_HwcfOp(
            [x_nhwc, weights], [init], [init.type],
            strides=self.op.strides, dilations=self.op.dilations))
        return self.restore(conv, y_map)

    def input_nhwc(self) -> SSAValue:
        """The padded input in NHWC: where it is `graph-to-linalg`'s padding copy, that copy
        rebuilt to write NHWC (one copy of the input, as before); else a transposing copy."""
        s, e = self.s, self.e
        padded = _padding_of(self.x)
        source, ph, pw, pad = padded if padded else (self.x, 0, 0, None)
        et = self.x.type.get_element_type()
        init = e.empty((s.n, s.h, s.w, s.c), et)
        if pad is not None:
            init = e.add(linalg.FillOp([pad], [init], [init.type]))
        n, c, h, w = (dim(i) for i in range(4))
        return e.generic([source], init, [identity_map(4), amap(4, [n, h + ph, w + pw, c])],
                         [PARALLEL] * 4, lambda a: [])


def _erase_dead(op: Operation | None) -> None:
    """Erase `op` when nothing reads it and it only computes a value (tensor-level linalg,
    `tensor.empty`, constants), then the ops that fed only it."""
    if op is None or any(r.uses for r in op.results):
        return
    pure = (isinstance(op, (tensor.EmptyOp, arith.ConstantOp))
            or (isinstance(op, LinalgStructuredOperation)
                and all(isinstance(t, TensorType) for t in op.result_types) and op.results))
    if not pure:
        return
    feeders = [v.owner for v in op.operands if isinstance(v.owner, Operation)]
    Rewriter.erase_op(op)
    for feeder in feeders:
        _erase_dead(feeder)


def _attribute(op: Operation, name: str, allowed: Sequence[str]) -> str | None:
    attr = op.attributes.get(name)
    if attr is None:
        return None
    if not isinstance(attr, StringAttr) or attr.data not in allowed:
        raise TesseraError.at_op(op, f"conv-strategy: '{name}' must be one of "
                                     f"{', '.join(map(repr, allowed))}, not {attr}")
    return attr.data


@dataclass(frozen=True)
class ConvStrategyPass(ModulePass):
    """Rewrite each `linalg.conv_2d_nchw_fchw` on tensors by a strategy and a layout (see the
    module docstring); `auto` picks by the measured heuristic `choose`."""

    name = "conv-strategy"

    strategy: str = "auto"
    layout: str = "auto"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for option, value, allowed in (("strategy", self.strategy, STRATEGIES),
                                       ("layout", self.layout, LAYOUTS)):
            if value != "auto" and value not in allowed:
                raise TesseraError(f"conv-strategy: {option}={value} is not one of auto, "
                                   f"{', '.join(allowed)}")
        for conv in list(op.walk()):
            if isinstance(conv, linalg.Conv2DNchwFchwOp):
                self.rewrite(conv)

    def decide(self, conv: linalg.Conv2DNchwFchwOp) -> tuple[str, str]:
        strategy = (self.strategy if self.strategy != "auto"
                    else _attribute(conv, STRATEGY_ATTR, STRATEGIES))
        layout = (self.layout if self.layout != "auto"
                  else _attribute(conv, LAYOUT_ATTR, LAYOUTS))
        if strategy is None and SCHEDULE_ATTR in conv.attributes:
            strategy = "direct"  # its hand-written schedule is for the direct loop nest
            layout = layout or "nchw"
        if strategy is None or layout is None:
            strategy, layout = choose(ConvShape.of(conv), strategy, layout)
        return strategy, layout

    def rewrite(self, conv: linalg.Conv2DNchwFchwOp) -> None:
        if not all(isinstance(t, TensorType) for t in conv.operand_types):
            raise TesseraError.at_op(conv, "conv-strategy: the conv works on memrefs; run "
                                           "conv-strategy before bufferize")
        strategy, layout = self.decide(conv)
        marks = {STRATEGY_ATTR: StringAttr(strategy), LAYOUT_ATTR: StringAttr(layout)}
        if strategy == "direct" and layout == "nchw":
            conv.attributes.update(marks)
            return
        if SCHEDULE_ATTR in conv.attributes:
            raise TesseraError.at_op(
                conv, f"conv-strategy: {strategy} in {layout} replaces the conv, but it has a "
                      f"'{SCHEDULE_ATTR}' written for its direct loop nest; drop one of them")
        rewrite = ConvRewrite(conv, strategy, layout)
        result = rewrite.build()
        for new in rewrite.e.ops:
            if isinstance(new, LinalgStructuredOperation) and not isinstance(new,
                                                                             linalg.MatmulOp):
                new.attributes.update(marks)
        Rewriter.insert_op(rewrite.e.ops, InsertPoint.before(conv))
        old_inputs = [v.owner for v in conv.operands if isinstance(v.owner, Operation)]
        conv.results[0].replace_all_uses_with(result)
        Rewriter.erase_op(conv)
        for feeder in old_inputs:
            _erase_dead(feeder)
