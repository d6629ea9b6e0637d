"""The host CPU as the default heuristic sees it: vector width, registers, caches, cores.

Read from Linux's /proc/cpuinfo and /sys/devices/system/cpu; anything missing falls back to
a conservative x86-64 (SSE, 32 KiB L1, 256 KiB L2, 8 MiB L3). `TESSERA_VECTOR_BYTES`
overrides the vector width, for experiments and for generating code for a narrower machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    vector_bytes: int = 16
    vector_registers: int = 16
    l1_bytes: int = 32 << 10
    l2_bytes: int = 256 << 10
    l3_bytes: int = 8 << 20
    cores: int = 1

    def lanes(self, element_bytes: int) -> int:
        return max(1, self.vector_bytes // element_bytes)


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def _size(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    return int(text.rstrip("KMG") or 0) * scale


def _caches() -> dict[int, int]:
    sizes: dict[int, int] = {}
    root = Path("/sys/devices/system/cpu/cpu0/cache")
    for index in sorted(root.glob("index*")):
        try:
            if (index / "type").read_text().strip() == "Instruction":
                continue
            sizes[int((index / "level").read_text())] = _size((index / "size").read_text())
        except (OSError, ValueError):
            continue
    return sizes


@lru_cache(maxsize=1)
def host() -> Machine:
    flags = _cpu_flags()
    if "avx512f" in flags:
        vector_bytes, registers = 64, 32
    elif "avx2" in flags or "avx" in flags:
        vector_bytes, registers = 32, 16
    else:
        vector_bytes, registers = 16, 16
    override = os.environ.get("TESSERA_VECTOR_BYTES")
    if override and override.isdigit() and int(override) in (16, 32, 64):
        vector_bytes = int(override)
        registers = 32 if vector_bytes == 64 else 16
    caches = _caches()
    fallback = Machine()
    return Machine(
        vector_bytes=vector_bytes,
        vector_registers=registers,
        l1_bytes=caches.get(1, fallback.l1_bytes),
        l2_bytes=caches.get(2, fallback.l2_bytes),
        l3_bytes=caches.get(3, fallback.l3_bytes),
        cores=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count() or 1,
    )
