"""Runs one compiled kernel in a process of its own: the C target's measurement worker.

    python measure_worker.py REQUEST.json

The request names the shared library, the function, its parameters (name, shape, dtype,
whether it is an output), an `.npz` of the inputs, where to write the outputs, and how to
time: `repeat` samples after one warm-up call, each sample the mean of enough calls to last
`min_sample_s`. It prints one JSON line, {"median": seconds, "samples": [...]}; the parent
reads a crash from the exit status and a hang from its time-out. Only NumPy and ctypes are
imported, so a run costs little more than the kernel itself.
"""

import ctypes
import json
import math
import statistics
import sys
import time

import numpy as np


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        request = json.load(f)
    library = ctypes.CDLL(request["library"])
    function = getattr(library, request["symbol"])
    function.restype = None
    inputs = np.load(request["inputs"])
    arrays, outputs = [], []
    for param in request["params"]:
        if param["out"]:
            array = np.zeros(param["shape"], dtype=param["dtype"])
            outputs.append(array)
        else:
            array = np.ascontiguousarray(inputs[param["name"]], dtype=param["dtype"])
        arrays.append(array)
    function.argtypes = [ctypes.c_void_p] * len(arrays)
    pointers = [a.ctypes.data for a in arrays]

    def call():
        function(*pointers)

    call()  # the result, and the warm-up
    np.savez(request["output"], *[o.copy() for o in outputs])
    samples = []
    repeat = int(request.get("repeat", 0))
    if repeat:
        started = time.perf_counter()
        call()
        once = max(time.perf_counter() - started, 1e-9)
        number = max(1, math.ceil(float(request.get("min_sample_s", 0.0)) / once))
        for _ in range(repeat):
            started = time.perf_counter()
            for _ in range(number):
                call()
            samples.append((time.perf_counter() - started) / number)
    print(json.dumps({"median": statistics.median(samples) if samples else None,
                      "samples": samples}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
