"""Vector-Jacobian products of convolution and pooling, as `graph` ops.

Both gradients of conv2d are convolutions again, so they run on every target with the
schedules convolutions already have:

- dW is a convolution of the input (channels as the batch, the batch as the channels) with
  the output gradient as its kernel: stride and dilation trade places. Its result is at least
  the kernel's size; rows beyond it (the input rows a floor-mode convolution never reached)
  are sliced off.
- dX is a convolution of the output gradient, dilated by the stride (pad interior
  stride - 1) and padded at its edges, with the weights flipped (slices of stride -1) and
  their channel dimensions swapped. The edge padding is worked out per side: low
  dilation·(K - 1) - padding, high H + padding - stride·(OH - 1) - 1, which is what puts
  zeros under the ragged rows; a negative amount (padding wider than the dilated kernel)
  crops instead.

Pooling is differentiated one window offset (a, b) at a time: the offset's elements of every
window are a strided slice of the (padded) input, and `pad` with interior stride - 1 puts
values back at those positions, so overlapping windows accumulate. maxpool2d routes each
window's gradient to its FIRST maximum in row-major window order, as PyTorch does: a mask
per offset, cleared where an earlier offset already took the window.
"""

from __future__ import annotations

from xdsl.ir import SSAValue

from tessera.compiler.autodiff.emit import Emit, shape
from tessera.compiler.autodiff.rules import Grads
from tessera.dialects import graph as G

_SWAP_01 = [1, 0, 2, 3]


def _conv2d(e: Emit, op: G.Conv2dOp, g: SSAValue, wanted) -> Grads:
    x, w = op.input, op.weight
    stride = G.int_values(op.stride)
    padding = G.int_values(op.padding)
    dilation = G.int_values(op.dilation)
    return [_conv2d_input_grad(e, g, w, shape(x), stride, padding, dilation)
            if wanted[0] else None,
            _conv2d_weight_grad(e, g, x, shape(w), stride, padding, dilation)
            if wanted[1] else None]


def _conv2d_weight_grad(e: Emit, g, x, w_shape, stride, padding, dilation) -> SSAValue:
    # dW[o, c, i, j] = Σ_{n, a, b} g[n, o, a, b] · xpad[n, c, a·s + i·d, b·s + j·d]: a
    # convolution over (n, a, b) of x as [C, N, H, W] with g as [O, N, OH, OW].
    out, channels, kh, kw = w_shape
    xt = e.transpose(x, _SWAP_01)
    gt = e.transpose(g, _SWAP_01)
    full = e(G.Conv2dOp(xt, gt, dilation, padding, stride))  # [C, O, >= KH, >= KW]
    kernel = e.slice(full, [0, 0, 0, 0], [channels, out, kh, kw])
    return e.transpose(kernel, _SWAP_01)


def _conv2d_input_grad(e: Emit, g, w, x_shape, stride, padding, dilation) -> SSAValue:
    # dX[h] = Σ_k gd[h + p - k·d] · w[k] with gd the gradient dilated by the stride:
    # a dilated convolution of gd, padded by d·(K - 1) - p in front, with flipped weights.
    n, channels, height, width = x_shape
    _, _, kh, kw = shape(w)
    _, _, oh, ow = shape(g)
    low, high = [], []
    for size, k, out, s, p, d in zip((height, width), (kh, kw), (oh, ow), stride, padding,
                                     dilation):
        low.append(d * (k - 1) - p)
        high.append(size + p - s * (out - 1) - 1)
    dilated = e.pad(g, [0, 0, *(max(v, 0) for v in low)], [0, 0, *(max(v, 0) for v in high)],
                    [0, 0, stride[0] - 1, stride[1] - 1])
    # Negative amounts crop: the padded gradient starts -low in, and is shorter by -high.
    extent = [s + d * (k - 1) for s, d, k in zip((height, width), dilation, (kh, kw))]
    dilated = e.slice(dilated, [0, 0, *(max(-v, 0) for v in low)],
                      [n, shape(g)[1], *extent])
    flipped = e.slice(e.transpose(w, _SWAP_01), [0, 0, kh - 1, kw - 1],
                      [channels, shape(w)[0], kh, kw],
                      [1, 1, -1 if kh > 1 else 1, -1 if kw > 1 else 1])
    return e(G.Conv2dOp(dilated, flipped, [1, 1], [0, 0], dilation))


