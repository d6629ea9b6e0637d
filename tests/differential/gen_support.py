"""What the differential generator's parts share: size choices, magnitude limits and small
shape helpers."""

from __future__ import annotations

import random

SIZES = (1, 2, 3, 4, 5, 7, 8, 11, 13, 16)
BIG = (17, 31, 33, 64, 67)  # now and then, past the default tile sizes
SPATIAL = (1, 3, 5, 7, 8, 11, 13, 16)
MAX_ELEMS = 4096
INDEX_NAMES = "ijklmnpq"
# The rough magnitude of a standard-normal input (the test's inputs are `example_inputs`).
INPUT_MAG = 4.0
INT_INPUT_MAG = 8  # example_inputs draws integers from [-8, 8]
INT_LIMIT = 2 ** 20  # i32 values are clamped before they could overflow
# Rank-0 *parameters* are off: the Python API turns a 0-d argument into shape (1,) on every
# target (`coerce` calls np.ascontiguousarray), see regressions/9175bc11c776.tsr. Rank-0
# values inside a program (full reductions, `s[] +=! ...`) and rank-0 results are generated.
RANK0_PARAMS = True
SCALES = ("0.0625", "0.03125", "0.125", "0.015625", "0.1", "0.05", "0.3", "1.0")


# ---- generation ------------------------------------------------------------------------


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    out = []
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + a
    b = (1,) * (n - len(b)) + b
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(out)


def _factor(n: int) -> list[int]:
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def _pair(rng: random.Random, a: int, b: int, default: int | None) -> str | None:
    """An int or an [h, w] pair as DSL text; None when it is the default and left out."""
    if a == b:
        if default is not None and a == default and rng.random() < 0.5:
            return None
        return f"[{a}, {a}]" if rng.random() < 0.2 else str(a)
    return f"[{a}, {b}]"


def _num(x: float) -> str:
    return repr(float(x))
