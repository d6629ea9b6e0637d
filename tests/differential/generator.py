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

`random_case(rng, size_cap=None)` gives the structured form (`Case`, in `case_model.py`) the
test's shrinker works on: `render(case)` prints it, and `truncate`, `cut`, `drop`, ... make
smaller cases.
"""

from __future__ import annotations

import math
import random

from case_model import ENTRY, Case, Step, T, render

SIZES = (1, 2, 3, 4, 5, 7, 8, 11, 13, 16)
BIG = (17, 31, 33, 64, 67)  # now and then, past the default tile sizes
SPATIAL = (1, 3, 5, 7, 8, 11, 13, 16)
MAX_ELEMS = 4096
INDEX_NAMES = "ijklmnpq"
# The rough magnitude of a standard-normal input (the test's inputs are `example_inputs`).
INPUT_MAG = 4.0
INT_INPUT_MAG = 8  # example_inputs draws integers from [-8, 8]
INT_LIMIT = 2 ** 20  # i32 values are clamped before they could overflow
# Rank-0 *parameters* are off: the Python API turns a 0-d argument into shape (1,) on every
# target (`coerce` calls np.ascontiguousarray), see regressions/9175bc11c776.tsr. Rank-0
# values inside a program (full reductions, `s[] +=! ...`) and rank-0 results are generated.
RANK0_PARAMS = True
SCALES = ("0.0625", "0.03125", "0.125", "0.015625", "0.1", "0.05", "0.3", "1.0")


# ---- generation ------------------------------------------------------------------------


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    out = []
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + a
    b = (1,) * (n - len(b)) + b
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(out)


def _factor(n: int) -> list[int]:
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def _pair(rng: random.Random, a: int, b: int, default: int | None) -> str | None:
    """An int or an [h, w] pair as DSL text; None when it is the default and left out."""
    if a == b:
        if default is not None and a == default and rng.random() < 0.5:
            return None
        return f"[{a}, {a}]" if rng.random() < 0.2 else str(a)
    return f"[{a}, {b}]"


def _num(x: float) -> str:
    return repr(float(x))


class Generator:
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

    def f_transpose(self, name, t, m):
        rng = self.rng
        if t.rank < 2:
            return None
        perm = list(range(t.rank))
        rng.shuffle(perm)
        if rng.random() < 0.25:
            perm, text = list(range(t.rank))[::-1], ""
        else:
            text = rng.choice([f", perm=[{', '.join(map(str, perm))}]",
                               f", [{', '.join(map(str, perm))}]"])
        out = T(t.dtype, tuple(t.shape[p] for p in perm))
        o = f"v{self.fresh()}"
        return self.step("transpose", [f"{o} = transpose({name}{text})"], o, out, m,
                         name if out == t else None)

    def f_reshape(self, name, t, m):
        rng = self.rng
        factors = _factor(t.numel)
        rank = rng.randint(1, 4)
        dims = [1] * rank
        for f in factors:
            dims[rng.randrange(rank)] *= f
        rng.shuffle(dims)
        written = list(dims)
        if rng.random() < 0.4:
            written[rng.randrange(rank)] = -1
        kw = rng.choice(["", "shape="])
        o = f"v{self.fresh()}"
        out = T(t.dtype, tuple(dims))
        line = f"{o} = reshape({name}, {kw}[{', '.join(map(str, written))}])"
        return self.step("reshape", [line], o, out, m, name if out == t else None)

    def f_flatten(self, name, t, m):
        rng = self.rng
        if t.rank < 1:
            return None
        if t.rank == 1:
            start = rng.choice([0, -1])
        else:
            start = rng.randint(-t.rank, t.rank - 1)
        s = start % t.rank
        out = T(t.dtype, (*t.shape[:s], math.prod(t.shape[s:])))
        text = "" if start == 1 and rng.random() < 0.5 else rng.choice(
            [f", start_dim={start}", f", {start}"])
        o = f"v{self.fresh()}"
        return self.step("flatten", [f"{o} = flatten({name}{text})"], o, out, m,
                         name if out == t else None)

    def f_broadcast(self, name, t, m):
        rng = self.rng
        shape = [self.dim() if d == 1 and rng.random() < 0.6 else d for d in t.shape]
        for _ in range(rng.choice([0, 0, 1, 2])):
            shape.insert(0, self.dim((1, 2, 3, 5)))
        if not shape:
            shape = [self.dim()]
        if math.prod(shape) > MAX_ELEMS:
            return None
        out = T(t.dtype, tuple(shape))
        o = f"v{self.fresh()}"
        return self.step("broadcast_to",
                         [f"{o} = broadcast_to({name}, [{', '.join(map(str, shape))}])"],
                         o, out, m, name if out == t else None)

    def f_concat(self, name, t, m):
        rng = self.rng
        if t.rank < 1:
            return None
        axis = rng.randint(0, t.rank - 1)
        n = self.fresh()
        o = f"v{n}"
        items = [name]
        params = {}
        for i in range(rng.randint(1, 2)):
            if rng.random() < 0.3:
                items.append(name)
                continue
            p = f"w{n}{'abc'[i]}"
            shape = list(t.shape)
            shape[axis] = self.dim()
            params[p] = T(t.dtype, tuple(shape))
            items.append(p)
        rng.shuffle(items)
        total = sum(t.shape[axis] if it == name else params[it].shape[axis] for it in items)
        out_shape = list(t.shape)
        out_shape[axis] = total
        if math.prod(out_shape) > MAX_ELEMS:
            return None
        written = axis - t.rank if rng.random() < 0.3 else axis
        ax = "" if written == 0 and rng.random() < 0.5 else f", axis={written}"
        args = (f"[{', '.join(items)}]" if rng.random() < 0.6 else ", ".join(items)) + ax
        return self.step("concat", [f"{o} = concat({args})"], o, T(t.dtype, tuple(out_shape)),
                         max(m, INPUT_MAG), None, params)

    def f_slice(self, name, t, m):
        """A slice with a random non-zero stride per dimension (negative ones included)."""
        rng = self.rng
        if t.rank < 1:
            return None
        starts, sizes, strides = [], [], []
        for extent in t.shape:
            stride = rng.choice([k for k in (1, 1, 2, 3, -1, -1, -2) if abs(k) < max(extent, 2)])
            start = rng.randrange(extent)
            reach = start if stride < 0 else extent - 1 - start  # indices left that way
            starts.append(start)
            sizes.append(rng.randint(1, reach // abs(stride) + 1))
            strides.append(stride)
        out = T(t.dtype, tuple(sizes))
        text = f"starts=[{', '.join(map(str, starts))}], sizes=[{', '.join(map(str, sizes))}]"
        if any(k != 1 for k in strides) or rng.random() < 0.3:
            text += f", strides=[{', '.join(map(str, strides))}]"
        o = f"v{self.fresh()}"
        return self.step("slice", [f"{o} = slice({name}, {text})"], o, out, m,
                         name if out == t else None)

    def f_pad(self, name, t, m):
        """Zero padding before, after and between the elements of random dimensions."""
        rng = self.rng
        if t.rank < 1:
            return None
        amounts = {k: [rng.choice((0, 0, 1, 2)) for _ in t.shape]
                   for k in ("low", "high", "interior")}
        shape = tuple(lo + hi + n + (n - 1) * k for n, lo, hi, k in
                      zip(t.shape, amounts["low"], amounts["high"], amounts["interior"]))
        if math.prod(shape) > MAX_ELEMS:
            return None
        text = "".join(f", {k}=[{', '.join(map(str, v))}]" for k, v in amounts.items()
                       if any(v) or rng.random() < 0.3)
        o = f"v{self.fresh()}"
        out = T(t.dtype, shape)
        return self.step("pad", [f"{o} = pad({name}{text})"], o, out, m,
                         name if out == t else None)

    def scalar_fn(self, access: str, m: float, dtype: str = "f32") -> tuple[str, float]:
        rng = self.rng
        if dtype[0] == "i":
            forms = [(f"relu({access})", m), (f"abs({access})", m), (f"max({access}, 0)", m),
                     (f"min({access}, 1)", m + 1), (f"{access} * 2 - 1", 2 * m + 1),
                     (f"-{access}", m), (f"min(max({access}, -3), 5)", 5)]
            if m < 2 ** 10:
                forms.append((f"{access} * {access} + 1", m * m + 1))
            return rng.choice(forms)
        forms = [(f"tanh({access})", 1.0), (f"sigmoid({access})", 1.0),
                 (f"relu({access})", m), (f"abs({access})", m),
                 (f"max({access}, 0.0)", m), (f"min({access}, 1.0)", m + 1),
                 (f"{access} * {access} + 1.0", m * m + 1),
                 (f"sqrt({access} * {access} + 1.0)", m + 1),
                 (f"log(abs({access}) + 1.0)", math.log(m + 1) + 1),
                 (f"{access} * 2.0 - 1.0", 2 * m + 1), (f"-{access}", m)]
        if m <= 8:
            forms.append((f"exp({access})", math.exp(m)))
        else:
            forms.append((f"exp(tanh({access}))", math.e))
        return rng.choice(forms)

    def f_index(self, name, t, m):
        rng = self.rng
        r = t.rank
        if r < 1 or r > len(INDEX_NAMES) - 1:
            return None
        idx = list(INDEX_NAMES[:r])
        access = f"{name}[{', '.join(idx)}]"
        n = self.fresh()
        o, w = f"v{n}", f"w{n}"
        mode = rng.choice(["map", "reduce", "reduce", "contract", "contract"])
        scalars = [u for u, ut, _ in self.values if ut.rank == 0 and ut.dtype == t.dtype]
        if mode == "map":
            out_idx = list(idx)
            rng.shuffle(out_idx)
            rhs, mag = self.scalar_fn(access, m, t.dtype)
            if scalars and rng.random() < 0.5 and t.dtype[0] != "i":
                rhs, mag = f"({rhs}) * {rng.choice(scalars)}", mag * 1e3
            out = T(t.dtype, tuple(t.shape[idx.index(i)] for i in out_idx))
            line = f"{o}[{', '.join(out_idx)}] = {rhs}"
            return self.step("index-map", [line], o, out, mag,
                             name if out == t else None, work=2 * t.numel)
        if mode == "reduce":
            keep = rng.sample(idx, rng.randint(0, r - 1) if r > 1 else 0)
            combine = rng.choice(["+=!", "+=!", "max=!", "min=!", "*=!"])
            count = t.numel // max(1, math.prod(t.shape[idx.index(i)] for i in keep))
            if combine == "*=!" and t.dtype[0] == "i":
                rhs, mag = f"min(max({access}, -2), 2)", 2.0 ** min(count, 200)
                if count > 16:
                    return None
            elif combine == "*=!":
                rhs, mag = f"sigmoid({access}) + 0.5", 1.5 ** min(count, 200)
                if count > 40:
                    return None
            elif rng.random() < 0.5:
                rhs, mag = self.scalar_fn(access, m, t.dtype)
                mag = mag * count if combine == "+=!" else mag
            else:
                rhs, mag = access, (m * count if combine == "+=!" else m)
            out = T(t.dtype, tuple(t.shape[idx.index(i)] for i in keep))
            line = f"{o}[{', '.join(keep)}] {combine} {rhs}"
            return self.step(f"index-{combine}", [line], o, out, mag, None, work=t.numel)
        # contract with a new weight: out[kept..., new] +=! v[idx] * w[reduced..., new]
        reduced = rng.sample(idx, rng.randint(1, r))
        kept = [i for i in idx if i not in reduced]
        new = INDEX_NAMES[r]
        size = self.dim()
        w_idx = reduced + [new]
        rng.shuffle(w_idx)
        extent = dict(zip(idx, t.shape))
        extent[new] = size
        w_t = T(t.dtype, tuple(extent[i] for i in w_idx))
        out_idx = kept + [new]
        rng.shuffle(out_idx)
        out = T(t.dtype, tuple(extent[i] for i in out_idx))
        if w_t.numel > MAX_ELEMS or out.numel > MAX_ELEMS:
            return None
        rhs = f"{access} * {w}[{', '.join(w_idx)}]"
        if rng.random() < 0.3:
            rhs += " + 1" if t.dtype[0] == "i" else " + 1.0"
        count = math.prod(extent[i] for i in reduced)
        line = f"{o}[{', '.join(out_idx)}] +=! {rhs}"
        return self.step("index-contract", [line], o, out,
                         self.grow(t, m, count) + count, None, {w: w_t},
                         work=math.prod(extent.values()))

    # ---- int8 ops ----------------------------------------------------------------------
    def scale(self) -> str:
        return self.rng.choice(SCALES)

    def requant(self, e: str) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            e = f"relu({e})"
        s = self.scale()
        return f"requantize({e}, scale={s})" if rng.random() < 0.7 else f"requantize({e}, {s})"

    def q_matmul(self, name, t, m):
        rng = self.rng
        if t.rank < 2:
            return None
        n = self.fresh()
        o, w, b = f"v{n}", f"w{n}", f"b{n}"
        *batch, rows, k = t.shape
        cols = self.dim()
        out = (*batch, rows, cols)
        if math.prod(out) > MAX_ELEMS or k * cols > MAX_ELEMS:
            return None
        params = {w: T("i8", (k, cols))}
        e = f"widen({name}) @ widen({w})"
        if rng.random() < 0.5:
            params[b] = T("i32", (cols,))
            e += f" + {b}"
        return self.step("qmatmul", [f"{o} = {self.requant(e)}"], o, T("i8", out), 127, None,
                         params, math.prod(out) * k)

    def q_conv(self, name, t, m):
        rng = self.rng
        if t.rank != 4:
            return None
        g = self.conv_geometry(t)
        if g is None:
            return None
        o_ch, kernel, stride, padding, dilation, out = g
        n = self.fresh()
        o, w, b = f"v{n}", f"w{n}", f"b{n}"
        params = {w: T("i8", (o_ch, t.shape[1], *kernel))}
        bias = ""
        if rng.random() < 0.5:
            params[b] = T("i32", (o_ch,))
            bias = f", {b}"
        e = (f"conv2d(widen({name}), widen({w}){bias}"
             f"{self.conv_args(kernel, stride, padding, dilation)})")
        inner = t.shape[1] * kernel[0] * kernel[1]
        return self.step("qconv2d", [f"{o} = {self.requant(e)}"], o, T("i8", out), 127, None,
                         params, math.prod(out) * inner)

    def q_elementwise(self, name, t, m):
        rng = self.rng
        n = self.fresh()
        o, w = f"v{n}", f"w{n}"
        pshape = self.partner(t.shape)
        out = _broadcast(t.shape, pshape)
        if out is None or math.prod(out) > MAX_ELEMS:
            return None
        a, b = f"widen({name})", f"widen({w})"
        e = rng.choice([f"{a} * {b} + 3", f"{a} - {b}", f"maximum({a}, {b}) - 2",
                        f"minimum({b}, {a}) * 2", f"{a} / ({b} * {b} + 1)",
                        f"({a} * 7) / ({b} * {b} + 2)", f"-{a} + {b}"])
        return self.step("qelementwise", [f"{o} = {self.requant(e)}"], o, T("i8", out), 127,
                         name if out == t.shape else None, {w: T("i8", pshape)})

    def q_reduce(self, name, t, m):
        rng = self.rng
        if t.rank < 1:
            return None
        text, axes, keep = self.reduce_axes(t)
        out = self.reduced(t, axes, keep)
        o = f"v{self.fresh()}"
        if rng.random() < 0.5:
            e = f"max({name}{text})"
        else:
            e = self.requant(f"sum(widen({name}){text})")
        return self.step("qreduce", [f"{o} = {e}"], o, out, 127, name if out == t else None,
                         work=t.numel)

    def q_unary(self, name, t, m):
        o = f"v{self.fresh()}"
        e = self.rng.choice([f"relu({name})", f"maximum({name}, {name})", f"-{name}",
                             f"requantize(widen({name}), scale=0.5)"])
        return self.step("qunary", [f"{o} = {e}"], o, t, 127, name)

    # ---- driver ------------------------------------------------------------------------
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
