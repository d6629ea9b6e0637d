"""The NPU benchmark (bench/npu.py) and its SCALE-Sim runner (bench/scalesim_runner.py).

The plumbing (requests, scalesim's files and report, the table) is tested with fake SCALE-Sim
answers; one test runs the real SCALE-Sim 3.0.0 when its environment (.venv-scalesim,
`make scalesim`) exists, and pins what it counts: its compute cycles ("Total Cycles" of
COMPUTE_REPORT.csv) are the closed form folds·(cycles per fold) minus one.
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is run from the repository root, not installed
    sys.path.insert(0, str(ROOT))

from bench import npu  # noqa: E402
from bench import scalesim_runner as runner  # noqa: E402

SCALESIM_PYTHON = ROOT / ".venv-scalesim" / "bin" / "python"
MACHINE = {"slug": "test-cpu-2c", "cpu": "Test CPU", "cores": 2, "numpy": "2.0",
           "blas": {"internal_api": "openblas", "version": "0.3.0"}, "torch": None,
           "gcc": "gcc 12", "python": "3.11", "tessera_commit": "abc", "date": "2024-01-02",
           "time": "2024-01-02T03:04:05"}


def layer(name: str) -> npu.Layer:
    return next(x for x in npu.LAYERS if x.name == name)


# --- the runner's request and files --------------------------------------------------------

def test_check_request_fills_defaults_and_rejects_bad_requests():
    request = runner.check_request({"rows": 4, "cols": 8, "dataflow": "ws", "layers": [
        {"kind": "gemm", "M": 3, "K": 5, "N": 7},
        {"name": "c1", "kind": "conv", "H": 8, "W": 8, "R": 3, "S": 3, "C": 2, "K": 4}]})
    assert request["ifmap_sram_kb"] == 256 and request["ofmap_sram_kb"] == 128
    assert request["layers"][0]["name"] == "layer0"
    assert request["layers"][1]["stride"] == 1
    bad = [
        {"rows": 4, "cols": 4, "dataflow": "xs", "layers": [{"kind": "gemm", "M": 1, "K": 1,
                                                             "N": 1}]},
        {"rows": 0, "cols": 4, "dataflow": "os", "layers": []},
        {"rows": 4, "cols": 4, "dataflow": "os", "layers": []},
        {"rows": 4, "cols": 4, "dataflow": "os", "layers": [{"kind": "fc"}]},
        {"rows": 4, "cols": 4, "dataflow": "os", "layers": [{"kind": "gemm", "M": 2, "K": 0,
                                                             "N": 2}]},
        {"rows": 4, "cols": 4, "dataflow": "os", "layers": [
            {"kind": "conv", "H": 2, "W": 2, "R": 3, "S": 3, "C": 1, "K": 1}]},
        {"rows": 4, "cols": 4, "dataflow": "os", "layers": [
            {"name": "a,b", "kind": "gemm", "M": 1, "K": 1, "N": 1}]},
    ]
    for b in bad:
        with pytest.raises(runner.RequestError):
            runner.check_request(b)


def test_scalesim_files():
    request = runner.check_request({"rows": 16, "cols": 32, "dataflow": "is", "layers": [
        {"name": "g", "kind": "gemm", "M": 3, "K": 5, "N": 7}]})
    config = configparser.ConfigParser()
    config.read_string(runner.config_text(request))
    # the keys scalesim's scale_config.read_conf_file() reads (configparser lowercases them)
    arch = config["architecture_presets"]
    assert (arch["arrayheight"], arch["arraywidth"], arch["dataflow"]) == ("16", "32", "is")
    assert arch["ifmapsramszkb"] == "256" and arch["ofmapsramszkb"] == "128"
    assert config["run_presets"]["interfacebandwidth"] == "CALC"
    assert config["sparsity"]["sparsitysupport"] == "false"
    assert config["layout"]["ifmapcustomlayout"] == "False"
    assert not config.has_section("network_presets")  # scalesim 3.0.0 misreads it
    # GEMM mode: name, M, N, K with a trailing comma (scalesim drops the last cell)
    gemm = runner.topology_text(request["layers"][0]).splitlines()
    assert gemm[1] == "g, 3, 7, 5,"
    conv = runner.topology_text({"name": "c", "kind": "conv", "H": 32, "W": 30, "R": 5,
                                 "S": 4, "C": 3, "K": 6, "stride": 2}).splitlines()
    assert conv[1] == "c, 32, 30, 5, 4, 3, 6, 2,"


def test_gemm_views_of_the_layers():
    for x in npu.LAYERS:
        assert runner.gemm_view(x.scalesim_spec()) == x.gemm(), x.name
    assert layer("lenet5-c1").gemm() == (784, 75, 6)
    assert layer("resnet-3x3").gemm() == (56 * 56, 64 * 9, 64)
    # scalesim rounds the output size up where the stride does not divide H - R
    assert runner.gemm_view({"kind": "conv", "H": 9, "W": 7, "R": 3, "S": 2, "C": 3,
                             "K": 5, "stride": 2}) == (16, 18, 5)


def test_read_compute_report(tmp_path):
    path = tmp_path / "COMPUTE_REPORT.csv"
    path.write_text("LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, "
                    "Overall Util %, Mapping Efficiency %, Compute Util %,\n"
                    "0, 677, 351, 0, 72.93447293447294, 100.0, 72.72727272727272,\n")
    (row,) = runner.read_compute_report(path)
    assert row == {"total_cycles": 677, "compute_cycles": 351, "stall_cycles": 0,
                   "overall_util_pct": pytest.approx(72.934472934),
                   "mapping_efficiency_pct": 100.0,
                   "compute_util_pct": pytest.approx(72.727272727)}


def test_runner_rejects_a_bad_request(tmp_path, capsys):
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"rows": 4, "cols": 4, "dataflow": "zz", "layers": []}))
    assert runner.main([str(path)]) == 2
    assert "bad request" in json.loads(capsys.readouterr().out)["error"]


# --- bench/npu.py ---------------------------------------------------------------------------

def test_closed_form_and_plan():
    assert npu.closed_form_cycles("os", 32, 32, 512, 512, 512) == 256 * (512 + 62)
    assert npu.closed_form_cycles("ws", 32, 32, 512, 512, 512) == 256 * (64 + 32 + 512 - 2)
    assert npu.closed_form_cycles("is", 4, 8, 10, 7, 13) == 2 * 2 * (8 + 8 + 13 - 2)
    assert npu.closed_form_cycles("os", 4, 8, 10, 7, 13) == 3 * 2 * (7 + 4 + 8 - 2)
    cases = npu.plan(npu.LAYERS)
    headline = [c for c in cases if c.layer.name == "gemm-512"]
    assert {(c.rows, c.cols, c.dataflow) for c in headline} == {(32, 32, d) for d in "os ws is"
                                                                .split()}
    assert len([c for c in cases if c.layer.name == "gemm-64"]) == 6
    quick = npu.select_layers(None, quick=True)
    assert {x.name for x in quick} == {"gemm-64", "gemm-256x128x64", "lenet5-c1"}
    assert [c.array for c in npu.plan(quick[:1], ["os"], [(8, 4)])] == ["8×4"]
    with pytest.raises(SystemExit):
        npu.select_layers(["nope-*"], quick=False)


def fake_scalesim_answer(case: npu.Case, seconds: float = 0.5, **extra) -> dict:
    M, K, N = case.layer.gemm()
    cycles = npu.closed_form_cycles(case.dataflow, case.rows, case.cols, M, K, N) - 1
    return {"name": case.layer.name, "gemm": {"M": M, "K": K, "N": N},
            "total_cycles": cycles + 100, "compute_cycles": cycles, "stall_cycles": 0,
            "overall_util_pct": 50.0, "mapping_efficiency_pct": 100.0,
            "compute_util_pct": 50.0, "sim_seconds": seconds, "scalesim": "3.0.0",
            "numpy": "2.3.5", **extra}


def fake_tessera_result(case: npu.Case, delta: int = 0, check: str = "ok") -> dict:
    M, K, N = case.layer.gemm()
    cycles = npu.closed_form_cycles(case.dataflow, case.rows, case.cols, M, K, N) + delta
    return {"compute_cycles": cycles, "scalesim_mode_total_cycles": cycles + 500,
            "utilization": 0.5, "overlapped_total_cycles": cycles + 300,
            "overlapped_compute_cycles": cycles, "overlapped_utilization": 0.5,
            "sim_seconds": 0.005, "overlapped_sim_seconds": 0.004, "check": check}


def test_table_from_fake_results(tmp_path):
    cases = npu.plan([layer("gemm-64"), layer("lenet5-c1")], ["os", "ws"], [(16, 16)])
    a, b, c, d = cases
    scalesim = {a: fake_scalesim_answer(a), b: fake_scalesim_answer(b, stall_cycles=7),
                c: {"error": "scalesim took longer than 1 s"}, d: fake_scalesim_answer(d)}
    tessera = {a: fake_tessera_result(a, delta=-1), b: fake_tessera_result(b),
               c: fake_tessera_result(c), d: {"error": "TesseraError: nope"}}
    rows = npu.build_rows(cases, scalesim, tessera)
    assert [r["equal"] for r in rows] == [True, False, None, None]
    assert rows[1]["delta"] == 1
    assert rows[0]["speed_ratio"] == pytest.approx(100.0)
    assert rows[1]["notes"] == ["scalesim stalls: 7"]
    assert rows[2]["notes"] == ["scalesim: scalesim took longer than 1 s"]
    assert rows[3]["notes"] == ["tessera: TesseraError: nope"]
    assert rows[0]["closed_form_cycles"] == 16 * (64 + 30)
    md = "\n".join(npu.markdown_table(rows))
    assert "| gemm-64 | 16×16 | os | 1503 | 1503 | yes | 1504 | 1803 | 500 ms | 5 ms | 100 |" \
        in md
    assert "| no (+1) |" in md
    notes = npu.summary_notes(rows)
    assert notes[0] == "Tessera's scalesim-mode compute cycles equal SCALE-Sim's on 1 of 2 cases"
    assert notes[1] == "SCALE-Sim compute − closed form: -1"

    settings = {"scalesim": {"version": "3.0.0", "numpy": "2.3.5"},
                "scalesim_python": ".venv-scalesim/bin/python"}
    json_path, md_path, markdown = npu.write(tmp_path, MACHINE, settings, notes, rows,
                                             [layer("gemm-64"), layer("lenet5-c1")])
    assert json_path.name == "npu-test-cpu-2c-2024-01-02.json"
    assert md_path.read_text() == markdown and "SCALE-Sim: 3.0.0" in markdown
    document = json.loads(json_path.read_text())
    assert document["layers"]["lenet5-c1"]["gemm"] == {"M": 784, "K": 75, "N": 6}
    assert len(document["results"]) == 4


def test_table_without_scalesim():
    (case,) = npu.plan([layer("gemm-64")], ["os"], [(16, 16)])
    (row,) = npu.build_rows([case], None, {case: fake_tessera_result(case)})
    assert row["scalesim_compute_cycles"] is None and row["equal"] is None
    assert row["notes"] == []
    assert "| — | 1504 | — |" in npu.markdown_table([row])[2]


# A stand-in for SCALE-Sim's Python: reads the runner's request on stdin and answers with the
# closed form minus one, as scalesim 3.0.0 does.
FAKE_SCALESIM = """#!{python}
import json, math, sys
sys.path.insert(0, {root!r})
from bench.scalesim_runner import check_request, gemm_view
from bench.npu import closed_form_cycles
assert sys.argv[1].endswith("scalesim_runner.py") and sys.argv[2] == "-"
request = check_request(json.load(sys.stdin))
print("scalesim chatter")
layers = []
for layer in request["layers"]:
    M, K, N = gemm_view(layer)
    cycles = closed_form_cycles(request["dataflow"], request["rows"], request["cols"], M, K, N)
    layers.append({{**layer, "gemm": {{"M": M, "K": K, "N": N}}, "total_cycles": cycles + 9,
                   "compute_cycles": cycles - 1, "stall_cycles": 0, "overall_util_pct": 1.0,
                   "mapping_efficiency_pct": 1.0, "compute_util_pct": 1.0,
                   "sim_seconds": 0.25}})
