"""bufferize + linalg-to-loops + lower-affine, run by xDSL's interpreter against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import func
from xdsl.dialects.builtin import FileLineColLoc, ModuleOp, TensorType
from xdsl.passes import PassPipeline
from xdsl.utils.exceptions import InterpretationError

from tessera.compiler import registry
from tessera.compiler.frontend.mlir_reader import parse_mlir
from tessera.targets.loop_interp import run_loops

RNG = np.random.default_rng(0)

PIPELINE = "bufferize,linalg-to-loops,lower-affine"


def lower(text: str, pipeline: str = PIPELINE) -> ModuleOp:
    ctx = registry.make_context()
    module = parse_mlir(ctx, text, "test.mlir")
    module.verify()
    PassPipeline.parse_spec(
        registry.all_passes(), pipeline, lambda _prev, m, _next: m.verify()
    ).apply(ctx, module)
    module.verify()
    names = {op.name for op in module.walk()}
    assert not any(n.startswith(("linalg.", "tensor.", "affine.")) for n in names), names
    return module


def rand(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def close(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def test_matmul():
    module = lower(
        """
        func.func @mm(%a: tensor<3x5xf32>, %b: tensor<5x4xf32>) -> tensor<3x4xf32> {
          %zero = arith.constant 0.0 : f32
          %e = tensor.empty() : tensor<3x4xf32>
          %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
          %m = linalg.matmul ins(%a, %b : tensor<3x5xf32>, tensor<5x4xf32>) outs(%f : tensor<3x4xf32>) -> tensor<3x4xf32>
          func.return %m : tensor<3x4xf32>
        }
        """
    )
    a, b = rand(3, 5), rand(5, 4)
    (out,) = run_loops(module, "mm", [a, b])
    close(out, a @ b)


def conv_reference(x, w, stride, dilation):
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    oh = (h - dilation * (kh - 1) - 1) // stride + 1
    ow = (wd - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, f, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            window = x[:, :, i * dilation : i * dilation + stride * (oh - 1) + 1 : stride,
                       j * dilation : j * dilation + stride * (ow - 1) + 1 : stride]
            out += np.einsum("nchw,fc->nfhw", window, w[:, :, i, j])
    return out.astype(np.float32)


def test_conv_stride_2_dilation_2():
    # 9x9 input, 3x3 kernel dilated by 2 (extent 5), stride 2: a 3x3 output.
    module = lower(
        """
        func.func @conv(%x: tensor<1x2x9x9xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32> {
          %zero = arith.constant 0.0 : f32
          %e = tensor.empty() : tensor<1x3x3x3xf32>
          %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
          %c = linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x2x9x9xf32>, tensor<3x2x3x3xf32>) outs(%f : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
          func.return %c : tensor<1x3x3x3xf32>
        }
        """
    )
    x, w = rand(1, 2, 9, 9), rand(3, 2, 3, 3)
    (out,) = run_loops(module, "conv", [x, w])
    close(out, conv_reference(x, w, stride=2, dilation=2))


def test_conv_i8_accumulates_in_i32():
    module = lower(
        """
        func.func @conv(%x: tensor<1x1x4x4xi8>, %w: tensor<1x1x2x2xi8>) -> tensor<1x1x3x3xi32> {
          %zero = arith.constant 0 : i32
          %e = tensor.empty() : tensor<1x1x3x3xi32>
          %f = linalg.fill ins(%zero : i32) outs(%e : tensor<1x1x3x3xi32>) -> tensor<1x1x3x3xi32>
          %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x1x4x4xi8>, tensor<1x1x2x2xi8>) outs(%f : tensor<1x1x3x3xi32>) -> tensor<1x1x3x3xi32>
          func.return %c : tensor<1x1x3x3xi32>
        }
        """
    )
    x = RNG.integers(-128, 128, (1, 1, 4, 4)).astype(np.int8)
    w = RNG.integers(-128, 128, (1, 1, 2, 2)).astype(np.int8)
    (out,) = run_loops(module, "conv", [x, w])
    expected = conv_reference(x.astype(np.float64), w.astype(np.float64), 1, 1)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, expected.astype(np.int32))


def test_padded_copy_with_offset_output_map():
    module = lower(
        """
        func.func @pad(%x: tensor<1x2x3x4xf32>) -> tensor<1x2x7x8xf32> {
          %zero = arith.constant 0.0 : f32
          %e = tensor.empty() : tensor<1x2x7x8xf32>
          %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x7x8xf32>) -> tensor<1x2x7x8xf32>
          %p = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 + 2, d3 + 2)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x2x3x4xf32>) outs(%f : tensor<1x2x7x8xf32>) {
          ^bb0(%in: f32, %o: f32):
            linalg.yield %in : f32
          } -> tensor<1x2x7x8xf32>
          func.return %p : tensor<1x2x7x8xf32>
        }
        """
    )
    x = rand(1, 2, 3, 4)
    (out,) = run_loops(module, "pad", [x])
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2))))


def test_reshape_via_floordiv_mod():
    module = lower(
        """
        func.func @flatten(%x: tensor<3x4xf32>) -> tensor<12xf32> {
          %e = tensor.empty() : tensor<12xf32>
          %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0 floordiv 4, d0 mod 4)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<3x4xf32>) outs(%e : tensor<12xf32>) {
          ^bb0(%in: f32, %o: f32):
            linalg.yield %in : f32
          } -> tensor<12xf32>
          func.return %r : tensor<12xf32>
        }
        """
    )
    x = rand(3, 4)
    (out,) = run_loops(module, "flatten", [x])
    np.testing.assert_array_equal(out, x.reshape(12))


def test_broadcast_op_and_broadcast_map():
    module = lower(
        """
        func.func @bcast(%x: tensor<3xf32>, %row: tensor<1x4xf32>) -> (tensor<2x3x4xf32>, tensor<5x4xf32>) {
          %e = tensor.empty() : tensor<2x3x4xf32>
          %b = linalg.broadcast ins(%x : tensor<3xf32>) outs(%e : tensor<2x3x4xf32>) dimensions = [0, 2]
          %e2 = tensor.empty() : tensor<5x4xf32>
          %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%row : tensor<1x4xf32>) outs(%e2 : tensor<5x4xf32>) {
          ^bb0(%in: f32, %o: f32):
            linalg.yield %in : f32
          } -> tensor<5x4xf32>
          func.return %b, %r : tensor<2x3x4xf32>, tensor<5x4xf32>
        }
        """
    )
    x, row = rand(3), rand(1, 4)
    b, r = run_loops(module, "bcast", [x, row])
    np.testing.assert_array_equal(b, np.broadcast_to(x[None, :, None], (2, 3, 4)))
    np.testing.assert_array_equal(r, np.broadcast_to(row, (5, 4)))


def test_transpose():
    module = lower(
        """
        func.func @t(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
          %e = tensor.empty() : tensor<4x2x3xf32>
          %t = linalg.transpose ins(%x : tensor<2x3x4xf32>) outs(%e : tensor<4x2x3xf32>) permutation = [2, 0, 1]
          func.return %t : tensor<4x2x3xf32>
        }
        """
    )
    x = rand(2, 3, 4)
    (out,) = run_loops(module, "t", [x])
    np.testing.assert_array_equal(out, np.transpose(x, (2, 0, 1)))


def test_reduce_sum_and_max():
    module = lower(
        """
        func.func @reductions(%x: tensor<2x3x4xf32>) -> (tensor<3xf32>, tensor<2x3xf32>) {
          %zero = arith.constant 0.0 : f32
          %ninf = arith.constant 0xFF800000 : f32
          %e0 = tensor.empty() : tensor<3xf32>
          %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<3xf32>) -> tensor<3xf32>
          %sum = linalg.reduce ins(%x : tensor<2x3x4xf32>) outs(%f0 : tensor<3xf32>) dimensions = [0, 2]
            (%in: f32, %acc: f32) {
              %s = arith.addf %in, %acc : f32
              linalg.yield %s : f32
            }
          %e1 = tensor.empty() : tensor<2x3xf32>
          %f1 = linalg.fill ins(%ninf : f32) outs(%e1 : tensor<2x3xf32>) -> tensor<2x3xf32>
          %max = linalg.reduce ins(%x : tensor<2x3x4xf32>) outs(%f1 : tensor<2x3xf32>) dimensions = [2]
            (%in: f32, %acc: f32) {
              %m = arith.maximumf %in, %acc : f32
              linalg.yield %m : f32
            }
          func.return %sum, %max : tensor<3xf32>, tensor<2x3xf32>
        }
        """
    )
    x = rand(2, 3, 4)
    total, largest = run_loops(module, "reductions", [x])
    close(total, x.sum(axis=(0, 2)))
    np.testing.assert_array_equal(largest, x.max(axis=2))


def test_call_with_two_results_and_constants():
    module = lower(
        """
        func.func @stats(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
          %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
          %e0 = tensor.empty() : tensor<4xf32>
          %e1 = tensor.empty() : tensor<4xf32>
          %r:2 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x, %c : tensor<4xf32>, tensor<4xf32>) outs(%e0, %e1 : tensor<4xf32>, tensor<4xf32>) {
          ^bb0(%a: f32, %b: f32, %o0: f32, %o1: f32):
            %s = arith.addf %a, %b : f32
            %d = arith.divf %a, %b : f32
            linalg.yield %s, %d : f32, f32
          } -> tensor<4xf32>, tensor<4xf32>
          func.return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
        }
        func.func @main(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
          %a:2 = func.call @stats(%x) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
          %b:2 = func.call @stats(%a#0) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
          func.return %b#1, %a#1 : tensor<4xf32>, tensor<4xf32>
        }
        """
    )
    x = rand(4)
    c = np.array([1, 2, 3, 4], dtype=np.float32)
    first, second = run_loops(module, "main", [x])
    close(first, (x + c) / c)
    close(second, x / c)


def test_buffer_reused_as_outs_twice():
    # One fill result is the init of two matmuls; then r = m1 - m2 + x (x read after m2).
    module = lower(
        """
        func.func @f(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>, %x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
          %one = arith.constant 1.0 : f32
          %e = tensor.empty() : tensor<2x2xf32>
          %f = linalg.fill ins(%one : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
          %m1 = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<3x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
          %m2 = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<3x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
          %acc = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<3x2xf32>) outs(%x : tensor<2x2xf32>) -> tensor<2x2xf32>
          %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%m1, %x : tensor<2x2xf32>, tensor<2x2xf32>) outs(%m2 : tensor<2x2xf32>) {
          ^bb0(%p: f32, %q: f32, %o: f32):
            %d = arith.subf %p, %o : f32
            %s = arith.addf %d, %q : f32
            linalg.yield %s : f32
          } -> tensor<2x2xf32>
          func.return %r, %acc : tensor<2x2xf32>, tensor<2x2xf32>
        }
        """
    )
    a, b, x = rand(2, 3), rand(3, 2), rand(2, 2)
    r, acc = run_loops(module, "f", [a, b, x])
    close(r, x)  # m1 == m2
    close(acc, x + a @ b)


def test_index_and_scalar_math_in_body():
    # out[i, j] = exp(x[i, j]) / (i + 1) - tanh(x[i, j]) with linalg.index and arith casts.
    module = lower(
        """
        func.func @g(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
          %e = tensor.empty() : tensor<3x2xf32>
          %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<3x2xf32>) outs(%e : tensor<3x2xf32>) {
          ^bb0(%in: f32, %o: f32):
            %i = linalg.index 0 : index
            %c1 = arith.constant 1 : index
            %i1 = arith.addi %i, %c1 : index
            %ii = arith.index_cast %i1 : index to i32
            %fi = arith.sitofp %ii : i32 to f32
            %ex = math.exp %in : f32
            %q = arith.divf %ex, %fi : f32
            %t = math.tanh %in : f32
            %s = arith.subf %q, %t : f32
            linalg.yield %s : f32
          } -> tensor<3x2xf32>
          func.return %r : tensor<3x2xf32>
        }
        """
    )
    x = rand(3, 2)
    (out,) = run_loops(module, "g", [x])
    close(out, np.exp(x) / np.arange(1, 4, dtype=np.float32)[:, None] - np.tanh(x))


def test_pooling_nchw_max_is_correct():
    # xDSL's own body for this op is wrong; linalg-to-loops rebuilds it.
    module = lower(
        """
        func.func @pool(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
          %ninf = arith.constant 0xFF800000 : f32
          %w = tensor.empty() : tensor<2x2xf32>
          %e = tensor.empty() : tensor<1x2x2x2xf32>
          %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
          %p = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x2xf32>) outs(%f : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
          func.return %p : tensor<1x2x2x2xf32>
        }
        """
    )
    x = rand(1, 2, 4, 4)
    (out,) = run_loops(module, "pool", [x])
    np.testing.assert_array_equal(out, x.reshape(1, 2, 2, 2, 2, 2).max(axis=(3, 5)))


def test_signature_and_locations_after_lowering():
    text = """
        func.func @mm(%a: tensor<2x2xf32>, %b: tensor<2x2xf32>) -> tensor<2x2xf32> {
          %zero = arith.constant 0.0 : f32
          %e = tensor.empty() : tensor<2x2xf32>
          %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
          %m = linalg.matmul ins(%a, %b : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
          %m2 = linalg.matmul ins(%a, %m : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
          func.return %m2 : tensor<2x2xf32>
        }
    """
    module = lower(text, "bufferize,linalg-to-loops")
    fn = next(op for op in module.walk() if isinstance(op, func.FuncOp))
    assert [str(t) for t in fn.function_type.inputs.data] == ["memref<2x2xf32>"] * 3
    assert not fn.function_type.outputs.data
    assert [bool(d.data) for d in fn.arg_attrs.data] == [False, False, True]
    lines = {op.location.line.data for op in fn.walk() if isinstance(op.location, FileLineColLoc)}
    assert all(isinstance(op.location, FileLineColLoc) for op in fn.walk())
    # Line 2 is the function, 3 the constant, 5 the fill, 6 the first matmul (with the copy
    # of %f it writes into), 7 the second, 8 the return (and the dealloc of that copy).
    # Line 4 produced nothing: %e's buffer became the output argument.
    assert lines == {2, 3, 5, 6, 7, 8}
    copy_alloc = next(op for op in fn.walk() if op.name == "memref.alloc")
    assert copy_alloc.location.line.data == 6
    dealloc = next(op for op in fn.walk() if op.name == "memref.dealloc")
    assert dealloc.location.line.data == 8
    a, b = rand(2, 2), rand(2, 2)
    (out,) = run_loops(module, "mm", [a, b])
    close(out, a @ (a @ b))


def test_no_tensor_left_after_bufferize():
    module = lower(
        """
        func.func @id(%x: tensor<2xf32>) -> tensor<2xf32> {
          func.return %x : tensor<2xf32>
        }
        """,
        "bufferize",
    )
    for op in module.walk():
        for value in (*op.results, *(a for r in op.regions for b in r.blocks for a in b.args)):
            assert not isinstance(value.type, TensorType)
    x = rand(2)
    (out,) = run_loops(lower(
        """
        func.func @id(%x: tensor<2xf32>) -> tensor<2xf32> {
          func.return %x : tensor<2xf32>
        }
        """
    ), "id", [x])
    np.testing.assert_array_equal(out, x)


def test_run_loops_checks_its_inputs():
    module = lower(
        """
        func.func @id(%x: tensor<2xf32>) -> tensor<2xf32> {
          func.return %x : tensor<2xf32>
        }
        """
    )
    with pytest.raises(ValueError, match="shape"):
        run_loops(module, "id", [rand(3)])
    with pytest.raises(ValueError, match="1 input"):
        run_loops(module, "id", [])
    with pytest.raises(ValueError, match="no function"):
        run_loops(module, "nope", [])


def test_mod_of_a_negative_dividend():
    # out[i] = x[(i - 1) mod 4]: affine mod is never negative, arith.remsi (what lower-affine
    # emits) is; linalg-to-loops shifts the dividend so both agree.
    module = lower(
        """
        func.func @roll(%x: tensor<4xf32>) -> tensor<4xf32> {
          %e = tensor.empty() : tensor<4xf32>
          %r = linalg.generic {indexing_maps = [affine_map<(d0) -> ((d0 - 1) mod 4)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
          ^bb0(%in: f32, %o: f32):
            linalg.yield %in : f32
          } -> tensor<4xf32>
          func.return %r : tensor<4xf32>
        }
        """
    )
    x = rand(4)
    (out,) = run_loops(module, "roll", [x])
    np.testing.assert_array_equal(out, np.roll(x, 1))


def test_run_loops_rejects_an_index_out_of_bounds():
    ctx = registry.make_context()
    module = parse_mlir(
        ctx,
        """
        func.func @f(%x: memref<4xf32>, %out: memref<f32> {tessera.out}) {
          %i = arith.constant -1 : index
          %v = memref.load %x[%i] : memref<4xf32>
          memref.store %v, %out[] : memref<f32>
          func.return
        }
        """,
        "oob.mlir",
    )
    with pytest.raises(InterpretationError, match=r"memref.load at oob.mlir:4:11: index \[-1\] out of bounds"):
        run_loops(module, "f", [rand(4)])
