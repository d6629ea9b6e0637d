"""The NPU's configuration: the systolic array, its memories, its DMA and its vector unit.

    NpuConfig()                                   # the 16×16 Gemmini-like default
    NpuConfig.preset("tpu-128")                   # a 128×128 TPU-like array
    NpuConfig.load("my-npu.toml")                 # a TOML or JSON file of the fields below
    NpuConfig.parse("gemmini,rows=32,cols=32,dataflow=ws")   # CLI form: a preset, then fields

Sizes are in bytes; `dataflow` is `os` (output-stationary: M×N spatial, K in time), `ws`
(weight-stationary: K×N spatial, M in time) or `is` (input-stationary: K×M spatial, N in
time); `dtype` is the element type the array multiplies (`f32`, or `i8` with `i32`
accumulation, requantized by `scale` on the way out).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from tessera.compiler.diagnostics import TesseraError

DATAFLOWS = ("os", "ws", "is")
DTYPES = {"f32": ("f32", 4, 4), "i8": ("i32", 1, 4)}  # dtype: (accumulator, bytes, acc bytes)


@dataclass(frozen=True)
class NpuConfig:
    rows: int = 16
    cols: int = 16
    dataflow: str = "os"
    sp_bytes: int = 256 << 10  # scratchpad
    acc_bytes: int = 64 << 10  # accumulator memory
    dma_bytes_per_cycle: int = 16
    dma_latency: int = 100  # cycles before the first byte of a transfer
    vector_lanes: int = 16
    dtype: str = "f32"
    scale: float = 1.0  # requantization scale of int8 results
    clock_ghz: float = 1.0  # for time estimates

    def __post_init__(self):
        problems = []
        for f in ("rows", "cols", "sp_bytes", "acc_bytes", "dma_bytes_per_cycle",
                  "vector_lanes"):
            value = getattr(self, f)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"{f} must be a positive integer, got {value!r}")
        if not isinstance(self.dma_latency, int) or self.dma_latency < 0:
            problems.append(f"dma_latency must be a non-negative integer, got "
                            f"{self.dma_latency!r}")
        if self.dataflow not in DATAFLOWS:
            problems.append(f"dataflow must be one of {', '.join(DATAFLOWS)}, got "
                            f"{self.dataflow!r}")
        if self.dtype not in DTYPES:
            problems.append(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if not self.clock_ghz > 0 or not self.scale > 0:
            problems.append("clock_ghz and scale must be positive")
        if problems:
            raise TesseraError("npu config: " + "; ".join(problems))

    # -- derived ----------------------------------------------------------------------------

    @property
    def acc_dtype(self) -> str:
        return DTYPES[self.dtype][0]

    @property
    def element_bytes(self) -> int:
        return DTYPES[self.dtype][1]

    @property
    def acc_element_bytes(self) -> int:
        return DTYPES[self.dtype][2]

    @property
    def sp_elements(self) -> int:
        return self.sp_bytes // self.element_bytes

    @property
    def acc_elements(self) -> int:
        return self.acc_bytes // self.acc_element_bytes

    def seconds(self, cycles: int) -> float:
        return cycles / (self.clock_ghz * 1e9)

    # -- reading and writing ----------------------------------------------------------------

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def preset(name: str) -> NpuConfig:
        if name not in PRESETS:
            raise TesseraError(f"npu config: no preset '{name}' (presets: "
                               f"{', '.join(PRESETS)})")
        return PRESETS[name]

    @staticmethod
    def from_mapping(data: dict, base: NpuConfig | None = None,
                     where: str = "npu config") -> NpuConfig:
        base = base or NpuConfig()
        known = {f.name: f.type for f in fields(NpuConfig)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise TesseraError(f"{where}: unknown field(s) {', '.join(unknown)} (fields: "
                               f"{', '.join(known)})")
        values = {}
        for key, value in data.items():
            want = type(getattr(base, key))
            if want is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, want) or isinstance(value, bool):
                raise TesseraError(f"{where}: {key} must be {want.__name__}, got {value!r}")
            values[key] = value
        return replace(base, **values)

    @staticmethod
    def load(path: str | Path) -> NpuConfig:
        """A TOML (`.toml`) or JSON file; `preset = "tpu-128"` starts from a preset."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except OSError as e:
            raise TesseraError(f"cannot read the npu config {path}: {e.strerror}") from None
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
            raise TesseraError(f"{path}: not a valid npu config: {e}") from None
        if not isinstance(data, dict):
            raise TesseraError(f"{path}: an npu config is a table of fields")
        base = NpuConfig.preset(data.pop("preset")) if "preset" in data else None
        return NpuConfig.from_mapping(data, base, str(path))

    @staticmethod
    def parse(text: str) -> NpuConfig:
        """The CLI form: a file path, or comma-separated items, each a preset name or
        `field=value`, applied left to right (`tpu-128,dataflow=ws`)."""
        if text.endswith((".toml", ".json")):
            return NpuConfig.load(text)
        config = NpuConfig()
        for item in filter(None, (part.strip() for part in text.split(","))):
            if "=" not in item:
                config = NpuConfig.preset(item)
                continue
            key, _, value = item.partition("=")
            config = NpuConfig.from_mapping({key.strip(): _scalar(value.strip())}, config,
                                            f"npu config '{text}'")
        return config


def _scalar(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


PRESETS: dict[str, NpuConfig] = {
    # Gemmini's default: a 16×16 array, 256 KiB scratchpad, 64 KiB accumulator.
    "gemmini": NpuConfig(),
    # TPU-like arrays: the TPU v1 had 256×256 with 24 MiB of unified buffer and 4 MiB of
    # accumulators; a 128×128 array is the matrix unit of later TPUs.
    "tpu-128": NpuConfig(rows=128, cols=128, sp_bytes=16 << 20, acc_bytes=2 << 20,
                         dma_bytes_per_cycle=64, dma_latency=200, vector_lanes=128),
    "tpu-256": NpuConfig(rows=256, cols=256, sp_bytes=24 << 20, acc_bytes=4 << 20,
                         dma_bytes_per_cycle=128, dma_latency=200, vector_lanes=256),
}
