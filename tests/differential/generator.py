"""Seeded random, well-typed `.tsr` programs for differential testing.

`random_program(rng)` returns `(source_text, entry, description)`: a program of 1-6 ops
chained on one value (with the odd residual use of an earlier value), built step by step
while the generator tracks every value's shape and element type, so that each op is only
applied where its shape rules hold (matmul weights are made to fit the inner dimension,
conv2d gets an OIHW weight that fits its NCHW input, pooling windows fit, reductions and
softmax take axes in range, reshapes factor the element count, ...). Sizes are drawn from
small numbers that include 1 and primes; no tensor holds more than `MAX_ELEMS` elements.

Most programs are f32, some f64, some i32 (clamped before they could overflow) and some
int8-quantized (`requantize(widen(a) @ widen(b), scale=...)`); integers are compared
exactly. Some programs also name a dimension symbolically (`dim D = ...`), move their first
ops into a helper function, or return two results. Floating-point programs avoid values
where the targets
could legitimately disagree: `log` and `sqrt` only see arguments bounded away from zero
(`log(x * x + 1.0)`, `sqrt(relu(x) + 0.5)`, ...), divisions have denominators bounded away
from zero, and `exp` is only applied to values whose rough magnitude (tracked per value) is
small, else to `tanh(x)` or a scaled-down `x`.

The op generators of movement, index notation and int8 quantization live in `gen_movement.py`,
`gen_index.py` and `gen_quantized.py` (mixins of `Generator`), the shared sizes in
`gen_support.py`.

`random_case(rng, size_cap=None)` gives the structured form (`Case`, in `case_model.py`) the
test's shrinker works on: `render(case)` prints it, and `truncate`, `cut`, `drop`, ... make
smaller cases.
"""

from __future__ import annotations

import math
import random

from case_model import ENTRY, Case, Step, T, render
from gen_index import IndexNotationOps
from gen_movement import MovementOps
from gen_quantized import QuantizedOps
from gen_support import (
    SIZES,
    BIG,
    SPATIAL,
    MAX_ELEMS,
    INPUT_MAG,
    INT_INPUT_MAG,
    INT_LIMIT,
    RANK0_PARAMS,
    _broadcast,
    _pair,
    _num,
)


