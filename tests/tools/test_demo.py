"""`make demo`'s job: every level printed, the program run on C and on the CUDA emulation, then
the MLP trained through its gradient."""

from pathlib import Path

from tessera.tools.demo import main

ROOT = Path(__file__).resolve().parents[2]


def test_demo_prints_every_level_and_agrees_on_c_and_cuda(capsys):
    assert main([str(ROOT / "examples" / "mlp.tsr"), "--lines", "4"]) == 0
    out = capsys.readouterr().out
    for title in ("--- graph:", "--- linalg:", "--- buffers:", "--- loops:", "--- C:", "--- CUDA:"):
        assert title in out
    assert "mlp on c" in out and "mlp on cuda-emu" in out
    assert out.count("agrees") == 2
    assert "__global__" in out
    assert "--- Gradients: examples/train_mlp.tsr" in out  # then the training run (its exit status)
