"""Runs one CUDA launcher in a process of its own: the CUDA target's measurement worker.

    python measure_worker.py REQUEST.json

The request names the shared library (built by `build.build_gpu_library`), the launcher
(`tsr_kernel`), its parameters (name, shape, dtype, whether it is an output), an `.npz` of the
inputs (`arr_0`, `arr_1`, ... in the order of the input parameters), where to write the
outputs, and how to time: `repeat` samples after one warm-up call, each sample the mean of
enough calls to last `min_sample_s`, timed with CUDA events on the default stream.

The inputs are copied to the device once; the outputs start as zeros on the device. The
first call gives the result (copied back and written to the output `.npz`), a second call is
the warm-up, then the samples. It prints one JSON line, {"median": seconds, "samples":
[...]}. A launcher that returns a CUDA error exits with status 3 and the error on stderr;
the parent reads a crash from the exit status and a hang from its time-out.

Only NumPy, ctypes and CuPy are imported, so a run costs little more than the kernel, CuPy's
import and the CUDA context. `bench/cuda.py` uses `Launcher` and `time_call` to time
Tessera's kernels beside cuBLAS and cuDNN the same way.
"""

import ctypes
import json
import math
import statistics
import sys

import numpy as np


class Launcher:
    """A launcher of a loaded library bound to device arrays: `call()` runs it (a CUDA
    error is a RuntimeError), `outputs()` copies the output parameters back to the host."""

    def __init__(self, library: str, symbol: str, params: list, inputs: list):
        import cupy

        self.cupy = cupy
        self.dll = ctypes.CDLL(library)
        self.symbol = symbol
        self.function = getattr(self.dll, symbol)
        self.function.restype = ctypes.c_int
        self.function.argtypes = [ctypes.c_void_p] * len(params)
        given = iter(inputs)
        self.arrays, self.out = [], []
        for param in params:
            if param["out"]:
                array = cupy.zeros(tuple(param["shape"]), dtype=param["dtype"])
                self.out.append(array)
            else:
                host = np.ascontiguousarray(next(given), dtype=param["dtype"])
                array = cupy.asarray(host)
            self.arrays.append(array)
        self.pointers = [a.data.ptr for a in self.arrays]
        cupy.cuda.Device().synchronize()  # the copies in are done before the first call

    def call(self) -> None:
        code = self.function(*self.pointers)
        if code != 0:
            raise RuntimeError(f"{self.symbol}: {self.error_string(code)}")

    def error_string(self, code: int) -> str:
        helper = getattr(self.dll, "tessera_cuda_error_string", None)
        if helper is None:
            return f"CUDA error {code}"
        helper.restype = ctypes.c_char_p
        helper.argtypes = [ctypes.c_int]
        return f"{helper(code).decode(errors='replace')} (error {code})"

    def outputs(self) -> list:
        self.cupy.cuda.Device().synchronize()
        return [self.cupy.asnumpy(a) for a in self.out]


def time_call(call, repeat: int, min_sample_s: float = 0.0, warmup: int = 1) -> list:
    """`repeat` samples in seconds of `call` (which enqueues work on the default stream),
    each the mean of enough calls to last `min_sample_s`, timed with CUDA events after
    `warmup` calls."""
    import cupy

    start, end = cupy.cuda.Event(), cupy.cuda.Event()

    def timed(number: int) -> float:
        start.record()
        for _ in range(number):
            call()
        end.record()
        end.synchronize()
        return cupy.cuda.get_elapsed_time(start, end) / 1e3 / number

    for _ in range(warmup):
        call()
    cupy.cuda.Device().synchronize()
    if not repeat:
        return []
    once = max(timed(1), 1e-7)
    number = max(1, math.ceil(min_sample_s / once))
    return [timed(number) for _ in range(repeat)]


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        request = json.load(f)
    data = np.load(request["inputs"])
    inputs = [data[f"arr_{i}"] for i in range(len(data.files))]
    try:
        launcher = Launcher(request["library"], request["symbol"], request["params"], inputs)
        launcher.call()  # the result
        outputs = launcher.outputs()
        np.savez(request["output"], *outputs)
        samples = time_call(launcher.call, int(request.get("repeat", 0)),
                            float(request.get("min_sample_s", 0.0)), warmup=1)
    except RuntimeError as e:
        print(f"cuda: {e}", file=sys.stderr)
        return 3
    print(json.dumps({"median": statistics.median(samples) if samples else None,
                      "samples": samples}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
