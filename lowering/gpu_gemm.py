"""The tiled GEMM kernel of `linalg-to-gpu`: contractions (matmul, batched and transposed
generics, conv2d as an implicit GEMM) as block tiles of per-thread register tiles, staged
through shared memory. See the pass's docstring (lowering/linalg_to_gpu.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xdsl.dialects import arith, gpu, vector
from xdsl.dialects.builtin import (
    Float32Type,
    Float64Type,
    IndexType,
    IntegerType,
    VectorType,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Block, Operation, SSAValue

from tessera.compiler.gpu_schedule import A_TILE_PAD, GpuSchedule
from tessera.lowering.affine_forms import plain_dims
from tessera.lowering.gpu_kernel_builder import (
    KernelBuilder,
    apply_epilogues,
    finish_launch,
    new_launch,
    only_feeds,
)
from tessera.lowering.schedule_codegen import Epilogue

_index = IndexType()


# ---------------------------------------------------------------------------------------
# Tiled GEMM


IndexFn = Callable[[KernelBuilder, SSAValue | None, SSAValue, SSAValue], list[SSAValue]]


@dataclass
class Contraction:
    """C[b, m, n] = body(A[b, m, k], B[b, k, n], C[b, m, n]) for k in order, as index
    functions of (batch, row, column) into the op's real operands."""

    op: Operation
    a: SSAValue
    b: SSAValue
    c: SSAValue
    batch: int
    m: int
    n: int
    k: int
    a_index: IndexFn  # (batch, m, k)
    b_index: IndexFn  # (batch, k, n)
    c_index: IndexFn  # (batch, m, n)
    body: Block  # arguments (a, b, acc), yields the new acc
    element_bytes: tuple[int, int] = (4, 4)
    # The op's loop indices at output element (batch, m, n); None for the reduced ones.
    dims: Callable[[KernelBuilder, SSAValue, SSAValue, SSAValue],
                   list[SSAValue | None]] | None = None
    # Where the accumulators start: C's elements, or this scalar (a fill absorbed).
    initial: SSAValue | None = None
    # Whether A's last index is k and B's is n: the staged tiles then run along contiguous
    # memory, and can be loaded `vector` elements at a time.
    contiguous: tuple[bool, bool] = (False, False)


def _multiply_accumulate(body: Block) -> bool:
    """Whether a (a, b, acc) body yields acc + f(a)·g(b), with f, g casts: zero-padded a or b
    then adds nothing."""
    yielded = body.last_op
    if not isinstance(yielded, linalg.YieldOp) or len(yielded.operands) != 1:
        return False
    add = yielded.operands[0].owner
    if not isinstance(add, (arith.AddfOp, arith.AddiOp)):
        return False
    a, b, acc = body.args
    others = [v for v in add.operands if v is not acc]
    if len(others) != 1 or acc not in add.operands:
        return False
    mul = others[0].owner
    if not isinstance(mul, (arith.MulfOp, arith.MuliOp)):
        return False

    def from_arg(v: SSAValue, arg: SSAValue) -> bool:
        while v is not arg:
            owner = v.owner
            if not isinstance(owner, (arith.ExtSIOp, arith.ExtUIOp, arith.ExtFOp,
                                      arith.SIToFPOp)):
                return False
            v = owner.operands[0]
        return True

    x, y = mul.operands
    return ((from_arg(x, a) and from_arg(y, b)) or (from_arg(x, b) and from_arg(y, a)))


