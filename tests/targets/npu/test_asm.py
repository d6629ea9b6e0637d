"""NPU assembly: text and binary round-trip, located errors; the configuration's forms."""

import json

import pytest

from tessera.compiler.diagnostics import TesseraError
from tessera.dialects.npu import Compute, Region
from tessera.targets.npu import asm
from tessera.targets.npu.config import PRESETS, NpuConfig

PROGRAM = """\
.program matmul
.config rows=16 cols=16 dataflow=ws sp_bytes=262144 acc_bytes=65536 dma_bytes_per_cycle=16 dma_latency=100 vector_lanes=16 dtype=i8 scale=0.125 clock_ghz=1.0
.buffer a i8[64,48] in
.buffer b i8[48,32] in
.buffer c i8[64,32] out
config dataflow=ws
mvin sp[0:16x48], a[0], stride=48, cstride=1
mvin sp[768:48x16], b[16], stride=32, cstride=1
preload sp[768:16x16]
compute acc[0:16x16], sp[0:16x16], sp[768:16x16], overwrite
compute acc[0:16x16], sp[16:16x16], sp[1024:16x16], accumulate
vector relu acc[0:16x16], acc[0:16x16], None, imm=1.0
vector scale acc[256:16x16], acc[0:16x16], None, imm=0.5
vector add acc[0:16x16], acc[0:16x16], acc[256:16x16], imm=1.0
mvout c[16], stride=32, acc[0:16x16], act=relu, scale=0.125
fence
"""


def test_text_binary_text_round_trip():
    program = asm.parse(PROGRAM, "p.s")
    assert asm.format(program) == PROGRAM
    binary = asm.assemble(program)
    assert binary[:4] == b"TNPU"
    again = asm.disassemble(binary)
    assert asm.format(again) == PROGRAM
    assert again.instructions == program.instructions
    assert again.config == program.config and again.buffers == program.buffers
    assert isinstance(program.instructions[4], Compute)
    assert program.instructions[4].c == Region("acc", 0, 16, 16)


def test_comments_and_blank_lines_are_ignored():
    text = "; header\n\n" + PROGRAM.replace("fence", "fence   ; the end")
    assert asm.format(asm.parse(text)) == PROGRAM


@pytest.mark.parametrize("line, column, message", [
    ("mvin sp[0:4x4], a[0] stride=4", 6, "expected `mvin {dst}, {dram}[{offset}]"),
    ("  frobnicate 1", 3, "unknown instruction 'frobnicate'"),
    ("config dataflow=diagonal", 8, "dataflow must be one of os, ws, is, got 'diagonal'"),
    ("compute acc[0:4x4], sp[0:4x4], sp[16:4x4], sometimes", 9, "expected `compute"),
    (".buffer a f16[4] in", 9, "a buffer is f32/i8/i32"),
    (".config rows=0", 1, "rows must be a positive integer"),
])
def test_errors_are_located(line, column, message):
    with pytest.raises(TesseraError) as info:
        asm.parse(".program p\n" + line + "\n", "bad.s")
    text = str(info.value)
    assert text.startswith(f"bad.s:2:{column}: error: ") and message in text


def test_assembling_an_unknown_buffer_and_a_damaged_binary_fail_clearly():
    program = asm.parse(PROGRAM.replace(".buffer c i8[64,32] out\n", ""))
    with pytest.raises(TesseraError, match="no buffer named 'c'"):
        asm.assemble(program)
    binary = asm.assemble(asm.parse(PROGRAM))
    with pytest.raises(TesseraError, match="damaged binary"):
        asm.disassemble(binary[:-5])
    with pytest.raises(TesseraError, match="not an NPU binary"):
        asm.disassemble(b"ELF" + binary)


def test_configuration_presets_files_and_options(tmp_path):
    assert NpuConfig() == PRESETS["gemmini"] and (NpuConfig().rows, NpuConfig().cols) == (16, 16)
    assert PRESETS["tpu-256"].rows == 256 and PRESETS["tpu-128"].cols == 128
    config = NpuConfig.parse("tpu-128,dataflow=ws,dtype=i8,scale=0.5")
    assert (config.rows, config.dataflow, config.acc_dtype, config.scale) == (128, "ws", "i32", 0.5)
    assert config.sp_elements == config.sp_bytes and config.acc_elements == config.acc_bytes // 4
    toml = tmp_path / "npu.toml"
    toml.write_text('preset = "tpu-256"\ndataflow = "is"\ndma_latency = 50\n')
    assert NpuConfig.parse(str(toml)) == NpuConfig.from_mapping(
        {"dataflow": "is", "dma_latency": 50}, PRESETS["tpu-256"])
    js = tmp_path / "npu.json"
    js.write_text(json.dumps({"rows": 32, "cols": 8}))
    assert (NpuConfig.load(js).rows, NpuConfig.load(js).cols) == (32, 8)
    for bad, message in [("rows=-1", "positive integer"), ("dataflow=xy", "dataflow must"),
                         ("width=4", "unknown field"), ("tpu-512", "no preset"),
                         ("rows=2.5", "rows must be int")]:
        with pytest.raises(TesseraError, match=message):
            NpuConfig.parse(bad)
    (tmp_path / "broken.toml").write_text("rows = ")
    with pytest.raises(TesseraError, match="not a valid npu config"):
        NpuConfig.load(tmp_path / "broken.toml")
