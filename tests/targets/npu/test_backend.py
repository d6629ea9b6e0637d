"""Programs on the NPU end to end: lowered by linalg-to-npu, run on the simulator."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tessera
from tessera.compiler.diagnostics import TesseraError
from tessera.targets.npu.config import NpuConfig

ROOT = Path(__file__).resolve().parents[3]
MATMUL = """\
dim M = 40
dim K = 36
dim N = 20

def matmul(a: f32[M, K], b: f32[K, N]) -> f32[M, N] {
  return a @ b
}
"""
CHAIN = """\
def chain(x: f32[24, 16], w1: f32[16, 32], w2: f32[32, 8]) -> f32[24, 8] {
  return (x @ w1) @ w2
}
"""


def last_report(program, name, *args):
    function = program.function(name)
    arrays, bindings = function.prepare(*args)
    return program.compiled(function.syntax, bindings).report


def inputs(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


@pytest.mark.parametrize("config", ["gemmini", "gemmini,rows=8,cols=4,dataflow=ws",
                                    "gemmini,rows=4,cols=8,dataflow=is",
                                    "tpu-128,dataflow=ws"])
@pytest.mark.parametrize("double_buffer", [False, True])
def test_matmul_agrees_on_every_dataflow(config, double_buffer):
    a, b = inputs((40, 36), (36, 20))
    program = tessera.compile(MATMUL, target="npu", config=config,
                              double_buffer=double_buffer)
    np.testing.assert_allclose(program.matmul(a, b), a @ b, rtol=1e-5, atol=1e-5)
    report = last_report(program, "matmul", a, b)
    assert report.macs == 40 * 36 * 20 and report.total_cycles > 0


def test_a_chain_of_matmuls_goes_through_a_temporary():
    x, w1, w2 = inputs((24, 16), (16, 32), (32, 8))
    overlapped = tessera.compile(CHAIN, target="npu", config="gemmini,rows=8,cols=8")
    serial = tessera.compile(CHAIN, target="npu", config="gemmini,rows=8,cols=8",
                             mode="scalesim")
    for program in (overlapped, serial):
        np.testing.assert_allclose(program.chain(x, w1, w2), (x @ w1) @ w2, rtol=1e-4,
                                   atol=1e-4)
    cycles = [last_report(p, "chain", x, w1, w2).total_cycles for p in (overlapped, serial)]
    assert cycles[0] <= cycles[1]


EXAMPLES = ROOT / "examples"


@pytest.mark.parametrize("example, config, bindings", [
    ("lenet5", "gemmini", {}), ("lenet5", "gemmini,dataflow=ws", {}),
    ("lenet5", "gemmini,dataflow=is", {}), ("lenet5", "tpu-128,dataflow=is", {"N": 2}),
    ("mlp", "gemmini", {"B": 4}), ("resnet_block", "gemmini,dataflow=is", {}),
    ("attention", "gemmini", {}), ("bmm", "gemmini,rows=8,cols=8", {}),
])
def test_the_examples_agree_with_the_reference_on_the_npu(example, config, bindings):
    """Convolutions as im2col GEMMs gathered from the image, matmuls on the array; bias,
    ReLU, padding, pooling, flatten, softmax, transpose and reductions on the vector unit."""
    from tessera.compiler.agreement import compare

    source = EXAMPLES / f"{example}.tsr"
    npu = tessera.compile(source, target="npu", bindings=bindings, config=config)
    reference = tessera.compile(source, target="interp", bindings=bindings)
    entry = example
    args = npu.example_inputs(entry, seed=1)
    got, want = npu.function(entry)(*args), reference.function(entry)(*args)
    agreement = compare(got, want)
    assert agreement.ok, agreement


def test_ops_the_npu_lowering_does_not_handle_are_located_errors():
    program = tessera.compile("def f(x: f32[4, 4]) -> f32[4, 4] {\n  return sqrt(x)\n}\n",
                              target="npu")
    with pytest.raises(TesseraError, match=r"<source>:2:\d+: error: npu target: "
                                           r"'linalg.generic' does not run on the NPU yet"):
        program.f(np.ones((4, 4), np.float32))
    with pytest.raises(TesseraError, match="takes no option"):
        tessera.compile(MATMUL, target="c", config="gemmini")
    with pytest.raises(TesseraError, match="npu config: dataflow must be"):
        tessera.compile(MATMUL, target="npu", config="dataflow=xs")


def test_tessera_run_prints_agreement_and_the_cycle_report(tmp_path):
    source = tmp_path / "matmul.tsr"
    source.write_text(MATMUL)
    tool = Path(sys.executable).parent / "tessera"
    done = subprocess.run([str(tool), "run", str(source), "--target", "npu", "--npu-config",
                           "gemmini,dataflow=ws"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "agrees" in done.stdout
    assert "npu simulation of 'matmul' (overlapped): 16x16 array, ws, f32" in done.stdout
    assert "total cycles" in done.stdout and "utilization" in done.stdout
    bad = subprocess.run([str(tool), "run", str(source), "--npu-config", "gemmini"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1 and "--npu-config and --npu-trace apply to --target npu" \
        in bad.stderr
    trace = tmp_path / "trace.json"
    traced = subprocess.run([str(tool), "run", str(source), "--target", "npu", "--npu-trace",
                             str(trace)], capture_output=True, text=True, cwd=ROOT)
    assert traced.returncode == 0, traced.stderr
    events = json.loads(trace.read_text())["traceEvents"]
    assert {e["args"]["name"] for e in events if e["name"] == "thread_name"} >= {
        "load", "execute", "store"}
    assert any(e["ph"] == "X" and e["name"] == "compute" for e in events)


def test_the_config_reaches_the_module_and_the_verifiers():
    module = tessera.compile(MATMUL).lower(
        "matmul", 'lower-to-buffers,linalg-to-npu{config="tpu-256,dataflow=is"}')
    assert NpuConfig.parse(module.attributes["npu.config"].data) == NpuConfig.parse(
        "tpu-256,dataflow=is")


QUANTIZED = """\
dim M = 24
dim K = 40
dim N = 20

