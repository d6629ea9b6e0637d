"""Int8-quantized ops of the differential generator (`requantize(widen(a) @ widen(b))`)."""

from __future__ import annotations

import math

from case_model import T
from gen_support import MAX_ELEMS, SCALES, _broadcast


class QuantizedOps:
    """Int8-quantized ops of the differential generator (`requantize(widen(a) @ widen(b))`). (a part of `generator.Generator`: it uses the generator's
    random source, sizes and `step`)."""

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