def _bytes(value: SSAValue) -> int:
    element = value.type.get_element_type()
    if isinstance(element, IntegerType):
        return max(1, element.width.data // 8)
    return 8 if isinstance(element, Float64Type) else 4


def as_contraction(op: Operation) -> Contraction | None:
    if isinstance(op, linalg.Conv2DNchwFchwOp):
        return _conv_contraction(op)
    if not isinstance(op, (linalg.MatmulOp, linalg.GenericOp)):
        return None
    if len(op.inputs) != 2 or len(op.outputs) != 1 or not op.regions:
        return None
    maps = [plain_dims(m.data) for m in op.get_indexing_maps()]
    if any(m is None for m in maps):
        return None
    kinds = [it.data.value for it in op.get_iterator_types()]
    a_dims, b_dims, c_dims = (set(m) for m in maps)  # type: ignore[arg-type]
    if any(len(set(m)) != len(m) for m in maps):  # type: ignore[arg-type]
        return None
    roles = {}
    for d, kind in enumerate(kinds):
        where = (d in a_dims, d in b_dims, d in c_dims)
        role = {(True, True, True): "batch", (True, False, True): "m",
                (False, True, True): "n", (True, True, False): "k"}.get(where)
        if role is None or (role == "k") != (kind == "reduction"):
            return None
        if role in roles:
            return None
        roles[role] = d
    if set(roles) - {"batch"} != {"m", "n", "k"}:
        return None
    body = op.regions[0].block
    if not _multiply_accumulate(body):
        return None
    extents = list(op.get_static_loop_ranges())

    by_role = {v: k for k, v in roles.items()}

    def loop_dims(kb, batch, m, n):
        value = {"m": m, "n": n, "batch": batch, "k": None}
        return [value[by_role[d]] for d in range(len(kinds))]

    def make(first: str, second: str, dims):
        def index(kb, batch, x, y):
            value = {first: x, second: y, "batch": batch}
            return [value[by_role[d]] for d in dims]
        return index

    return Contraction(
        op, op.inputs[0], op.inputs[1], op.outputs[0],
        extents[roles["batch"]] if "batch" in roles else 1,
        extents[roles["m"]], extents[roles["n"]], extents[roles["k"]],
        make("m", "k", maps[0]), make("k", "n", maps[1]), make("m", "n", maps[2]),
        body, (_bytes(op.inputs[0]), _bytes(op.inputs[1])), loop_dims,
        contiguous=(maps[0][-1] == roles["k"], maps[1][-1] == roles["n"]))


def _conv_contraction(op: linalg.Conv2DNchwFchwOp) -> Contraction | None:
    image, weights = op.inputs
    (out,) = op.outputs
    n, c, _, _ = image.type.get_shape()
    f, _, kh, kw = weights.type.get_shape()
    _, _, oh, ow = out.type.get_shape()
    strides = [int(v) for v in op.strides.get_values()]
    dilations = [int(v) for v in op.dilations.get_values()]
    if not op.regions or not _multiply_accumulate(op.regions[0].block):
        return None
    window = kh * kw

    def weight_index(kb, batch, row, k):
        ci = kb.div(k, window)
        r = kb.rem(k, window)
        return [row, ci, kb.div(r, kw), kb.rem(r, kw)]

    def pixel(kb, col):
        img = kb.div(col, oh * ow)
        p = kb.rem(col, oh * ow)
        return img, kb.div(p, ow), kb.rem(p, ow)

    def image_index(kb, batch, k, col):
        img, y, x = pixel(kb, col)
        ci = kb.div(k, window)
        r = kb.rem(k, window)
        ky, kx = kb.div(r, kw), kb.rem(r, kw)
        return [img, ci, kb.add(kb.mul(y, strides[0]), kb.mul(ky, dilations[0])),
                kb.add(kb.mul(x, strides[1]), kb.mul(kx, dilations[1]))]

    def out_index(kb, batch, row, col):
        img, y, x = pixel(kb, col)
        return [img, row, y, x]

    def loop_dims(kb, batch, row, col):  # (n, f, oh, ow, c, kh, kw)
        return [*out_index(kb, batch, row, col), None, None, None]

    return Contraction(op, weights, image, out, 1, f, n * oh * ow, c * window,
                       weight_index, image_index, out_index, op.regions[0].block,
                       (_bytes(weights), _bytes(image)), loop_dims)


def tiled_gemm(g: Contraction, s: GpuSchedule, epilogues: Sequence[Epilogue] = ()
               ) -> SSAValue | None:
    """The GEMM kernel; returns the output buffer when the kernel no longer writes it (to be
    erased once the fused consumers are)."""
    bm, bn = s.block
    tm, tn = s.thread
    bk = s.k_tile
    dead_output = g.initial is not None and only_feeds(g.c, g.op, epilogues)
    tx_count, ty_count = s.block_threads
    threads = tx_count * ty_count
    grid = (-(-g.n // bn), -(-g.m // bm), g.batch)
    launch, kb, ids = new_launch(g.op, grid, (tx_count, ty_count, 1))
    a_elem = g.a.type.get_element_type()
    b_elem = g.b.type.get_element_type()
    c_elem = g.c.type.get_element_type()
    bx, by, bz, tx, ty = ids[0], ids[1], ids[2], ids[3], ids[4]
    batch = bz if g.batch > 1 else kb.index(0)
    row0 = kb.mul(by, bm)
    col0 = kb.mul(bx, bn)
    tid = kb.add(kb.mul(ty, tx_count), tx)
    acc = kb.alloca([tm * tn], c_elem)
    a_frag = kb.alloca([tm], a_elem)
    b_frag = kb.alloca([tn], b_elem)

    def row_of(i):  # the block-tile row of this thread's i-th row
        return kb.add(ty, i * ty_count) if isinstance(i, int) else kb.add(ty, kb.mul(i, ty_count))

    def col_of(j):
        return kb.add(tx, j * tx_count) if isinstance(j, int) else kb.add(tx, kb.mul(j, tx_count))

    def in_c(i, j):
        gm, gn = kb.add(row0, row_of(i)), kb.add(col0, col_of(j))
        return gm, gn, kb.both(kb.less(gm, g.m) if g.m % bm else None,
                               kb.less(gn, g.n) if g.n % bn else None)

    # Accumulators start from C (the op accumulates into its output), or from the value of
    # the fill before the op, which then never runs.
    def init_row(i):
        def init_col(j):
            if g.initial is not None:
                value = g.initial
            else:
                gm, gn, ok = in_c(i, j)
                value = kb.guarded_load(ok, g.c, lambda: g.c_index(kb, batch, gm, gn), c_elem)
            kb.store(value, acc, [kb.add(kb.mul(i, tn), j)])
            return []
        kb.loop(0, tn, 1, init_col, unroll=True)
        return []
    kb.loop(0, tm, 1, init_row, unroll=True)

    def multiply(a_at: Callable[[SSAValue], SSAValue], b_at: Callable[[SSAValue], SSAValue]):
        """acc += a_frag ⊗ b_frag with the fragments read through a_at(i) and b_at(j)."""
        def fill_a(i):
            kb.store(a_at(i), a_frag, [i])
            return []

        def fill_b(j):
            kb.store(b_at(j), b_frag, [j])
            return []
        kb.loop(0, tm, 1, fill_a, unroll=True)
        kb.loop(0, tn, 1, fill_b, unroll=True)

        def row(i):
            def col(j):
                slot = [kb.add(kb.mul(i, tn), j)]
                a_arg, b_arg, acc_arg = g.body.args
                (new,) = kb.clone_body(g.body, {
                    a_arg: kb.load(a_frag, [i]), b_arg: kb.load(b_frag, [j]),
                    acc_arg: kb.load(acc, slot)})
                kb.store(new, acc, slot)
                return []
            kb.loop(0, tn, 1, col, unroll=True)
            return []
        kb.loop(0, tm, 1, row, unroll=True)

    if s.stage:
        a_tile = kb.alloca([bk, bm + A_TILE_PAD], a_elem, shared=True)
        b_tile = kb.alloca([bk, bn], b_elem, shared=True)

        def stage(count, inner, global_at, width):
            """All threads copy `count` elements, `width` at a time, consecutive threads on
            consecutive ones."""
            units = count // width
            rounds = -(-units // threads)

            def one(r):
                u = kb.add(kb.mul(r, threads), tid)
                inside = kb.less(u, units) if units % threads else None

                def copy():
                    e = kb.mul(u, width)
                    x, y = kb.div(e, inner), kb.rem(e, inner)
                    global_at(x, y)
                    return []
                kb.when(inside, copy)
                return []
            kb.loop(0, rounds, 1, one, unroll=rounds <= 16)

        # Wide loads need whole vectors inside the operand and the tile: no ragged edge.
        a_width = s.vector if (g.contiguous[0] and a_elem == Float32Type() and bk % s.vector == 0
                               and g.m % bm == 0 and g.k % bk == 0) else 1
        b_width = s.vector if (g.contiguous[1] and b_elem == Float32Type() and bn % s.vector == 0
                               and g.n % bn == 0 and g.k % bk == 0) else 1

        def k_step(k0):
            def a_elem_at(r, kk):  # A tile: r in BM rows, kk along K (fastest)
                gm, gk = kb.add(row0, r), kb.add(k0, kk)
                if a_width > 1:
                    v = kb.value(vector.LoadOp(g.a, g.a_index(kb, batch, gm, gk),
                                               VectorType(a_elem, [a_width])))
                    for lane in range(a_width):
                        x = kb.value(vector.ExtractOp(v, [lane], a_elem))
                        kb.store(x, a_tile, [kb.add(kk, lane), r])
                    return
                ok = kb.both(kb.less(gm, g.m) if g.m % bm else None,
                             kb.less(gk, g.k) if g.k % bk else None)
                v = kb.guarded_load(ok, g.a, lambda: g.a_index(kb, batch, gm, gk), a_elem)
                kb.store(v, a_tile, [kk, r])

            def b_elem_at(kk, cn):  # B tile: kk rows, cn along N (fastest)
                gk, gn = kb.add(k0, kk), kb.add(col0, cn)
                if b_width > 1:
                    t = VectorType(b_elem, [b_width])
                    v = kb.value(vector.LoadOp(g.b, g.b_index(kb, batch, gk, gn), t))
                    kb.emit(vector.StoreOp(v, b_tile, [kk, cn]))
                    return
                ok = kb.both(kb.less(gk, g.k) if g.k % bk else None,
                             kb.less(gn, g.n) if g.n % bn else None)
                v = kb.guarded_load(ok, g.b, lambda: g.b_index(kb, batch, gk, gn), b_elem)
                kb.store(v, b_tile, [kk, cn])

            stage(bm * bk, bk, a_elem_at, a_width)
            stage(bk * bn, bn, b_elem_at, b_width)
            kb.emit(gpu.BarrierOp())

            def kk_step(kk):
                multiply(lambda i: kb.load(a_tile, [kk, row_of(i)]),
                         lambda j: kb.load(b_tile, [kk, col_of(j)]))
                return []
            kb.loop(0, bk, 1, kk_step, unroll=True)
            kb.emit(gpu.BarrierOp())
            return []
        kb.loop(0, g.k, bk, k_step)
    else:
        def k_point(k):
            def a_at(i):
                gm = kb.add(row0, row_of(i))
                ok = kb.less(gm, g.m) if g.m % bm else None
                return kb.guarded_load(ok, g.a, lambda: g.a_index(kb, batch, gm, k), a_elem)

            def b_at(j):
                gn = kb.add(col0, col_of(j))
                ok = kb.less(gn, g.n) if g.n % bn else None
                return kb.guarded_load(ok, g.b, lambda: g.b_index(kb, batch, k, gn), b_elem)
            multiply(a_at, b_at)
            return []
        kb.loop(0, g.k, 1, k_point)

    def store_row(i):
        def store_col(j):
            gm, gn, ok = in_c(i, j)

            def write():
                value = kb.load(acc, [kb.add(kb.mul(i, tn), j)])
                if not dead_output:
                    kb.store(value, g.c, g.c_index(kb, batch, gm, gn))
                if epilogues:
                    assert g.dims is not None
                    apply_epilogues(kb, epilogues, value, g.dims(kb, batch, gm, gn))
                return []
            kb.when(ok, write)
            return []
        kb.loop(0, tn, 1, store_col, unroll=True)
        return []
    kb.loop(0, tm, 1, store_row, unroll=True)
    finish_launch(kb)
    g.op.detach()
    g.op.erase()
    return g.c if dead_output else None

