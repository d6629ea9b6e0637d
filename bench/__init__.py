"""Benchmarks of Tessera-generated C beside NumPy/OpenBLAS and PyTorch.

    python -m bench.kernels            # every case; writes bench/results/<machine>-<date>.{json,md}
    python -m bench.kernels --quick    # N <= 512 matmuls and the conv, few repeats (CI smoke test)
    python -m bench.tuning             # the search strategies against an exhaustive search

Modules: `cases` (the .tsr sources, shapes, inputs, FLOP counts), `peers` (NumPy and PyTorch
versions of each case), `measure` (compiling the contenders, checking them, interleaved timing,
thread control), `report` (machine description, JSON and Markdown), `kernels` (the entry point),
`tuning` (trials each strategy needs on a fixed matmul space).
"""
