"""NumPy and PyTorch versions of the benchmark cases.

Each `numpy_*`/`torch_*` takes the case's inputs (NumPy arrays, in the `.tsr` parameter order)
and returns a call without arguments that computes the result; conversions, and outputs where
the library lets us pass them, happen once, outside the timed call. The NumPy versions are plain
vectorised NumPy: every matmul and convolution goes to BLAS (a convolution as im2col + matmul).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


# --- NumPy ---------------------------------------------------------------------------------

def conv2d(x: np.ndarray, w: np.ndarray, padding: int = 0) -> np.ndarray:
    """NCHW x OIHW, stride 1: im2col (a copy of the windows) and one batched matmul."""
    if padding:
        p = padding
        x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    n, c, _, _ = x.shape
    k, _, kh, kw = w.shape
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))  # n, c, oh, ow, kh, kw
    oh, ow = windows.shape[2:4]
    cols = windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)
    return (w.reshape(k, c * kh * kw) @ cols).reshape(n, k, oh, ow)


def maxpool2(x: np.ndarray) -> np.ndarray:
    """2x2 max pooling, stride 2 (even heights and widths)."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0, out=x)  # in place: every caller passes a fresh temporary


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def mlp(x, w1, b1, w2):
    """examples/mlp.tsr: softmax(relu(x @ w1 + b1) @ w2, axis=1)."""
    return softmax(relu(x @ w1 + b1) @ w2, axis=1)


def lenet5(x, c1, b1, c2, b2, f1, g1, f2, g2, f3, g3):
    """examples/lenet5.tsr: two conv 5x5 + ReLU + maxpool 2 stages, three dense layers."""
    y = maxpool2(relu(conv2d(x, c1) + b1[:, None, None]))
    y = maxpool2(relu(conv2d(y, c2) + b2[:, None, None]))
    h = y.reshape(y.shape[0], -1)
    h = relu(h @ f1 + g1)
    h = relu(h @ f2 + g2)
    return h @ f3 + g3


def attention(q, k, v):
    """examples/attention.tsr: softmax(q @ k^T / sqrt(d)) @ v."""
    return softmax(q @ k.T / np.sqrt(np.float32(q.shape[1])), axis=-1) @ v


def numpy_matmul(inputs):
    a, b = inputs
    out = np.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
    return lambda: np.matmul(a, b, out=out)


def numpy_conv_pad1(inputs):
    x, w = inputs
    return lambda: conv2d(x, w, padding=1)


def numpy_mlp(inputs):
    return lambda: mlp(*inputs)


def numpy_lenet5(inputs):
    return lambda: lenet5(*inputs)


def numpy_attention(inputs):
    return lambda: attention(*inputs)


# --- PyTorch (CPU) ------------------------------------------------------------------------

def _tensors(inputs):
    import torch

    return torch, [torch.from_numpy(np.ascontiguousarray(a)) for a in inputs]


def torch_matmul(inputs):
    torch, (a, b) = _tensors(inputs)
    out = torch.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
    return lambda: torch.matmul(a, b, out=out)


def torch_conv_pad1(inputs):
    torch, (x, w) = _tensors(inputs)
    conv = torch.nn.functional.conv2d
    return lambda: conv(x, w, padding=1)


def torch_mlp(inputs):
    torch, (x, w1, b1, w2) = _tensors(inputs)
    return lambda: torch.softmax(torch.relu(x @ w1 + b1) @ w2, dim=1)


def torch_attention(inputs):
    torch, (q, k, v) = _tensors(inputs)
    scale = float(q.shape[1]) ** -0.5
    return lambda: torch.softmax(q @ k.T * scale, dim=-1) @ v


def torch_lenet5(inputs):
    torch, (x, c1, b1, c2, b2, f1, g1, f2, g2, f3, g3) = _tensors(inputs)
    F = torch.nn.functional

    def run():
        y = F.max_pool2d(torch.relu(F.conv2d(x, c1, b1)), 2)
        y = F.max_pool2d(torch.relu(F.conv2d(y, c2, b2)), 2)
        h = torch.flatten(y, 1)
        h = torch.relu(torch.addmm(g1, h, f1))
        h = torch.relu(torch.addmm(g2, h, f2))
        return torch.addmm(g3, h, f3)

    return run
