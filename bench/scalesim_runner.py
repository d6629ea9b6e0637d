"""Run SCALE-Sim (PyPI `scalesim` 3.0.0) on GEMM and conv layers; JSON in, JSON out.

    .venv-scalesim/bin/python bench/scalesim_runner.py request.json   # or `-` for stdin

This file runs in SCALE-Sim's own virtual environment (`make scalesim`: scalesim needs
numpy < 2.4), called by bench/npu.py through a subprocess; it imports neither tessera nor
anything of bench/. The request:

    {"rows": 32, "cols": 32, "dataflow": "os",                 # os | ws | is
     "ifmap_sram_kb": 256, "filter_sram_kb": 256, "ofmap_sram_kb": 128,   # optional
     "layers": [{"name": "gemm-512", "kind": "gemm", "M": 512, "K": 512, "N": 512},
                {"name": "lenet-c1", "kind": "conv", "H": 32, "W": 32, "R": 5, "S": 5,
                 "C": 3, "K": 6, "stride": 1}]}

and the answer (stdout; everything scalesim prints goes to stderr):

    {"scalesim": "3.0.0", "numpy": "2.3.5", "python": "3.11.7", "rows": 32, ...,
     "layers": [{<the layer as requested>, "gemm": {"M": ..., "K": ..., "N": ...},
                 "total_cycles": ...,
                 "compute_cycles": ..., "stall_cycles": ..., "overall_util_pct": ...,
                 "mapping_efficiency_pct": ..., "compute_util_pct": ...,
                 "sim_seconds": ...} | {"name": ..., "error": "..."}]}

How scalesim is driven. Each layer is its own run: a config file and a one-layer topology
file are written to a temporary folder and `scalesim.scale_sim.scalesim(save_disk_space=True,
verbose=False, config=..., topology=..., layout=..., input_type_gemm=...)` is built, then
`run_scale(top_path=...)` runs it. `sim_seconds` is the wall-clock time of `run_scale` alone
(time.perf_counter around it: no interpreter start, no imports, no file parsing); it
includes scalesim writing its three report CSVs (tiny), not the traces (save_disk_space=True
turns them off).

- Mode: `InterfaceBandwidth = CALC`, scalesim's "estimate bandwidth" mode. Its read buffers
  (memory/read_buffer_estimate_bw.py) answer every read as a hit ("In estimate mode,
  operation is stall free"), so the ifmap and filter never stall; the ofmap write buffer
  drains to DRAM at `ArrayWidth` words per cycle and could in principle stall (reported in
  `stall_cycles`; 0 on every layer we ran). This is the mode closest to pure compute: in
  `USER` mode the DRAM bandwidths given in the config add stall cycles. No sparsity, no custom
  layouts, no Ramulator.
- A GEMM uses scalesim's GEMM topology mode (`input_type_gemm=True`, the CLI's `-i gemm`): a
  CSV whose rows are `name, M, N, K,` (note the order, and the trailing comma that scalesim's
  parser needs). scalesim turns it into a convolution itself (topology_utils.load_arrays_gemm):
  ifmap M×K, filter 1×K, 1 channel, N filters, stride 1. So M = output pixels (rows of the
  im2col operand), K = the window (reduction), N = filters.
- A conv uses the conv topology mode: rows `name, ifmap H, ifmap W, filter R, filter S,
  channels C, num filters K, stride,` (the stride is used for both directions). scalesim has
  no padding: a padded conv is given its padded ifmap (a 3×3 "same" conv on 56×56 is H = W =
  58). Its GEMM view is M = OH·OW, K = R·S·C, N = K filters (scalesim's operand matrices are
  exactly this im2col view); the answer gives them as `gemm`. Careful with strides: scalesim
  takes OH = ⌈(H − R + stride) / stride⌉, one more than the usual ⌊(H − R) / stride⌋ + 1
  when the stride does not divide H − R.

Which report fields are read: COMPUTE_REPORT.csv, written by simulator.generate_reports()
from single_layer_sim.get_compute_report_items(), has the columns

    LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %,
    Mapping Efficiency %, Compute Util %

which scalesim's own verbose output prints as "Total cycles", "Compute cycles", "Stall
cycles", "Overall utilization", "Mapping efficiency" (its labels differ from the CSV's).
They map to the answer's fields as:

- `total_cycles` = "Total Cycles (incl. prefetch)" (verbose "Total cycles"):
  `ofmap DRAM stop cycle - min(ifmap, filter DRAM start cycle)`, i.e. compute plus the
  initial fill of the SRAMs from DRAM before the first compute cycle (the prefetch starts at a
  negative cycle) and the final ofmap drain.
- `compute_cycles` = "Total Cycles" (verbose "Compute cycles"): the memory system's
  `get_total_compute_cycles()` = the largest cycle at which a row of the ofmap demand matrix
  was serviced. The demand matrices have one row per array cycle (skewed operands, fill and
  drain included), and row i is issued at cycle i + stalls so far, so with no stalls this is
  (number of demand rows) - 1: one less than the closed form folds·(per-fold cycles).
- `stall_cycles` = "Stall Cycles"; `overall_util_pct` = "Overall Util %" (MACs·100 /
  (compute_cycles · rows · cols)); `mapping_efficiency_pct` = "Mapping Efficiency %" (mean
  over folds of the used PEs / all PEs); `compute_util_pct` = "Compute Util %".

The values are read from COMPUTE_REPORT.csv of the run (one row: the run has one layer).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

DATAFLOWS = ("os", "ws", "is")
DEFAULT_SRAM_KB = {"ifmap_sram_kb": 256, "filter_sram_kb": 256, "ofmap_sram_kb": 128}
RUN_NAME = "run"

# COMPUTE_REPORT.csv column -> field of the answer
REPORT_FIELDS = {
    "Total Cycles (incl. prefetch)": "total_cycles",
    "Total Cycles": "compute_cycles",
    "Stall Cycles": "stall_cycles",
    "Overall Util %": "overall_util_pct",
    "Mapping Efficiency %": "mapping_efficiency_pct",
    "Compute Util %": "compute_util_pct",
}
INTEGER_FIELDS = ("total_cycles", "compute_cycles", "stall_cycles")

CONFIG_TEMPLATE = """\
[general]
run_name = {run_name}

