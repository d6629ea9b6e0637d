"""The C target: `emitter` prints loop-level IR as C99, `build` compiles it to a cached
shared library, `runner` calls it on NumPy arrays, `sanitize` runs it under ASan and UBSan.

The usual entry points are re-exported here, imported on first use so that loading the
emitter (as `tessera-opt -t c` does) does not import NumPy or ctypes.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "emit_c": "tessera.targets.c.emitter",
    "c_signatures": "tessera.targets.c.signatures",
    "CTarget": "tessera.targets.c.emitter",
    "build_shared_library": "tessera.targets.c.build",
    "compile_module": "tessera.targets.c.runner",
    "CModule": "tessera.targets.c.runner",
    "CFunction": "tessera.targets.c.runner",
    "median_seconds": "tessera.targets.c.runner",
    "set_num_threads": "tessera.targets.c.runner",
    "run_sanitized": "tessera.targets.c.sanitize",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
