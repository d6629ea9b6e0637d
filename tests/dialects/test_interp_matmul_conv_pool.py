"""The graph reference interpreter: matmul, conv2d and pooling.

Expected values come from plain Python loops over indices or hand-computed numbers, not
from the NumPy calls the interpreter makes."""

from __future__ import annotations


import numpy as np
import pytest


from interp_helpers import (
    broadcast_shape,
    close,
    data,
    loop_matmul,
    run1,
    ttype,
    wrap,
)

# --------------------------------------------------------------------------------------
# matmul
# --------------------------------------------------------------------------------------


MATMUL_SHAPES = [
    ((1, 1), (1, 1)),
    ((7, 13), (13, 5)),
    ((3, 1), (1, 11)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4, 2, 3), (3, 7)),
]


@pytest.mark.parametrize("el", ["f32", "f64", "i32", "i8"])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(el, shapes):
    sa, sb = shapes
    out = (*broadcast_shape(sa[:-2], sb[:-2]), sa[-2], sb[-1])
    a, b = data(sa, el), data(sb, el)
    text = f"""
    func.func @f(%a: {ttype(sa, el)}, %b: {ttype(sb, el)}) -> {ttype(out, el)} {{
      %r = graph.matmul %a, %b : ({ttype(sa, el)}, {ttype(sb, el)}) -> {ttype(out, el)}
      func.return %r : {ttype(out, el)}
    }}
    """
    close(run1(text, a, b), loop_matmul(a, b, el), el)


def test_matmul_i32_is_exact_and_wraps():
    text = """
    func.func @f(%a: tensor<1x2xi32>, %b: tensor<2x2xi32>) -> tensor<1x2xi32> {
      %r = graph.matmul %a, %b : (tensor<1x2xi32>, tensor<2x2xi32>) -> tensor<1x2xi32>
      func.return %r : tensor<1x2xi32>
    }
    """
    a = np.array([[2**24 + 1, 2**30]], dtype=np.int32)
    b = np.array([[1, 0], [0, 4]], dtype=np.int32)
    close(run1(text, a, b), [[2**24 + 1, 0]], "i32")  # 2**32 wraps to 0


def test_matmul_i8_accumulates_with_wraparound():
    text = """
    func.func @f(%a: tensor<1x3xi8>, %b: tensor<3x1xi8>) -> tensor<1x1xi8> {
      %r = graph.matmul %a, %b : (tensor<1x3xi8>, tensor<3x1xi8>) -> tensor<1x1xi8>
      func.return %r : tensor<1x1xi8>
    }
    """
    a = np.array([[100, 100, 1]], dtype=np.int8)
    b = np.array([[2], [1], [-1]], dtype=np.int8)
    close(run1(text, a, b), [[299 - 256]], "i8")  # 200 + 100 - 1 = 299 wraps to 43


# --------------------------------------------------------------------------------------
# conv2d and pooling
# --------------------------------------------------------------------------------------


def out_extent(size, kernel, stride, pad, dilation=1):
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def loop_conv(x, w, stride, padding, dilation, el):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh = out_extent(h, kh, stride[0], padding[0], dilation[0])
    ow = out_extent(wd, kw, stride[1], padding[1], dilation[1])
    out = np.zeros((n, o, oh, ow), dtype=np.float64 if el.startswith("f") else np.int64)
    for b, f, i, j in np.ndindex(n, o, oh, ow):
        total = 0
        for ch, p, q in np.ndindex(c, kh, kw):
            y = i * stride[0] - padding[0] + p * dilation[0]
            xx = j * stride[1] - padding[1] + q * dilation[1]
            if 0 <= y < h and 0 <= xx < wd:
                total += x[b, ch, y, xx].item() * w[f, ch, p, q].item()
        out[b, f, i, j] = total if el.startswith("f") else wrap(total, el)
    return out


CONV_CASES = [
    # input NCHW, weight OIHW, stride, padding, dilation
    ((1, 1, 5, 5), (1, 1, 3, 3), (1, 1), (0, 0), (1, 1)),
    ((2, 3, 7, 11), (5, 3, 3, 2), (2, 3), (1, 2), (1, 1)),
    ((1, 2, 13, 7), (3, 2, 3, 3), (1, 2), (2, 1), (2, 3)),
    ((3, 4, 6, 6), (2, 4, 1, 1), (1, 1), (0, 0), (1, 1)),
    ((1, 1, 3, 3), (2, 1, 5, 5), (1, 1), (1, 1), (1, 1)),
]


def conv_text(xs, ws, stride, padding, dilation, el):
    oh = out_extent(xs[2], ws[2], stride[0], padding[0], dilation[0])
    ow = out_extent(xs[3], ws[3], stride[1], padding[1], dilation[1])
    out = (xs[0], ws[0], oh, ow)
    props = (
        f"stride = array<i64: {stride[0]}, {stride[1]}>, "
        f"padding = array<i64: {padding[0]}, {padding[1]}>, "
        f"dilation = array<i64: {dilation[0]}, {dilation[1]}>"
    )
    return f"""
    func.func @f(%x: {ttype(xs, el)}, %w: {ttype(ws, el)}) -> {ttype(out, el)} {{
      %r = graph.conv2d %x, %w {{{props}}} : ({ttype(xs, el)}, {ttype(ws, el)}) -> {ttype(out, el)}
      func.return %r : {ttype(out, el)}
    }}
    """


