"""A stand-in for CuPy over NumPy and host memory, for testing the CUDA target's measurement
plumbing (targets/cuda/tuning.py, measure_worker.py, bench/cuda.py) without a GPU.

The "device" is the host: arrays are NumPy arrays whose `.data.ptr` is their host address, so
a launcher built for the CPU emulation (`build.build_emulated`) runs on them; events read the
host clock. Only what those modules call is here. tests/targets/test_cuda_tuning.py puts this
folder first on sys.path and PYTHONPATH; nothing else sees it.
"""

from __future__ import annotations

import time

import numpy as np

__version__ = "0.0+fake"
DEVICE_NAME = "Fake GPU (host memory, CPU emulation)"


class _Pointer:
    def __init__(self, array: np.ndarray):
        self.ptr = array.ctypes.data


class ndarray:  # noqa: N801 - CuPy's name
    def __init__(self, host: np.ndarray):
        self._host = np.ascontiguousarray(host)
        self.data = _Pointer(self._host)
        self.shape, self.dtype = self._host.shape, self._host.dtype


def zeros(shape, dtype=np.float64) -> ndarray:
    return ndarray(np.zeros(shape, dtype))


def empty(shape, dtype=np.float64) -> ndarray:
    return ndarray(np.empty(shape, dtype))


def asarray(a) -> ndarray:
    return ndarray(np.array(a, copy=True))


def asnumpy(a: ndarray) -> np.ndarray:
    return a._host.copy()


def matmul(a: ndarray, b: ndarray, out: ndarray) -> ndarray:
    np.matmul(a._host, b._host, out=out._host)
    return out


class cuda:  # noqa: N801 - CuPy's module
    class runtime:  # noqa: N801
        @staticmethod
        def getDeviceCount() -> int:  # noqa: N802
            return 1

        @staticmethod
        def getDeviceProperties(device: int) -> dict:  # noqa: N802
            return {"name": DEVICE_NAME.encode(), "totalGlobalMem": 1 << 30,
                    "multiProcessorCount": 1}

        @staticmethod
        def driverGetVersion() -> int:  # noqa: N802
            return 0

        @staticmethod
        def runtimeGetVersion() -> int:  # noqa: N802
            return 0

    class Device:
        id = 0
        compute_capability = "80"

        def synchronize(self) -> None:
            pass

    class Event:
        def __init__(self):
            self.time = 0.0

        def record(self) -> None:
            self.time = time.perf_counter()

        def synchronize(self) -> None:
            pass

    @staticmethod
    def get_elapsed_time(start, end) -> float:
        return (end.time - start.time) * 1e3
