"""The structured form of a differential-testing program, its text, and how it shrinks.

A `Case` is the entry function's parameters and a list of `Step`s (one op each, with the
types of the values it reads and writes), optionally a helper function and several results.
`render(case)` prints it as `.tsr`; `truncate`, `cut`, `drop` and `simplifications` are the
moves the test's shrinker makes smaller cases with. `generator.py` builds cases at random.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

ENTRY = "f"
HELPER = "g"

@dataclass(frozen=True)
class T:
    """A tensor type: element type and static shape."""

    dtype: str
    shape: tuple[int, ...]

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    def text(self, first: str | None = None) -> str:
        dims = [str(d) for d in self.shape]
        if first is not None and dims:
            dims[0] = first
        return f"{self.dtype}[{', '.join(dims)}]"


@dataclass
class Step:
    """One op of the chain: statements defining `out` (of type `type`) from `src` (the value
    it chains from, None for none) and from the parameters it introduces."""

    kind: str
    lines: list[str]
    out: str
    type: T
    mag: float
    src: str | None
    params: dict[str, T]
    work: int


@dataclass
class Case:
    """A generated program before printing: the entry's leading inputs, the steps, the
    returned values; `symbolic` names the first input's leading dimension by a `dim`
    declaration, `helper` > 0 moves the first `helper` steps into a helper function."""

    inputs: dict[str, T]
    steps: list[Step]
    returns: list[str]
    symbolic: bool = False
    helper: int = 0
    flavor: str = "f32"

    # ---- derived -------------------------------------------------------------------------
    def types(self) -> dict[str, T]:
        out = dict(self.inputs)
        for s in self.steps:
            out.update(s.params)
            out[s.out] = s.type
        return out

    @property
    def work(self) -> int:
        return sum(s.work for s in self.steps)

    @property
    def max_elems(self) -> int:
        return max([t.numel for t in self.types().values()] + [1])

    def description(self) -> str:
        ops = " -> ".join(s.kind for s in self.steps)
        ins = ", ".join(f"{n}: {t.text()}" for n, t in self.inputs.items())
        extras = []
        if self.helper:
            extras.append(f"helper({self.helper})")
        if self.symbolic:
            extras.append("symbolic dim")
        if len(self.returns) > 1:
            extras.append(f"{len(self.returns)} results")
        tail = f" [{', '.join(extras)}]" if extras else ""
        return f"{self.flavor}: {ins}: {ops}{tail}"


NAME = re.compile(r"\b[A-Za-z_]\w*\b")


def _names(text: str) -> list[str]:
    return NAME.findall(text)


def render(case: Case) -> str:
    """The program text of `case`: the entry function `f` (and the helper `g`)."""
    types = case.types()
    defined = {s.out for s in case.steps}
    ordered_params = list(case.inputs) + [p for s in case.steps for p in s.params]
    # Values the steps use that no kept step defines are parameters (after `cut`).
    for s in case.steps:
        for n in _names(" ".join(s.lines)):
            if n in types and n not in defined and n not in ordered_params:
                ordered_params.append(n)
    used = set()
    for s in case.steps:
        used.update(_names(" ".join(s.lines)))
    used.update(case.returns)
    params = [p for p in ordered_params if p in used and p not in defined]

    header = []
    first_dim = None
    if case.symbolic and params and types[params[0]].rank:
        header.append(f"dim D = {types[params[0]].shape[0]}")
        first_dim = "D"

    def signature(name, plist, results, first=None):
        args = ", ".join(
            f"{p}: {types[p].text(first if i == 0 else None)}" for i, p in enumerate(plist))
        res = [types[r].text() for r in results]
        res_text = res[0] if len(res) == 1 else "(" + ", ".join(res) + ")"
        return f"def {name}({args}) -> {res_text} {{"

    body_steps = case.steps
    lines_out: list[str] = []
    helper = case.helper if 0 < case.helper < len(case.steps) else 0
    if helper:
        inner, body_steps = case.steps[:helper], case.steps[helper:]
        inner_defined = [s.out for s in inner]
        inner_used = []
        for s in inner:
            for n in _names(" ".join(s.lines)):
                if n in params and n not in inner_used:
                    inner_used.append(n)
        h_params = [p for p in params if p in inner_used]
        later = set(case.returns)
        for s in body_steps:
            later.update(_names(" ".join(s.lines)))
        h_results = [n for n in inner_defined if n in later]
        if not h_results:
            h_results = [inner_defined[-1]]
        lines_out.append(signature(HELPER, h_params, h_results))
        for s in inner:
            lines_out += [f"  {line}" for line in s.lines]
        lines_out.append(f"  return {', '.join(h_results)}")
        lines_out.append("}")
        call = f"  {', '.join(h_results)} = {HELPER}({', '.join(h_params)})"
    lines_out.append(signature(ENTRY, params, case.returns, first_dim))
    if helper:
        lines_out.append(call)
    for s in body_steps:
        lines_out += [f"  {line}" for line in s.lines]
    lines_out.append(f"  return {', '.join(case.returns)}")
    lines_out.append("}")
    return "\n".join(header + lines_out) + "\n"


# ---- shrinking moves -------------------------------------------------------------------


def truncate(case: Case, k: int) -> Case:
    """The first `k` steps, returning the last one's value."""
    steps = case.steps[:k]
    return replace(case, steps=steps, returns=[steps[-1].out],
                   helper=case.helper if case.helper < k else 0)


def cut(case: Case, i: int) -> Case:
    """Steps `i:`; the values they use from the dropped prefix become parameters."""
    types = case.types()
    steps = case.steps[i:]
    defined = {s.out for s in steps}
    used = []
    for s in steps:
        for n in _names(" ".join(s.lines)):
            if n in types and n not in defined and n not in used and not any(
                    n in t.params for t in steps):
                used.append(n)
    inputs = {n: types[n] for n in used}
    returns = [r for r in case.returns if r in defined or r in inputs] or [steps[-1].out]
    return replace(case, inputs=inputs, steps=steps, returns=returns,
                   helper=max(0, case.helper - i))


def droppable(case: Case, k: int) -> bool:
    """Step `k` can go when the value it chains from has its type."""
    s = case.steps[k]
    if s.src is None:
        return False
    return case.types().get(s.src) == s.type


def drop(case: Case, k: int) -> Case:
    s = case.steps[k]
    pattern = re.compile(rf"\b{re.escape(s.out)}\b")
    steps = []
    for j, t in enumerate(case.steps):
        if j == k:
            continue
        if j > k:
            t = replace(t, lines=[pattern.sub(s.src, line) for line in t.lines],
                        src=s.src if t.src == s.out else t.src)
        steps.append(t)
    returns = list(dict.fromkeys(s.src if r == s.out else r for r in case.returns))
    helper = case.helper - 1 if k < case.helper else case.helper
    return replace(case, steps=steps, returns=returns, helper=max(0, helper))


def simplifications(case: Case):
    """Smaller variants of `case` to try, most aggressive first."""
    n = len(case.steps)
    if len(case.returns) > 1:
        yield replace(case, returns=case.returns[:1])
    if case.helper:
        yield replace(case, helper=0)
    if case.symbolic:
        yield replace(case, symbolic=False)
    for k in range(1, n):
        yield truncate(case, k)
    for i in range(n - 1, 0, -1):
        yield cut(case, i)
    for k in range(n):
        if n > 1 and droppable(case, k):
            yield drop(case, k)
