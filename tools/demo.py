"""The main job (`make demo`): a program through every level, then run and checked.

    python -m tessera.tools.demo examples/lenet5.tsr [--entry NAME] [--lines 14]

Prints an excerpt of the IR at each level (graph, linalg on tensors, linalg on buffers,
scf loops) and of the generated C, compiles it, runs it on seeded inputs, and reports the
agreement with the NumPy reference and the time per call; then the CUDA kernels of the same
program, run on the CPU emulation of the CUDA execution model.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

LEVELS = [
    ("graph", "graph", "the DSL as tensor ops with shapes and source locations"),
    ("linalg", "linalg", "linalg on tensors: named ops and generics"),
    ("buffers", "buffers", "bufferized: memrefs, results as out-parameters"),
    ("loops", "c-loops", "scf loops over loads and stores"),
]


def excerpt(text: str, anchor: str, lines: int) -> str:
    """`lines` lines of `text` from the first line that contains `anchor` and opens a body."""
    all_lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(all_lines) if anchor in line and line.rstrip().endswith("{")),
        0,
    )
    chunk = all_lines[start : start + lines]
    more = len(all_lines) - start - len(chunk)
    return "\n".join(chunk) + (f"\n    ... ({more} more lines)" if more > 0 else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tessera-demo", description=__doc__.split("\n")[0])
    parser.add_argument("file", nargs="?", default="examples/lenet5.tsr")
    parser.add_argument("--entry")
    parser.add_argument("--lines", type=int, default=14, help="lines of IR per level")
    args = parser.parse_args(argv)

    from tessera.compiler.diagnostics import run_reporting_errors

    return run_reporting_errors("tessera-demo", lambda: demo(args))


def demo(args) -> int:
    from tessera.compiler.api import Program, default_entry, read_source
    from tessera.targets.c.emitter import emit_c
    from tessera.tools.tessera_cli import main as tessera_main

    text, filename = read_source(args.file)
    program = Program(text, filename, "c")
    entry = args.entry or default_entry(program._syntax, filename)
    rule = "=" * 78
    print(f"{rule}\nTessera demo: {filename}, entry '{entry}'\n{rule}")
    started = time.perf_counter()
    for title, level, what in LEVELS:
        module = program.lower(entry, level)
        print(f"\n--- {title}: {what} ---")
        print(excerpt(str(module), f"@{entry}", args.lines))
    c_source = emit_c(program.lower(entry, "c-loops"))
    print("\n--- C: what gcc compiles ---")
    print(excerpt(c_source, f"tsr_{entry}(", args.lines + 6))
    print(f"\n(all levels printed in {time.perf_counter() - started:.2f} s)\n{rule}")
    status = tessera_main(["run", filename, "--entry", entry, "--target", "c", "--seed", "0"])
    from tessera.targets.cuda.backend import lower_and_emit

    cuda_source, _ = lower_and_emit(program.graph(entry))
    print(f"{rule}\n--- CUDA: the same program as GPU kernels (lower-to-cuda -t cuda) ---")
    print(excerpt(cuda_source, "__global__", args.lines + 6))
    print("(run here on the CPU emulation of the CUDA execution model)")
    status = status or tessera_main(["run", filename, "--entry", entry, "--target",
                                     "cuda-emu", "--seed", "0", "--repeat", "3"])
    trainer = Path(__file__).resolve().parents[1] / "examples" / "train_mlp.py"
    if status or not trainer.exists():  # installed without the examples: nothing to train
        return status
    print(f"{rule}\n--- Gradients: examples/train_mlp.tsr (value_and_grad + SGD) trained on C "
          f"---")
    return subprocess.run([sys.executable, str(trainer)], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