print(json.dumps({{"scalesim": "3.0.0", "numpy": "2.3.5", "layers": layers}}))
"""


def fake_scalesim(tmp_path) -> Path:
    path = tmp_path / "fake-python"
    path.write_text(FAKE_SCALESIM.format(python=sys.executable, root=str(ROOT)))
    path.chmod(0o755)
    return path


def test_scalesim_subprocess_plumbing(tmp_path):
    cases = npu.plan([layer("gemm-64"), layer("lenet5-c1")], ["os", "is"], [(16, 16)])
    results = npu.scalesim_results(str(fake_scalesim(tmp_path)), cases, timeout=60)
    for case in cases:
        M, K, N = case.layer.gemm()
        assert results[case]["compute_cycles"] == npu.closed_form_cycles(
            case.dataflow, 16, 16, M, K, N) - 1
        assert results[case]["scalesim"] == "3.0.0"
    broken = tmp_path / "broken-python"
    broken.write_text("#!/bin/sh\necho 'Traceback: boom' >&2\nexit 3\n")
    broken.chmod(0o755)
    answer = npu.run_scalesim(str(broken), {"layers": []}, timeout=60)
    assert "exit 3" in answer["error"] and "boom" in answer["error"]
    missing = npu.run_scalesim(str(tmp_path / "nothing"), {"layers": []}, timeout=60)
    assert "cannot run" in missing["error"]


def test_main_end_to_end_with_a_fake_scalesim(tmp_path, capsys):
    out = tmp_path / "results"
    argv = ["--layers", "gemm-64", "--dataflows", "os,ws", "--arrays", "16x16",
            "--out", str(out), "--scalesim-python", str(fake_scalesim(tmp_path))]
    assert npu.main(argv) == 0
    markdown = capsys.readouterr().out
    (json_path,) = out.glob("npu-*.json")
    document = json.loads(json_path.read_text())
    rows = document["results"]
    assert [(r["layer"], r["array"], r["dataflow"]) for r in rows] == [
        ("gemm-64", "16×16", "os"), ("gemm-64", "16×16", "ws")]
    for r in rows:  # Tessera's real simulator against the fake SCALE-Sim
        assert r["tessera"]["check"] == "ok"
        assert r["tessera_compute_cycles"] == r["closed_form_cycles"] - 1  # as SCALE-Sim counts
        assert r["scalesim_compute_cycles"] == r["closed_form_cycles"] - 1
        assert r["tessera_seconds"] > 0 and r["speed_ratio"] > 0
    assert document["settings"]["scalesim"]["version"] == "3.0.0"
    assert "| gemm-64 | 16×16 | os | 1503 | 1503 | yes | 1504 |" in markdown


def test_main_without_scalesim(tmp_path, capsys):
    argv = ["--layers", "gemm-64", "--dataflows", "os", "--arrays", "8x8", "--out",
            str(tmp_path), "--scalesim-python", str(tmp_path / "no-such-python")]
    assert npu.main(argv) == 0
    markdown = capsys.readouterr().out
    assert "SCALE-Sim not run" in markdown and "SCALE-Sim: not run" in markdown
    (json_path,) = tmp_path.glob("npu-*.json")
    (row,) = json.loads(json_path.read_text())["results"]
    assert row["scalesim"] is None and row["tessera_compute_cycles"] == 8 * 8 * (64 + 14) - 1


# --- the real SCALE-Sim -----------------------------------------------------------------------

@pytest.mark.skipif(not SCALESIM_PYTHON.exists(),
                    reason="no .venv-scalesim (make scalesim)")
@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_real_scalesim_is_the_closed_form_minus_one(dataflow):
    layers = [{"name": "g16", "kind": "gemm", "M": 16, "K": 16, "N": 16},
              {"name": "ragged", "kind": "gemm", "M": 10, "K": 7, "N": 13},
              {"name": "conv", "kind": "conv", "H": 8, "W": 8, "R": 3, "S": 3, "C": 2,
               "K": 5, "stride": 1}]
    request = {"rows": 4, "cols": 4, "dataflow": dataflow, "layers": layers}
    done = subprocess.run([str(SCALESIM_PYTHON), str(npu.RUNNER), "-"],
                          input=json.dumps(request), capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": ""})
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert answer["scalesim"] == "3.0.0"
    expected = {  # folds · cycles per fold on the 4×4 array
        "os": {"g16": 4 * 4 * (16 + 4 + 4 - 2), "ragged": 3 * 4 * (7 + 6),
               "conv": 9 * 2 * (18 + 6)},
        "ws": {"g16": 4 * 4 * (8 + 4 + 16 - 2), "ragged": 2 * 4 * (8 + 4 + 10 - 2),
               "conv": 5 * 2 * (8 + 4 + 36 - 2)},
        "is": {"g16": 4 * 4 * (8 + 4 + 16 - 2), "ragged": 2 * 3 * (8 + 4 + 13 - 2),
               "conv": 5 * 9 * (8 + 4 + 5 - 2)},
    }[dataflow]
    for got in answer["layers"]:
        M, K, N = (got["gemm"][k] for k in "MKN")
        closed = npu.closed_form_cycles(dataflow, 4, 4, M, K, N)
        assert closed == expected[got["name"]]
        assert got["stall_cycles"] == 0
        # scalesim counts the index of the last cycle: one less than the closed form
        assert got["compute_cycles"] == closed - 1, got
        assert got["total_cycles"] > got["compute_cycles"]  # plus the SRAM prefetch
        assert got["sim_seconds"] > 0
