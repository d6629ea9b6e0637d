"""The benchmark harness (bench/): report files, NumPy peers, one quick end-to-end run.

No timing assertions: only that the harness computes the right things and writes its files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is run from the repository root, not installed
    sys.path.insert(0, str(ROOT))

import tessera  # noqa: E402
from bench import cases, peers, report  # noqa: E402
from bench.measure import Contender, Measurement, check  # noqa: E402

MACHINE = {"slug": "test-cpu-2c", "cpu": "Test CPU", "cores": 2, "numpy": "2.0",
           "blas": {"internal_api": "openblas", "version": "0.3.0"}, "torch": None,
           "gcc": "gcc 12", "python": "3.11", "tessera_commit": "abc", "date": "2024-01-02",
           "time": "2024-01-02T03:04:05"}


def fake_measurements() -> list[Measurement]:
    flops = 2 * 256 ** 3
    return [
        Measurement("matmul-256", 1, "tessera naive", flops, "ok",
                    samples_s=[2e-3, 1e-3, 4e-3], calls_per_round=10, compile_s=0.1),
        Measurement("matmul-256", 1, "tessera default", flops, "wrong",
                    note="max abs err 3 | huge", max_abs_err=3.0),
        Measurement("matmul-256", 1, "tessera hand", flops, "failed", note="TypeError: x"),
        Measurement("matmul-256", 1, "numpy", flops, "ok", samples_s=[5e-4, 5e-4, 5e-4],
                    calls_per_round=100),
        Measurement("matmul-256", 2, "tessera naive", flops, "ok", samples_s=[1e-3]),
    ]


def test_report_writes_json_and_markdown(tmp_path):
    info = {"matmul-256": {"description": "matmul [256x256] @ [256x256]", "flops": 2 * 256 ** 3}}
    settings = {"rounds": 3, "repeat": None, "round_time": 0.25}
    json_path, md_path, markdown = report.write(tmp_path / "out", MACHINE, settings,
                                                ["a note"], info, fake_measurements())
    assert json_path.name == "test-cpu-2c-2024-01-02.json"
    assert md_path.name == "test-cpu-2c-2024-01-02.md"
    assert md_path.read_text() == markdown

    document = json.loads(json_path.read_text())
    assert document["machine"]["cpu"] == "Test CPU"
    naive, wrong, failed, numpy, naive2 = document["results"]
    assert naive["median_s"] == pytest.approx(2e-3)
    assert naive["gflops"] == pytest.approx(2 * 256 ** 3 / 2e-3 / 1e9)
    assert naive["gflops_min"] < naive["gflops"] < naive["gflops_max"]
    assert naive["vs_numpy"] == pytest.approx(0.25)
    assert numpy["vs_numpy"] == pytest.approx(1.0)
    assert wrong["status"] == "wrong" and "gflops" not in wrong and wrong["vs_numpy"] is None
    assert naive2["vs_numpy"] is None  # no NumPy row at 2 threads

    lines = markdown.splitlines()
    assert lines[0].startswith("# Tessera kernel benchmarks: Test CPU, 2 cores, 2024-01-02")
    table = [line for line in lines if line.startswith("| matmul-256")]
    assert len(table) == 5 and all(line.count(" | ") == 7 for line in table)  # 8 columns
    assert "| 0.25 |" in table[0] and "**WRONG**" in table[1] and "FAILED" in table[2]
    assert "max abs err 3 \\| huge" in table[1]  # a | in a note does not split the cell
    assert "a note" in markdown and "openblas 0.3.0" in markdown


def test_machine_slug():
    assert report.machine_slug("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", 8) == \
        "intel-xeon-platinum-8375c-8c"
    assert report.machine_slug("AMD EPYC 7B13 64-Core Processor", 2) == "amd-epyc-7b13-64-core-2c"


def test_check_marks_wrong_results():
    reference = np.arange(6, dtype=np.float32).reshape(2, 3)
    good = Contender("good", result=lambda: reference + 1e-4)
    bad = Contender("bad", result=lambda: reference + 1.0)
    shape = Contender("shape", result=lambda: reference.T)
    for c in (good, bad, shape):
        check(c, reference)
    assert (good.status, bad.status, shape.status) == ("ok", "wrong", "wrong")


def _reference(example: str, entry: str, inputs):
    program = tessera.compile(str(ROOT / "examples" / example), target="interp")
    return getattr(program, entry)(*inputs)


def test_numpy_mlp_agrees_with_the_reference():
    inputs = cases.mlp_case(5).make_inputs(np.random.default_rng(1))
    np.testing.assert_allclose(peers.mlp(*inputs), _reference("mlp.tsr", "mlp", inputs),
                               rtol=1e-4, atol=1e-6)


def test_numpy_lenet5_agrees_with_the_reference():
    inputs = cases.lenet5_case(2).make_inputs(np.random.default_rng(2))
    np.testing.assert_allclose(peers.lenet5(*inputs), _reference("lenet5.tsr", "lenet5", inputs),
                               rtol=1e-4, atol=1e-5)


def test_numpy_conv_agrees_with_the_reference():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    program = tessera.compile(cases.CONV, target="interp")
    np.testing.assert_allclose(peers.numpy_conv_pad1([x, w])(), program.conv(x, w),
                               rtol=1e-4, atol=1e-5)


def test_quick_run_writes_both_files(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench.kernels", "--quick", "--cases", "matmul-256",
         "--rounds", "1", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    [json_path] = tmp_path.glob("*.json")
    [md_path] = tmp_path.glob("*.md")
    document = json.loads(json_path.read_text())
    rows = {(r["contender"], r["threads"]): r for r in document["results"]}
    assert {("tessera naive", 1), ("tessera default", 1), ("numpy", 1), ("numpy", 2)} <= set(rows)
    assert rows[("numpy", 1)]["status"] == "ok" and rows[("numpy", 1)]["gflops"] > 0
    assert rows[("tessera naive", 1)]["status"] == "ok"
    assert "| matmul-256 | 1 | tessera naive |" in done.stdout
    assert md_path.read_text() in done.stdout