@pytest.mark.parametrize("el", ["f32", "f64", "i32", "i8"])
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d(el, case):
    xs, ws, stride, padding, dilation = case
    x, w = data(xs, el), data(ws, el)
    result = run1(conv_text(xs, ws, stride, padding, dilation, el), x, w)
    close(result, loop_conv(x, w, stride, padding, dilation, el), el)


def test_conv2d_hand_computed():
    # A 3x3 ones kernel over 1..9 with padding 1: each output sums its 3x3 neighbourhood.
    x = np.arange(1, 10, dtype=np.float32).reshape(1, 1, 3, 3)
    w = np.ones((1, 1, 3, 3), dtype=np.float32)
    result = run1(conv_text(x.shape, w.shape, (1, 1), (1, 1), (1, 1), "f32"), x, w)
    close(result, [[[[12, 21, 16], [27, 45, 33], [24, 39, 28]]]], "f32")


def loop_pool(x, kernel, stride, padding, kind, el):
    n, c, h, w = x.shape
    oh = out_extent(h, kernel[0], stride[0], padding[0])
    ow = out_extent(w, kernel[1], stride[1], padding[1])
    out = np.zeros((n, c, oh, ow), dtype=np.float64 if el.startswith("f") else np.int64)
    for b, ch, i, j in np.ndindex(n, c, oh, ow):
        seen = []
        for p, q in np.ndindex(*kernel):
            y, xx = i * stride[0] - padding[0] + p, j * stride[1] - padding[1] + q
            inside = 0 <= y < h and 0 <= xx < w
            if inside:
                seen.append(x[b, ch, y, xx].item())
        if kind == "max":
            out[b, ch, i, j] = max(seen)
        elif el.startswith("f"):
            out[b, ch, i, j] = sum(seen) / (kernel[0] * kernel[1])
        else:
            out[b, ch, i, j] = int(sum(seen) / (kernel[0] * kernel[1]))
    return out


POOL_CASES = [
    # input NCHW, kernel, stride, padding
    ((1, 1, 4, 4), (2, 2), (2, 2), (0, 0)),
    ((2, 3, 7, 11), (3, 2), (2, 1), (1, 1)),
    ((1, 2, 13, 5), (5, 3), (3, 2), (2, 1)),
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0)),
]


def pool_text(kind, xs, kernel, stride, padding, el):
    out = (
        xs[0],
        xs[1],
        out_extent(xs[2], kernel[0], stride[0], padding[0]),
        out_extent(xs[3], kernel[1], stride[1], padding[1]),
    )
    props = (
        f"kernel = array<i64: {kernel[0]}, {kernel[1]}>, "
        f"stride = array<i64: {stride[0]}, {stride[1]}>, "
        f"padding = array<i64: {padding[0]}, {padding[1]}>"
    )
    return f"""
    func.func @f(%x: {ttype(xs, el)}) -> {ttype(out, el)} {{
      %r = graph.{kind}pool2d %x {{{props}}} : {ttype(xs, el)} -> {ttype(out, el)}
      func.return %r : {ttype(out, el)}
    }}
    """


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("el", ["f32", "f64", "i32", "i8"])
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_pool2d(kind, el, case):
    xs, kernel, stride, padding = case
    x = data(xs, el)
    result = run1(pool_text(kind, xs, kernel, stride, padding, el), x)
    close(result, loop_pool(x, kernel, stride, padding, kind, el), el)


def test_maxpool_padding_never_wins_and_avgpool_counts_it():
    x = np.full((1, 1, 2, 2), -5.0, dtype=np.float32)
    m = run1(pool_text("max", x.shape, (2, 2), (1, 1), (1, 1), "f32"), x)
    a = run1(pool_text("avg", x.shape, (2, 2), (1, 1), (1, 1), "f32"), x)
    close(m, np.full((1, 1, 3, 3), -5.0), "f32")
    # Corners see one real element of four, edges two, the centre four.
    close(a, [[[[-1.25, -2.5, -1.25], [-2.5, -5.0, -2.5], [-1.25, -2.5, -1.25]]]], "f32")



# PyTorch as a second opinion: conv2d and pooling
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    xs, ws, stride, padding, dilation = case
    x, w = data(xs, "f32"), data(ws, "f32")
    result = run1(conv_text(xs, ws, stride, padding, dilation, "f32"), x, w)
    expected = torch.nn.functional.conv2d(
        torch.from_numpy(x), torch.from_numpy(w), stride=stride, padding=padding,
        dilation=dilation,
    )
    close(result, expected.numpy(), "f32")


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_pool2d_matches_torch(kind, case):
    torch = pytest.importorskip("torch")
    xs, kernel, stride, padding = case
    x = data(xs, "f32")
    result = run1(pool_text(kind, xs, kernel, stride, padding, "f32"), x)
    if kind == "max":
        expected = torch.nn.functional.max_pool2d(torch.from_numpy(x), kernel, stride, padding)
    else:
        expected = torch.nn.functional.avg_pool2d(
            torch.from_numpy(x), kernel, stride, padding, count_include_pad=True
        )
    close(result, expected.numpy(), "f32")
