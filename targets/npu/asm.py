"""NPU assembly: a readable text form of a `Program`, and a binary form it assembles to.

    ; a comment
    .program matmul
    .config rows=16 cols=16 dataflow=os sp_bytes=262144 ...
    .buffer a f32[64,48] in
    .buffer c f32[64,32] out
    config dataflow=os
    mvin sp[0:16x48], a[0], stride=48
    compute acc[0:16x16], sp[0:16x48], sp[768:48x16], overwrite
    mvout c[0], stride=32, acc[0:16x16], act=none, scale=1.0
    fence

`parse` reads the text (errors are `file:line:col`), `format` prints it, `assemble` turns a
program into bytes and `disassemble` bytes back into a program, so
`format(disassemble(assemble(parse(text))))` gives the text back. Each instruction's
operands follow its `template` in `dialects/npu.py`, so the syntax is declared once.

Binary layout (little-endian): `TNPU`, a u16 version, a u32 length and a JSON header (the
configuration and the buffer table), then per instruction a u8 opcode and its fields in
declaration order: a region as u8 memory + 3×u32 (address, rows, columns), an optional
region as a u8 presence flag before it, an int as i64, a float as f64, a buffer name as its
u16 index, a keyword (dataflow, activation, vector op) as its u8 index, a flag as u8.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import fields

from tessera.compiler.diagnostics import SourceLoc, TesseraError, register_source
from tessera.dialects.npu import (
    ACTIVATIONS,
    INSTRUCTIONS,
    MEMORIES,
    VECTOR_OPS,
    Instruction,
    Region,
    parse_region,
)
from tessera.targets.npu.config import DATAFLOWS, NpuConfig
from tessera.targets.npu.program import NUMPY, ROLES, Buffer, Program

MAGIC, VERSION = b"TNPU", 1
OPCODES = {name: i for i, name in enumerate(INSTRUCTIONS)}
KEYWORDS = {"dataflow": DATAFLOWS, "act": ACTIVATIONS, "op": VECTOR_OPS}

_PATTERNS = {
    "Region": r"(?:sp|acc)\[\d+:\d+x\d+\]",
    "Region | None": r"(?:(?:sp|acc)\[\d+:\d+x\d+\]|None)",
    "int": r"-?\d+",
    "float": r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|inf|nan)",
    "bool": r"accumulate|overwrite",
    "str": r"[A-Za-z_][\w.]*",
}


def _field_kinds(cls: type[Instruction]) -> list[tuple[str, str]]:
    return [(f.name, str(f.type)) for f in fields(cls)]  # type: ignore[arg-type]


def _operand_regex(cls: type[Instruction]) -> re.Pattern:
    kinds = dict(_field_kinds(cls))
    parts = re.split(r"(\{\w+\})", cls.template)
    pattern = ""
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            pattern += f"(?P<{name}>{_PATTERNS[kinds[name]]})"
        else:
            pattern += r"\s*".join(re.escape(p) for p in part.split(" "))
    return re.compile(r"\s*" + pattern + r"\s*$")


_REGEXES = {name: _operand_regex(cls) for name, cls in INSTRUCTIONS.items()}


# -- text -------------------------------------------------------------------------------------


def format(program: Program) -> str:  # noqa: A001 - the text form, as str.format is to str
    config = " ".join(f"{k}={v}" for k, v in program.config.to_json().items())
    lines = [f".program {program.name}", f".config {config}"]
    for b in program.buffers:
        value = f" {b.value!r}" if b.role == "const" else ""
        lines.append(f".buffer {b.name} {b.dtype}[{','.join(map(str, b.shape))}] {b.role}"
                     f"{value}")
    lines.extend(i.asm() for i in program.instructions)
    return "\n".join(lines) + "\n"


def parse(text: str, filename: str = "<asm>") -> Program:
    register_source(filename, text)
    name, config, buffers, instructions = "main", NpuConfig(), [], []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(";", 1)[0].rstrip()
        stripped = line.lstrip()
        if not stripped:
            continue
        column = len(line) - len(stripped) + 1
        word, _, rest = stripped.partition(" ")
        where = SourceLoc(filename, number, column)
        if word not in (".program", ".config", ".buffer", *INSTRUCTIONS):
            raise TesseraError(f"unknown instruction '{word}' (instructions: "
                               f"{', '.join(INSTRUCTIONS)})", where)
        try:
            if word == ".program":
                name = rest.strip()
            elif word == ".config":
                items = ",".join(rest.split())
                config = NpuConfig.parse(items) if items else NpuConfig()
            elif word == ".buffer":
                buffers.append(_buffer(rest))
            else:
                instructions.append(_instruction(word, rest))
        except ValueError as e:
            raise TesseraError(str(e.args[0]), SourceLoc(filename, number,
                                                         column + len(word) + 1)) from None
        except TesseraError as e:
            raise TesseraError(e.message, where) from None
    return Program(name, config, buffers, instructions)


def _buffer(text: str) -> Buffer:
    match = re.fullmatch(r"\s*(\w[\w.]*)\s+(\w+)\[([\d,\s]*)\]\s+(\w+)(?:\s+(\S+))?\s*",
                         text)
    if not match or (match.group(4) == "const") != (match.group(5) is not None):
        raise ValueError("expected `.buffer NAME DTYPE[D0,D1,...] in|out|temp` or "
                         "`... const VALUE`")
    name, dtype, dims, role, value = match.groups()
    if dtype not in NUMPY or role not in ROLES:
        raise ValueError(f"a buffer is {'/'.join(NUMPY)} and {'/'.join(ROLES)}, got "
                         f"{dtype} {role}")
    return Buffer(name, dtype, tuple(int(d) for d in dims.split(",") if d.strip()), role,
                  float(value) if value is not None else 0.0)


def _instruction(mnemonic: str, operands: str) -> Instruction:
    cls = INSTRUCTIONS[mnemonic]
    match = _REGEXES[mnemonic].match(operands)
    if not match:
        raise ValueError(f"expected `{mnemonic} {cls.template}`")
    values = {}
    for name, kind in _field_kinds(cls):
        text = match.group(name)
        if kind in ("Region", "Region | None"):
            values[name] = None if text == "None" else parse_region(text)
        elif kind == "int":
            values[name] = int(text)
        elif kind == "float":
            values[name] = float(text)
        elif kind == "bool":
            values[name] = text == "accumulate"
        else:
            if name in KEYWORDS and text not in KEYWORDS[name]:
                raise ValueError(f"{name} must be one of {', '.join(KEYWORDS[name])}, got "
                                 f"'{text}'")
            values[name] = text
    return cls(**values)


# -- binary -----------------------------------------------------------------------------------


def assemble(program: Program) -> bytes:
    header = json.dumps({"program": program.name, "config": program.config.to_json(),
                         "buffers": [[b.name, b.dtype, list(b.shape), b.role, b.value]
                                     for b in program.buffers]}).encode()
    names = {b.name: i for i, b in enumerate(program.buffers)}
    out = [MAGIC, struct.pack("<HI", VERSION, len(header)), header]
    for instruction in program.instructions:
        out.append(struct.pack("<B", OPCODES[instruction.mnemonic]))
        for name, kind in _field_kinds(type(instruction)):
            value = getattr(instruction, name)
            if kind == "Region | None":
                out.append(struct.pack("<B", value is not None))
                if value is None:
                    continue
                kind = "Region"
            if kind == "Region":
                out.append(struct.pack("<BIII", MEMORIES.index(value.memory), value.addr,
                                       value.rows, value.cols))
            elif kind == "int":
                out.append(struct.pack("<q", value))
            elif kind == "float":
                out.append(struct.pack("<d", value))
            elif kind == "bool":
                out.append(struct.pack("<B", value))
            elif name in KEYWORDS:
                out.append(struct.pack("<B", KEYWORDS[name].index(value)))
            else:
                if value not in names:
                    raise TesseraError(f"npu assembler: {instruction.asm()}: no buffer "
                                       f"named '{value}'")
                out.append(struct.pack("<H", names[value]))
    return b"".join(out)


def disassemble(data: bytes) -> Program:
    if data[:4] != MAGIC:
        raise TesseraError("npu disassembler: not an NPU binary (no TNPU magic)")
    try:
        version, length = struct.unpack_from("<HI", data, 4)
        if version != VERSION:
            raise TesseraError(f"npu disassembler: version {version}, expected {VERSION}")
        at = 10
        header = json.loads(data[at:at + length])
        at += length
        buffers = [Buffer(n, d, tuple(s), r, v) for n, d, s, r, v in header["buffers"]]
        names = [b.name for b in buffers]
        kinds_of = {i: (cls, _field_kinds(cls)) for i, cls in enumerate(INSTRUCTIONS.values())}
        instructions = []
        while at < len(data):
            (opcode,) = struct.unpack_from("<B", data, at)
            at += 1
            cls, kinds = kinds_of[opcode]
            values = {}
            for name, kind in kinds:
                if kind == "Region | None":
                    (present,) = struct.unpack_from("<B", data, at)
                    at += 1
                    if not present:
                        values[name] = None
                        continue
                    kind = "Region"
                if kind == "Region":
                    memory, addr, rows, cols = struct.unpack_from("<BIII", data, at)
                    at += 13
                    values[name] = Region(MEMORIES[memory], addr, rows, cols)
                elif kind == "int":
                    values[name] = struct.unpack_from("<q", data, at)[0]
                    at += 8
                elif kind == "float":
                    values[name] = struct.unpack_from("<d", data, at)[0]
                    at += 8
                elif kind == "bool":
                    values[name] = bool(data[at])
                    at += 1
                elif name in KEYWORDS:
                    values[name] = KEYWORDS[name][data[at]]
                    at += 1
                else:
                    values[name] = names[struct.unpack_from("<H", data, at)[0]]
                    at += 2
            instructions.append(cls(**values))
    except (struct.error, KeyError, IndexError, ValueError, TypeError) as e:
        raise TesseraError(f"npu disassembler: damaged binary ({type(e).__name__}: {e})") \
            from None
    return Program(header["program"], NpuConfig.from_mapping(header["config"]), buffers,
                   instructions)
