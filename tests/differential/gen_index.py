"""Index-notation statements of the differential generator (`c[i, j] +=! ...`)."""

from __future__ import annotations

import math

from case_model import T
from gen_support import INDEX_NAMES, MAX_ELEMS


class IndexNotationOps:
    """Index-notation statements of the differential generator (`c[i, j] +=! ...`). (a part of `generator.Generator`: it uses the generator's
    random source, sizes and `step`)."""

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
