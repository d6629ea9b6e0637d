"""Data-movement ops of the differential generator: transpose, reshape, flatten,
broadcast_to, concat, slice, pad."""

from __future__ import annotations

import math

from case_model import T
from gen_support import INPUT_MAG, MAX_ELEMS, _factor


class MovementOps:
    """Data-movement ops of the differential generator: transpose, reshape, flatten, (a part of `generator.Generator`: it uses the generator's
    random source, sizes and `step`)."""

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
