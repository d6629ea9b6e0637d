"""Named pipelines and their unoptimized form (`{opt=false}`, `optimize=False`)."""

from tessera.compiler.pipelines import PIPELINES, split_spec, unoptimized


def test_split_spec_keeps_options_and_quotes_whole():
    spec = 'a,schedule{op=matmul tiles=64,64,64},b{path="x,y"},c'
    assert split_spec(spec) == ["a", "schedule{op=matmul tiles=64,64,64}", 'b{path="x,y"}', "c"]


def test_unoptimized_expands_named_pipelines_and_drops_the_optimizations():
    flat = unoptimized("lower-to-c")
    assert "optimize-graph" not in flat and "lower-to-" not in flat
    assert split_spec(flat)[0] == "graph-to-linalg"
    assert "schedule{epilogues=false}" in split_spec(flat)


def test_unoptimized_merges_options_into_existing_braces():
    flat = unoptimized("schedule{op=matmul tiles=64,64,64},linalg-to-gpu{block=32,32}")
    assert split_spec(flat) == ["schedule{op=matmul tiles=64,64,64 epilogues=false}",
                                "linalg-to-gpu{block=32,32 fuse=0}"]


def test_every_named_pipeline_has_an_unoptimized_form_without_graph_optimizations():
    for name in PIPELINES:
        flat = unoptimized(name)
        assert "optimize-graph" not in split_spec(flat)
        for item in split_spec(flat):
            assert item.partition("{")[0] not in PIPELINES, (name, item)


def test_opt_false_runs_no_epilogue_fusion(tmp_path):
    """`lower-to-c{opt=false}` keeps relu(x @ w + b)'s bias and relu as loop nests of their
    own; the optimized pipeline fuses them into the matmul's tiles."""
    import subprocess
    import sys
    from pathlib import Path

    opt = str(Path(sys.executable).parent / "tessera-opt")

    def loop_nests(spec):
        out = subprocess.run([opt, "examples/mlp.tsr", "-p", spec], capture_output=True,
                             text=True, check=True).stdout
        body = out.split("func.func @mlp", 1)[1]
        # top-level loop nests of the function: scf.for at the function's indentation
        return sum(1 for line in body.splitlines() if line.startswith("    scf.for"))

    assert loop_nests("lower-to-c{opt=false}") > loop_nests("lower-to-c")