def _pool_geometry(op: G.Pool2dOp):
    return (G.int_values(op.kernel), G.int_values(op.stride), G.int_values(op.padding))


def _scatter_offset(e: Emit, values: SSAValue, a: int, b: int, stride, padded_hw) -> SSAValue:
    """`values` ([N, C, OH, OW], one per window) placed at the window offset (a, b) of the
    padded input: window (i, j) reads row a + i·stride, column b + j·stride."""
    _, _, oh, ow = shape(values)
    high_h = padded_hw[0] - a - (oh - 1) * stride[0] - 1
    high_w = padded_hw[1] - b - (ow - 1) * stride[1] - 1
    return e.pad(values, [0, 0, a, b], [0, 0, high_h, high_w],
                 [0, 0, stride[0] - 1, stride[1] - 1])


def _unpad(e: Emit, padded: SSAValue, x_shape, padding) -> SSAValue:
    return e.slice(padded, [0, 0, *padding], list(x_shape))


def _accumulate(e: Emit, total: SSAValue | None, value: SSAValue) -> SSAValue:
    return value if total is None else e.add(total, value)


def _maxpool2d(e: Emit, op: G.MaxPool2dOp, g: SSAValue, wanted) -> Grads:
    kernel, stride, padding = _pool_geometry(op)
    x, y = op.input, op.result
    n, c, height, width = shape(x)
    _, _, oh, ow = shape(y)
    padded_hw = (height + 2 * padding[0], width + 2 * padding[1])
    pads = [0, 0, *padding]
    # Padding counts as -inf in the forward op: zeros here, and a mask of the real
    # positions so that a zero of the padding is never taken for a maximum.
    xp = e.pad(x, pads, pads)
    real = e.pad(e.splat(1.0, x, [1, 1, height, width]), pads, pads) if any(padding) else None
    taken = None  # 1 where an earlier offset already holds the window's maximum
    total = None
    offsets = [(a, b) for a in range(kernel[0]) for b in range(kernel[1])]
    for index, (a, b) in enumerate(offsets):
        window = [0, 0, a, b], [n, c, oh, ow], [1, 1, stride[0], stride[1]]
        candidate = e.slice(xp, *window)
        # candidate >= max exactly where step(max - candidate) is 0.
        is_max = e.sub(e.scalar(1.0, y), e.step(e.sub(y, candidate)))
        if real is not None:
            is_max = e.mul(is_max, e.slice(real, [0, 0, a, b], [1, 1, oh, ow], window[2]))
        first = is_max if taken is None else e.mul(is_max, e.sub(e.scalar(1.0, y), taken))
        if index + 1 < len(offsets):
            taken = first if taken is None else e.add(taken, first)
        routed = _scatter_offset(e, e.mul(g, first), a, b, stride, padded_hw)
        total = _accumulate(e, total, routed)
    return [_unpad(e, total, shape(x), padding)]


def _avgpool2d(e: Emit, op: G.AvgPool2dOp, g: SSAValue, wanted) -> Grads:
    # count_include_pad: every window divides by the kernel area, padded or not.
    kernel, stride, padding = _pool_geometry(op)
    x = op.input
    _, _, height, width = shape(x)
    padded_hw = (height + 2 * padding[0], width + 2 * padding[1])
    share = e.scale(g, 1.0 / (kernel[0] * kernel[1]))
    total = None
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            total = _accumulate(e, total, _scatter_offset(e, share, a, b, stride, padded_hw))
    return [_unpad(e, total, shape(x), padding)]


NN_RULES = {
    G.Conv2dOp: _conv2d,
    G.MaxPool2dOp: _maxpool2d,
    G.AvgPool2dOp: _avgpool2d,
}