[architecture_presets]
ArrayHeight = {rows}
ArrayWidth = {cols}
IfmapSramSzkB = {ifmap_sram_kb}
FilterSramSzkB = {filter_sram_kb}
OfmapSramSzkB = {ofmap_sram_kb}
IfmapOffset = 0
FilterOffset = 10000000
OfmapOffset = 20000000
Bandwidth = 10
Dataflow = {dataflow}
ReadRequestBuffer = 32
WriteRequestBuffer = 32

[layout]
IfmapCustomLayout = False
IfmapSRAMBankBandwidth = 10
IfmapSRAMBankNum = 10
IfmapSRAMBankPort = 2
FilterCustomLayout = False
FilterSRAMBankBandwidth = 10
FilterSRAMBankNum = 10
FilterSRAMBankPort = 2

[sparsity]
SparsitySupport = false
SparseRep = ellpack_block
OptimizedMapping = false
BlockSize = 8
RandomNumberGeneratorSeed = 40

[run_presets]
InterfaceBandwidth = CALC
UseRamulatorTrace = False
"""

GEMM_HEADER = "Layer, M, N, K,\n"
CONV_HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
               "Num Filter, Strides,\n")
# scalesim always opens a layout file; a header alone is a valid one (custom layouts are off).
LAYOUT_HEADER = ("Layer name, IFMAP Height Intraline Factor, IFMAP Width Intraline Factor, "
                 "Filter Height Intraline Factor, Filter Width Intraline Factor, "
                 "Channel Intraline Factor, Num Filter Intraline Factor,\n")


class RequestError(ValueError):
    pass


# --- the request --------------------------------------------------------------------------

def _positive_int(where: str, data: dict, key: str, default=None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RequestError(f"{where}: '{key}' must be a positive integer, got {value!r}")
    return value


def gemm_view(layer: dict) -> tuple[int, int, int]:
    """(M, K, N) of a layer as scalesim simulates it: a conv's im2col view is M = OH·OW,
    K = R·S·C, N = filters, with scalesim's output size ⌈(H − R + stride) / stride⌉
    (topology_utils.topo_calc_hyperparams), which rounds *up* where the usual
    ⌊(H − R) / stride⌋ + 1 rounds down (they agree when stride divides H − R)."""
    if layer["kind"] == "gemm":
        return layer["M"], layer["K"], layer["N"]
    stride = layer["stride"]
    oh = -(-(layer["H"] - layer["R"] + stride) // stride)
    ow = -(-(layer["W"] - layer["S"] + stride) // stride)
    return oh * ow, layer["R"] * layer["S"] * layer["C"], layer["K"]


def check_request(request: dict) -> dict:
    """The request with its defaults filled in; RequestError when it is malformed."""
    if not isinstance(request, dict):
        raise RequestError("the request is a JSON object")
    out = {"rows": _positive_int("request", request, "rows"),
           "cols": _positive_int("request", request, "cols")}
    dataflow = request.get("dataflow")
    if dataflow not in DATAFLOWS:
        raise RequestError(f"request: 'dataflow' must be one of {', '.join(DATAFLOWS)}, "
                           f"got {dataflow!r}")
    out["dataflow"] = dataflow
    for key, default in DEFAULT_SRAM_KB.items():
        out[key] = _positive_int("request", request, key, default)
    layers = request.get("layers")
    if not isinstance(layers, list) or not layers:
        raise RequestError("request: 'layers' must be a non-empty list")
    out["layers"] = []
    for i, layer in enumerate(layers):
        where = f"layer {i}"
        if not isinstance(layer, dict):
            raise RequestError(f"{where}: a layer is a JSON object")
        kind = layer.get("kind")
        name = str(layer.get("name") or f"layer{i}")
        if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise RequestError(f"{where}: name {name!r}: letters, digits, - _ . only")
        if kind == "gemm":
            entry = {"name": name, "kind": kind,
                     **{k: _positive_int(where, layer, k) for k in ("M", "K", "N")}}
        elif kind == "conv":
            entry = {"name": name, "kind": kind,
                     **{k: _positive_int(where, layer, k) for k in ("H", "W", "R", "S", "C",
                                                                    "K")},
                     "stride": _positive_int(where, layer, "stride", 1)}
            if entry["R"] > entry["H"] or entry["S"] > entry["W"]:
                raise RequestError(f"{where}: the filter is larger than the ifmap")
        else:
            raise RequestError(f"{where}: 'kind' must be gemm or conv, got {kind!r}")
        out["layers"].append(entry)
    return out


# --- scalesim's files ---------------------------------------------------------------------

def config_text(request: dict) -> str:
    return CONFIG_TEMPLATE.format(run_name=RUN_NAME, **{k: request[k] for k in (
        "rows", "cols", "dataflow", "ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb")})


def topology_text(layer: dict) -> str:
    """A one-layer topology CSV: GEMM mode (`name, M, N, K,`) or conv mode."""
    if layer["kind"] == "gemm":
        return GEMM_HEADER + f"{layer['name']}, {layer['M']}, {layer['N']}, {layer['K']},\n"
    cells = [layer[k] for k in ("H", "W", "R", "S", "C", "K", "stride")]
    return CONV_HEADER + layer["name"] + ", " + ", ".join(map(str, cells)) + ",\n"


def read_compute_report(path: str | Path) -> list[dict]:
    """COMPUTE_REPORT.csv as a list of {answer field: value}, one per layer."""
    with open(path, newline="") as f:
        rows = [[cell.strip() for cell in row] for row in csv.reader(f)]
    header = rows[0]
    out = []
    for row in rows[1:]:
        if not any(row):
            continue
        cells = dict(zip(header, row))
        entry = {}
        for column, field in REPORT_FIELDS.items():
            value = float(cells[column])
            entry[field] = int(value) if field in INTEGER_FIELDS else value
        out.append(entry)
    return out


# --- running ------------------------------------------------------------------------------

def run_layer(request: dict, layer: dict, workdir: Path) -> dict:
    """Run scalesim on one layer; its report fields and the run's wall time."""
    from scalesim.scale_sim import scalesim

    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "scalesim.cfg"
    topology = workdir / f"{layer['name']}.csv"
    layout = workdir / "layout.csv"
    config.write_text(config_text(request))
    topology.write_text(topology_text(layer))
    layout.write_text(LAYOUT_HEADER)
    outputs = workdir / "outputs"
    # scalesim prints (the layout flags, tqdm bars, banners): keep stdout for the answer.
    with contextlib.redirect_stdout(sys.stderr):
        sim = scalesim(save_disk_space=True, verbose=False, config=str(config),
                       topology=str(topology), layout=str(layout),
                       input_type_gemm=layer["kind"] == "gemm")
        start = time.perf_counter()
        sim.run_scale(top_path=str(outputs))
        seconds = time.perf_counter() - start
    report = read_compute_report(outputs / RUN_NAME / "COMPUTE_REPORT.csv")
    if len(report) != 1:
        raise RuntimeError(f"COMPUTE_REPORT.csv has {len(report)} layers, expected 1")
    M, K, N = gemm_view(layer)
    return {**layer, "gemm": {"M": M, "K": K, "N": N}, **report[0], "sim_seconds": seconds}


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for package in ("scalesim", "numpy"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def run(request: dict, workdir: str | Path | None = None) -> dict:
    """The answer to a request (already checked); a failing layer gets an `error`."""
    answer = {**versions(), **{k: v for k, v in request.items() if k != "layers"},
              "mode": "CALC (estimate bandwidth: stall-free reads)", "layers": []}
    with contextlib.ExitStack() as stack:
        root = Path(workdir) if workdir else Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="scalesim-")))
        for i, layer in enumerate(request["layers"]):
            try:
                answer["layers"].append(run_layer(request, layer, root / f"{i}-{layer['name']}"))
            except Exception as e:  # noqa: BLE001 - reported per layer
                traceback.print_exc(file=sys.stderr)
                answer["layers"].append({**layer, "error": f"{type(e).__name__}: {e}"})
    return answer


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Run scalesim 3.0.0 on the layers of a JSON "
                                "request; print the answer as JSON.")
    p.add_argument("request", help="request JSON file, or - for stdin")
    p.add_argument("--workdir", help="keep scalesim's files here (default: a temporary folder)")
    args = p.parse_args(argv)
    try:
        text = sys.stdin.read() if args.request == "-" else Path(args.request).read_text()
        request = check_request(json.loads(text))
    except (OSError, json.JSONDecodeError, RequestError) as e:
        print(json.dumps({"error": f"bad request: {e}"}))
        return 2
    answer = run(request, args.workdir)
    print(json.dumps(answer))
    return 1 if any("error" in layer for layer in answer["layers"]) else 0


if __name__ == "__main__":
    sys.exit(main())