def qmatmul(a: i8[M, K], b: i8[K, N]) -> i8[M, N] {
  return requantize(widen(a) @ widen(b), scale=SCALE)
}

def qconv(x: i8[2, 3, 9, 9], w: i8[4, 3, 3, 3]) -> i8[2, 4, 4, 4] {
  return requantize(conv2d(widen(x), widen(w), stride=2), scale=SCALE)
}

def raw(a: i8[M, K], b: i8[K, N]) -> i32[M, N] {
  return widen(a) @ widen(b)
}
"""


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
@pytest.mark.parametrize("scale", [0.01, 1.0])  # 1.0 saturates most results
def test_int8_is_bit_exact_against_the_reference(dataflow, scale):
    source = QUANTIZED.replace("SCALE", repr(scale))
    npu = tessera.compile(source, target="npu", config=f"gemmini,rows=8,cols=8,dtype=i8,"
                                                        f"dataflow={dataflow}")
    reference = tessera.compile(source, target="interp")
    for entry in ("qmatmul", "qconv", "raw"):
        args = reference.example_inputs(entry, seed=3)
        got, want = npu.function(entry)(*args), reference.function(entry)(*args)
        assert got.dtype == want.dtype and np.array_equal(got, want), entry
    saturated = np.abs(npu.qmatmul(*reference.example_inputs("qmatmul", seed=3))) == 127
    assert saturated.any() == (scale == 1.0)


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_int8_lenet5_is_bit_exact_on_the_npu(dataflow):
    source = EXAMPLES / "lenet5_int8.tsr"
    npu = tessera.compile(source, target="npu", config=f"gemmini,dtype=i8,dataflow={dataflow}")
    reference = tessera.compile(source, target="interp")
    args = reference.example_inputs("lenet5_int8", seed=0)
    assert np.array_equal(npu.lenet5_int8(*args), reference.lenet5_int8(*args))


def test_an_f32_array_refuses_a_quantized_matmul():
    npu = tessera.compile(QUANTIZED.replace("SCALE", "0.5"), target="npu")
    with pytest.raises(TesseraError, match="configure dtype=i8 for quantized ops"):
        npu.qmatmul(*npu.example_inputs("qmatmul"))


@pytest.mark.parametrize("example, dtype", [("lenet5", "f32"), ("resnet_block", "f32"),
                                            ("lenet5_int8", "i8")])
@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_both_forms_of_convolution_agree(example, dtype, dataflow):
    """im2col reduces over (c, kh, kw), direct tap by tap over (kh, kw, c): the same values
    (bit for bit in int8), different moves and cycles."""
    source = EXAMPLES / f"{example}.tsr"
    reference = tessera.compile(source, target="interp")
    args = reference.example_inputs(example, seed=2)
    want = reference.function(example)(*args)
    cycles = {}
    for form in ("im2col", "direct"):
        npu = tessera.compile(source, target="npu", conv=form,
                              config=f"gemmini,dataflow={dataflow},dtype={dtype}")
        function = npu.function(example)
        arrays, bindings = function.prepare(*args)
        call = npu.compiled(function.syntax, bindings)
        got = call(*arrays)[0]
        from tessera.compiler.agreement import compare

        assert compare(got, want).ok  # exact for integers
        cycles[form] = call.report.total_cycles
    assert cycles["im2col"] != cycles["direct"]
