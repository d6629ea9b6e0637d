"""How a result is judged against the reference: exact for integers, fp tolerance for floats."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# float32 results of long reductions differ from the reference by a few ulps per term.
TOLERANCE = {np.dtype(np.float32): (1e-4, 1e-5), np.dtype(np.float64): (1e-10, 1e-12)}


@dataclass(frozen=True)
class Agreement:
    max_abs: float
    max_rel: float
    ok: bool

    def __str__(self) -> str:
        verdict = "agrees" if self.ok else "DISAGREES"
        return f"{verdict}: max abs err {self.max_abs:.3g}, max rel err {self.max_rel:.3g}"


def compare(result: np.ndarray, reference: np.ndarray) -> Agreement:
    """Compare one output with the reference output (NaNs must match NaNs)."""
    result, reference = np.asarray(result), np.asarray(reference)
    if result.shape != reference.shape or result.dtype != reference.dtype:
        return Agreement(float("inf"), float("inf"), False)
    if result.size == 0:
        return Agreement(0.0, 0.0, True)
    if reference.dtype.kind in "iu":
        diff = np.abs(result.astype(np.int64) - reference.astype(np.int64))
        return Agreement(float(diff.max()), float(diff.max()), bool((diff == 0).all()))
    nan_ok = np.array_equal(np.isnan(result), np.isnan(reference))
    finite = np.isfinite(reference) & np.isfinite(result)
    inf_ok = np.array_equal(result[~finite & ~np.isnan(reference)],
                            reference[~finite & ~np.isnan(reference)])
    r, ref = result[finite].astype(np.float64), reference[finite].astype(np.float64)
    diff = np.abs(r - ref)
    max_abs = float(diff.max()) if diff.size else 0.0
    max_rel = float((diff / np.maximum(np.abs(ref), 1e-30)).max()) if diff.size else 0.0
    rtol, atol = TOLERANCE.get(reference.dtype, (1e-4, 1e-5))
    scale = float(np.abs(ref).max()) if ref.size else 0.0
    close = bool(np.all(diff <= atol * max(scale, 1.0) + rtol * np.abs(ref)))
    return Agreement(max_abs, max_rel, nan_ok and inf_ok and close)


def random_inputs(shapes_dtypes, seed: int) -> list[np.ndarray]:
    """Seeded inputs: standard normal floats, small integers (so products stay exact)."""
    rng = np.random.default_rng(seed)
    out = []
    for shape, dtype in shapes_dtypes:
        dtype = np.dtype(dtype)
        if dtype.kind == "f":
            out.append(rng.standard_normal(shape).astype(dtype))
        else:
            out.append(rng.integers(-8, 9, size=shape).astype(dtype))
    return out
