"""Gathering any affine access pattern into a few strided DMA moves.

An NPU lowering knows, for each element of a local region, which DRAM element it needs (an
im2col row of a convolution, a pooling window's corner, a broadcast bias, a flattened
tensor). `gather` turns that list of offsets into `mvin`s: it splits it into runs where the
offsets step by a constant (the column stride: 1 for contiguous, 0 for a broadcast, 2 for a
stride-2 window), then stacks runs of equal length and step whose starts step by a constant
too into one multi-row move. A regular pattern becomes one move; an irregular one still
moves right, in more moves.
"""

from __future__ import annotations

import numpy as np

from tessera.dialects.npu import Mvin, Mvout, Region


def runs(offsets: np.ndarray, contiguous: bool = False) -> list[tuple[int, int, int, int]]:
    """(first index, first offset, length, step) of each maximal arithmetic run, step ≥ 0
    (only step 1 when `contiguous`)."""
    offsets = np.asarray(offsets, dtype=np.int64)
    n = len(offsets)
    out = []
    i = 0
    diffs = np.diff(offsets)
    while i < n:
        if i + 1 < n and diffs[i] >= 0 and (not contiguous or diffs[i] == 1):
            step = int(diffs[i])
            j = i + 1
            # extend while the next difference equals the step
            rest = diffs[i:]
            breaks = np.nonzero(rest != step)[0]
            j = i + 1 + (int(breaks[0]) if len(breaks) else len(rest))
        else:
            step, j = 1, i + 1
        out.append((i, int(offsets[i]), j - i, step))
        i = j
    return out


def gather(dram: str, offsets: np.ndarray, dest: Region) -> list[Mvin]:
    """`mvin`s that fill `dest` (row-major) with dram[offsets[e]] for each element e."""
    return [Mvin(region, dram, offset, stride, step)
            for region, offset, stride, step in _moves(offsets, dest, contiguous=False)]


def scatter(dram: str, offsets: np.ndarray, source: Region, act: str = "none",
            scale: float = 1.0) -> list[Mvout]:
    """`mvout`s that store each element e of `source` at dram[offsets[e]] (a move out has
    no column stride: runs must be contiguous)."""
    return [Mvout(region, dram, offset, stride, act, scale)
            for region, offset, stride, _ in _moves(offsets, source, contiguous=True)]


def _moves(offsets: np.ndarray, local: Region, contiguous: bool):
    """(local sub-region, DRAM offset, row stride, column stride) of each move."""
    offsets = np.asarray(offsets, dtype=np.int64).reshape(-1)
    if offsets.size != local.size:
        raise ValueError(f"{offsets.size} offsets for a region of {local.size} elements")
    dest = local
    pieces = runs(offsets, contiguous)
    moves = []
    k = 0
    while k < len(pieces):
        start, src, length, step = pieces[k]
        rows, row_stride = 1, 0
        if k + 1 < len(pieces) and pieces[k + 1][2] == length and pieces[k + 1][3] == step:
            row_stride = pieces[k + 1][1] - src
            while (row_stride >= 0 and k + rows < len(pieces)
                   and pieces[k + rows][2] == length and pieces[k + rows][3] == step
                   and pieces[k + rows][1] - pieces[k + rows - 1][1] == row_stride):
                rows += 1
            if row_stride < 0:
                rows, row_stride = 1, 0
        moves.append((Region(dest.memory, dest.addr + start, rows, length), src,
                      row_stride if rows > 1 else length * max(step, 1), step))
        k += rows
    return moves