class Generator(MovementOps, IndexNotationOps, QuantizedOps):
    def __init__(self, rng: random.Random, size_cap: int | None = None):
        self.rng = rng
        self.cap = size_cap
        self.counter = 0
        self.flavor = "f32"
        self.values: list[tuple[str, T, float]] = []  # every value so far: residual uses

    # ---- helpers -----------------------------------------------------------------------
    def dim(self, choices=SIZES) -> int:
        d = self.rng.choice(choices)
        if choices is SIZES and self.rng.random() < 0.08:
            d = self.rng.choice(BIG)
        return min(d, self.cap) if self.cap else d

    def fresh(self) -> int:
        self.counter += 1
        return self.counter

    def float_dtype(self) -> str:
        return {"f64": "f64", "i32": "i32"}.get(self.flavor, "f32")

    @staticmethod
    def pmag(t: T) -> float:
        """The magnitude of a new parameter of `t`'s element type."""
        return INT_INPUT_MAG if t.dtype[0] == "i" else INPUT_MAG

    @staticmethod
    def grow(t: T, m: float, inner: int) -> float:
        """The magnitude of a sum of `inner` products of `m` with a parameter: a bound for
        integers (which must not overflow), a typical size for floats."""
        if t.dtype[0] == "i":
            return m * INT_INPUT_MAG * inner
        return m * INPUT_MAG * math.sqrt(inner) * 1.5

    def shape(self, rank: int, choices=SIZES) -> tuple[int, ...]:
        for _ in range(20):
            s = tuple(self.dim(choices) for _ in range(rank))
            if math.prod(s) <= MAX_ELEMS:
                return s
        return (1,) * rank

    def first_input(self) -> T:
        rng = self.rng
        if self.flavor == "i8":
            rank = rng.choice([2, 2, 3, 4, 4])
        else:
            rank = rng.choices([0, 1, 2, 3, 4],
                               weights=[1 if RANK0_PARAMS else 0, 8, 30, 20, 35])[0]
        dtype = "i8" if self.flavor == "i8" else self.float_dtype()
        if rank == 4:  # NCHW: small batch and channels, room for windows
            for _ in range(20):
                s = (self.dim((1, 1, 2, 3)), self.dim((1, 2, 3, 4, 5, 8)),
                     self.dim(SPATIAL), self.dim(SPATIAL))
                if math.prod(s) <= MAX_ELEMS:
                    return T(dtype, s)
            return T(dtype, (1, 1, 5, 5))
        return T(dtype, self.shape(rank))

    def partner(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """A shape that broadcasts with `shape` (dims kept, set to 1, grown from 1, dropped
        from the front or added in front)."""
        rng = self.rng
        out = []
        for d in shape:
            r = rng.random()
            if d == 1:
                out.append(self.dim() if r < 0.3 else 1)
            else:
                out.append(1 if r < 0.25 else d)
        if out and rng.random() < 0.3:
            out = out[rng.randint(1, len(out)):]
        if rng.random() < 0.1 or (not out and not RANK0_PARAMS):
            out = [self.dim((1, 2, 3))] + out
        return tuple(out)

    def step(self, kind, lines, out, t, mag, src, params=None, work=None) -> Step:
        return Step(kind, lines, out, t, min(mag, 1e30), src, params or {},
                    work if work is not None else max(t.numel, 1))

    # ---- float ops ---------------------------------------------------------------------
    def guarded_exp(self, v: str, m: float) -> tuple[str, float]:
        rng = self.rng
        if m <= 8 and rng.random() < 0.7:
            return f"exp({v})", math.exp(m)
        choice = rng.random()
        if choice < 0.4:
            return f"exp(tanh({v}))", math.e
        if choice < 0.7:
            return f"exp(-relu({v}))", 1.0
        c = 2.0 ** -max(0, math.ceil(math.log2(max(m, 1) / 4)))
        return f"exp({v} * {_num(c)})", math.exp(4)

    def i_unary(self, name, t, m):
        o = f"v{self.fresh()}"
        e, mag = self.rng.choice([(f"relu({name})", m), (f"-{name}", m),
                                  (f"relu(-{name}) - {name}", 2 * m),
                                  (f"-relu({name} - 2)", m + 2),
                                  (f"step({name}) * {name} - step(-{name})", m + 1)])
        return self.step("iunary", [f"{o} = {e}"], o, t, mag, name)

    def i_clamp(self, name, t, m):
        o = f"v{self.fresh()}"
        e, mag = self.rng.choice([(f"minimum(maximum({name}, -1000), 1000)", 1000),
                                  (f"{name} / {int(max(2, m // 1000))}", 1000)])
        return self.step("clamp", [f"{o} = {e}"], o, t, mag, name)

    def f_unary(self, name, t, m):
        rng = self.rng
        if t.dtype[0] == "i":
            return self.i_unary(name, t, m)
        o = f"v{self.fresh()}"
        which = rng.choice(["relu", "sigmoid", "tanh", "neg", "exp", "log", "sqrt", "nested"])
        if which == "relu":
            e, mag = f"relu({name})", m
        elif which == "sigmoid":
            e, mag = f"sigmoid({name})", 1.0
        elif which == "tanh":
            e, mag = f"tanh({name})", 1.0
        elif which == "neg":
            e, mag = f"-{name}", m
        elif which == "exp":
            e, mag = self.guarded_exp(name, m)
        elif which == "log":
            forms = [(f"log({name} * {name} + 1.0)", math.log(m * m + 1) + 1),
                     (f"log(relu({name}) + 1.0)", math.log(m + 1) + 1)]
            if m <= 8:
                forms.append((f"log(exp({name}))", m))
                forms.append((f"log(sigmoid({name}))", m + 1))
            e, mag = rng.choice(forms)
        elif which == "sqrt":
            forms = [(f"sqrt({name} * {name} + 1.0)", m + 1),
                     (f"sqrt(relu({name}) + 0.5)", math.sqrt(m) + 1),
                     (f"sqrt(sigmoid({name}))", 1.0)]
            if m <= 8:
                forms.append((f"sqrt(exp({name}))", math.exp(m / 2)))
            e, mag = rng.choice(forms)
        else:
            e, mag = rng.choice([(f"tanh(relu({name}) - 0.5)", 1.0),
                                 (f"sigmoid(-{name}) * 2.0", 2.0),
                                 (f"relu(tanh({name}))", 1.0),
                                 (f"step({name}) * {name}", m),  # relu as its gradient uses it
                                 (f"1.0 - step(0.5 - {name})", 1.0)])  # the mask x >= 0.5
        return self.step(which, [f"{o} = {e}"], o, t, mag, name, work=2 * max(t.numel, 1))

    def f_const(self, name, t, m):
        rng = self.rng
        o = f"v{self.fresh()}"
        if t.dtype[0] == "i":
            c = rng.choice(["2", "3", "-2", "1", "-7"])
            fold = f"({c} * 2 - 1)"
        else:
            c = rng.choice(["0.5", "1.5", "2.0", "0.25", "3.0", "2"])
            fold = f"({c} * 2.0 - 1.0)"
        forms = [(f"{name} * {c}", m * 7), (f"{name} + {c}", m + 7), (f"{c} - {name}", m + 7),
                 (f"{name} / {c}", m * 4), (f"maximum({name}, {c})", m + 7),
                 (f"minimum({c}, {name})", m + 7), (f"{name} * {fold}", m * 15)]
        e, mag = rng.choice(forms)
        return self.step("const", [f"{o} = {e}"], o, t, mag, name)

    def f_binary(self, name, t, m):
        rng = self.rng
        n = self.fresh()
        o, p = f"v{n}", f"w{n}"
        pshape = self.partner(t.shape)
        out = _broadcast(t.shape, pshape)
        if out is None or math.prod(out) > MAX_ELEMS or math.prod(pshape) > MAX_ELEMS:
            return None
        op = rng.choice(["+", "-", "*", "/", "maximum", "minimum"])
        a, b = (name, p) if rng.random() < 0.5 else (p, name)
        pm = self.pmag(t)
        if op == "/" and t.dtype[0] == "i":
            denominators = [(f"({p} * {p} + 1)", p)]
            if m < 2 ** 14:
                denominators.append((f"({name} * {name} + 1)", name))
            d, used = rng.choice(denominators)
            num = name if used == p else p
            e, mag = f"{num} / {d}", max(m, pm)
        elif op == "/":
            denominators = [(f"({p} * {p} + 1.0)", p), (f"(sigmoid({p}) + 0.5)", p),
                            (f"exp({p})", p), (f"({name} * {name} + 1.0)", name)]
            d, used = rng.choice(denominators)
            num = name if used == p else p
            e, mag = f"{num} / {d}", max(m, INPUT_MAG) * 2 * (1 if used == p else INPUT_MAG)
            if "exp" in d:
                mag *= math.exp(INPUT_MAG)
        elif op in ("maximum", "minimum"):
            e, mag = f"{op}({a}, {b})", max(m, pm)
        else:
            e = f"{a} {op} {b}"
            mag = m * pm if op == "*" else m + pm
        return self.step("binary" + ("" if op[0].isalpha() else op), [f"{o} = {e}"], o,
                         T(t.dtype, out), mag, name if out == t.shape else None,
                         {p: T(t.dtype, pshape)})

    def f_residual(self, name, t, m):
        rng = self.rng
        options = [(u, ut, um) for u, ut, um in self.values
                   if ut.dtype == t.dtype and (b := _broadcast(t.shape, ut.shape)) is not None
                   and math.prod(b) <= MAX_ELEMS]
        if not options:
            return None
        u, ut, um = rng.choice(options)
        out = _broadcast(t.shape, ut.shape)
        o = f"v{self.fresh()}"
        op = rng.choice(["+", "-", "*", "maximum"])
        if op == "*" and t.dtype[0] == "i" and m * um > INT_LIMIT:
            op = "-"
        if op == "maximum":
            e, mag = f"maximum({name}, {u})", max(m, um)
        else:
            e, mag = f"{name} {op} {u}", m * um if op == "*" else m + um
        return self.step("residual", [f"{o} = {e}"], o, T(t.dtype, out), mag,
                         name if out == t.shape else None)

    def f_matmul(self, name, t, m):
        rng = self.rng
        if t.rank < 2:
            return None
        n = self.fresh()
        o, w, b = f"v{n}", f"w{n}", f"b{n}"
        *batch, rows, k = t.shape
        form = rng.choice(["right", "right", "right", "batched", "left", "transposed"])
        params = {}
        bias = False
        if form == "left":
            p = self.dim()
            params[w] = T(t.dtype, (p, rows))
            e = rng.choice([f"{w} @ {name}", f"matmul({w}, {name})"])
            out = (*batch, p, k)
            work = math.prod(out) * rows
            inner = rows
        else:
            cols = self.dim()
            if form == "batched":
                wb = list(self.partner(tuple(batch))) if batch else [self.dim((2, 3))]
                params[w] = T(t.dtype, (*wb, k, cols))
                ob = _broadcast(tuple(batch), tuple(wb))
                if ob is None:
                    return None
                out = (*ob, rows, cols)
            elif form == "transposed":
                params[w] = T(t.dtype, (cols, k))
                out = (*batch, rows, cols)
            else:
                params[w] = T(t.dtype, (k, cols))
                out = (*batch, rows, cols)
            wt = f"transpose({w})" if form == "transposed" else w
            e = rng.choice([f"{name} @ {wt}", f"matmul({name}, {wt})"])
            if rng.random() < 0.4:
                bias = True
                params[b] = T(t.dtype, (cols,))
                e = f"{e} + {b}"
            work = math.prod(out) * k
            inner = k
        if any(pt.numel > MAX_ELEMS for pt in params.values()) or math.prod(out) > MAX_ELEMS:
            return None
        mag = self.grow(t, m, inner) + (self.pmag(t) if bias else 0)
        if rng.random() < 0.3:
            e = f"relu({e})"
        return self.step("matmul" if form == "right" else f"matmul-{form}", [f"{o} = {e}"], o,
                         T(t.dtype, out), mag, None, params, work)

    def conv_geometry(self, t: T):
        """(O, kernel, stride, padding, dilation, out shape) for a conv2d that fits `t`."""
        rng = self.rng
        nb, c, h, wd = t.shape
        for _ in range(10):
            o = self.dim((1, 2, 3, 4, 5, 8))
            kh = self.dim((1, 2, 3, 3, 5))
            kw = kh if rng.random() < 0.7 else self.dim((1, 2, 3, 5))
            sh = rng.choice([1, 1, 1, 2, 3])
            sw = sh if rng.random() < 0.8 else rng.choice([1, 2])
            ph = rng.choice([0, 0, 1, 2])
            pw = ph if rng.random() < 0.8 else rng.choice([0, 1])
            dh = rng.choice([1, 1, 1, 2])
            dw = dh if rng.random() < 0.8 else rng.choice([1, 2])
            eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
            if h + 2 * ph < eh or wd + 2 * pw < ew:
                continue
            oh, ow = (h + 2 * ph - eh) // sh + 1, (wd + 2 * pw - ew) // sw + 1
            out = (nb, o, oh, ow)
            if math.prod(out) > MAX_ELEMS or o * c * kh * kw > MAX_ELEMS:
                continue
            return o, (kh, kw), (sh, sw), (ph, pw), (dh, dw), out
        return None

    def conv_args(self, kernel, stride, padding, dilation) -> str:
        rng = self.rng
        parts = []
        for key, v, default in (("stride", stride, 1), ("padding", padding, 0),
                                ("dilation", dilation, 1)):
            text = _pair(rng, *v, default)
            if text is not None:
                parts.append(f"{key}={text}")
        return "".join(f", {p}" for p in parts)

    def f_conv(self, name, t, m):
        rng = self.rng
        if t.rank != 4:
            return None
        g = self.conv_geometry(t)
        if g is None:
            return None
        o_ch, kernel, stride, padding, dilation, out = g
        n = self.fresh()
        o, w, b = f"v{n}", f"w{n}", f"b{n}"
        params = {w: T(t.dtype, (o_ch, t.shape[1], *kernel))}
        bias = ""
        if rng.random() < 0.5:
            params[b] = T(t.dtype, (o_ch,))
            bias = f", {b}" if rng.random() < 0.7 else f", bias={b}"
        e = f"conv2d({name}, {w}{bias}{self.conv_args(kernel, stride, padding, dilation)})"
        if rng.random() < 0.3:
            e = f"relu({e})"
        inner = t.shape[1] * kernel[0] * kernel[1]
        return self.step("conv2d", [f"{o} = {e}"], o, T(t.dtype, out),
                         self.grow(t, m, inner) + self.pmag(t), None, params,
                         math.prod(out) * inner)

    def f_pool(self, name, t, m, kinds=("maxpool2d", "avgpool2d")):
        rng = self.rng
        if t.rank != 4:
            return None
        _, _, h, wd = t.shape
        for _ in range(10):
            kh = rng.choice([1, 2, 2, 3, 3])
            kw = kh if rng.random() < 0.8 else rng.choice([1, 2, 3])
            ph = rng.choice([0, 0, kh // 2])
            pw = ph if ph <= kw // 2 and rng.random() < 0.8 else rng.choice([0, kw // 2])
            explicit = rng.random() < 0.5
            sh, sw = (rng.choice([1, 2, 3]), rng.choice([1, 2])) if explicit else (kh, kw)
            if explicit and rng.random() < 0.7:
                sw = sh
            if h + 2 * ph < kh or wd + 2 * pw < kw:
                continue
            oh, ow = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
            out = (t.shape[0], t.shape[1], oh, ow)
            op = rng.choice(kinds)
            args = f"{name}, {_pair(rng, kh, kw, None)}"
            if explicit:
                args += f", stride={_pair(rng, sh, sw, None)}"
            pad = _pair(rng, ph, pw, 0)
            if pad is not None:
                args += f", padding={pad}"
            o = f"v{self.fresh()}"
            return self.step(op, [f"{o} = {op}({args})"], o, T(t.dtype, out), m, None,
                             work=math.prod(out) * kh * kw)
        return None

    def f_softmax(self, name, t, m):
        rng = self.rng
        if t.rank < 1 or t.dtype[0] == "i":
            return None
        axis = rng.randint(-t.rank, t.rank - 1)
        o = f"v{self.fresh()}"
        arg = "" if axis == -1 and rng.random() < 0.5 else rng.choice(
            [f", axis={axis}", f", {axis}"])
        return self.step("softmax", [f"{o} = softmax({name}{arg})"], o, t, 1.0, name,
                         work=5 * t.numel)

    def reduce_axes(self, t: T) -> tuple[str, list[int], bool]:
        """(argument text, normalized axes, keepdims) for sum/max/mean over `t`."""
        rng = self.rng
        r = t.rank
        if rng.random() < 0.15:
            axes = list(range(r))
            keep = rng.random() < 0.3
            return ((", keepdims=true" if keep else ""), axes, keep)
        axes = sorted(rng.sample(range(r), rng.randint(1, r)))
        written = [a - r if rng.random() < 0.3 else a for a in axes]
        rng.shuffle(written)
        keep = rng.random() < 0.4
        if len(written) == 1 and rng.random() < 0.5:
            text = rng.choice([f", axis={written[0]}", f", {written[0]}",
                               f", axes={written[0]}"])
        else:
            text = rng.choice([f", axes=[{', '.join(map(str, written))}]",
                               f", [{', '.join(map(str, written))}]"])
        if keep:
            text += ", keepdims=true"
        elif rng.random() < 0.2:
            text += ", keepdims=false"
        return text, axes, keep

    @staticmethod
    def reduced(t: T, axes: list[int], keep: bool) -> T:
        shape = tuple(1 if i in axes else d for i, d in enumerate(t.shape)) if keep else \
            tuple(d for i, d in enumerate(t.shape) if i not in axes)
        return T(t.dtype, shape)

    def f_reduce(self, name, t, m):
        rng = self.rng
        if t.rank < 1:
            return None
        op = rng.choice(["sum", "max"] if t.dtype[0] == "i" else ["sum", "max", "mean"])
        text, axes, keep = self.reduce_axes(t)
        out = self.reduced(t, axes, keep)
        count = t.numel // max(out.numel, 1)
        o = f"v{self.fresh()}"
        return self.step(op, [f"{o} = {op}({name}{text})"], o, out,
                         m * count if op == "sum" else m, name if out == t else None,
                         work=t.numel)

    def ops(self, t: T):
        if t.dtype == "i8":
            return [(4, self.q_matmul), (4, self.q_conv), (2, self.q_elementwise),
                    (1, self.q_reduce), (1, self.q_unary),
                    (2, lambda *a: self.f_pool(*a, kinds=("maxpool2d",))),
                    (1, self.f_transpose), (1, self.f_reshape), (1, self.f_flatten),
                    (1, self.f_concat), (1, self.f_broadcast)]
        return [(5, self.f_unary), (2, self.f_const), (4, self.f_binary),
                (2, self.f_residual), (5, self.f_matmul), (5, self.f_conv), (3, self.f_pool),
                (3, self.f_softmax), (3, self.f_reduce), (2, self.f_transpose),
                (2, self.f_reshape), (2, self.f_flatten), (2, self.f_broadcast),
                (2, self.f_concat), (4, self.f_index), (2, self.f_slice), (2, self.f_pad)]

    def next_step(self, name: str, t: T, m: float) -> Step:
        if t.dtype == "i32" and m > INT_LIMIT:
            return self.i_clamp(name, t, m)
        ops = self.ops(t)
        for _ in range(12):
            fn = self.rng.choices([f for _, f in ops], weights=[w for w, _ in ops])[0]
            step = fn(name, t, m)
            if step is not None:
                return step
        return (self.q_unary if t.dtype == "i8" else self.f_const)(name, t, m)


def random_case(rng: random.Random, size_cap: int | None = None,
                max_ops: int = 6) -> Case:
    """A random program as a `Case` (see `render`); `size_cap` caps every drawn size."""
    g = Generator(rng, size_cap)
    r = rng.random()
    g.flavor = "i8" if r < 0.14 else "i32" if r < 0.24 else "f64" if r < 0.30 else "f32"
    x = g.first_input()
    inputs = {"x": x}
    g.values = [("x", x, INT_INPUT_MAG if x.dtype[0] == "i" else INPUT_MAG)]
    n_ops = rng.randint(1, max_ops)
    steps: list[Step] = []
    name, t, m = "x", x, g.values[0][2]
    for _ in range(n_ops):
        s = g.next_step(name, t, m)
        steps.append(s)
        name, t, m = s.out, s.type, s.mag
        g.values.append((name, t, m))
    returns = [name]
    if len(steps) > 1 and rng.random() < 0.12:
        returns.append(rng.choice(steps[:-1]).out)
    case = Case(inputs, steps, returns, flavor=g.flavor)
    if rng.random() < 0.15 and x.rank:
        case.symbolic = True
    if len(steps) >= 2 and rng.random() < 0.15:
        case.helper = rng.randint(1, len(steps) - 1)
    return case


def random_program(rng: random.Random) -> tuple[str, str, str]:
    """(source text, entry function name, one-line description) of a random program."""
    case = random_case(rng)
    return render(case), ENTRY, case.description()


if __name__ == "__main__":  # print a few programs: python tests/differential/generator.py 5
    import sys

    for seed in range(int(sys.argv[1]) if len(sys.argv) > 1 else 5):
        text, entry, desc = random_program(random.Random(seed))
        print(f"# seed {seed}: {desc}\n{text}")
