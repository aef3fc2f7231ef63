"""Mutations of a copy of the shipped sources, for ``tests/test_fuzz_data.py``.

A ``Mutation`` is plain data (file, operation, arguments), so Hypothesis prints it and a failing
example can be replayed; ``apply`` performs it on a project copy and returns what it changed,
in words (line, column, old and new text). Indices drawn by a strategy are taken modulo the size
of what they index, so a mutation stays valid when the shipped data grows or shrinks.

Families:

- ``bytes``: flip a bit, insert / delete a byte, insert a non-UTF-8 sequence, a NUL, prepend a
  UTF-8 BOM, truncate (any source file: entities, observations, sections, vocabularies);
- ``cell``: replace one cell of a CSV file (observations or a vocabulary) with a hostile value;
  ``row-drop`` / ``row-add``: a row with one field fewer / more; ``header-swap``: two header
  names swapped (the data left where it was);
- ``yaml``: a repeated top-level key or item key, an anchor, an anchor and alias, an alias bomb
  ("billion laughs") as a value, a scalar replaced by a list / mapping / bool / null / huge
  int / invalid date, hostile ``pages:``, a key with a trailing newline / space / tab, a ``urls:``
  value that is not an IRI;
- ``sections``: ``sections.yaml`` first / last pages, a repeated ``last_page``, sections out of
  order, a repeated key inside a flow mapping;
- ``sub``: an exact text substitution (the named hostile examples).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

BOM = b"\xef\xbb\xbf"

# hostile values for a CSV cell (observations and vocabularies)
HOSTILE_CELLS = (
    "NaN", "nan", "Infinity", "-Infinity", "inf", "1e309", "1E3", "1,2,3", "1,23", "1_000",
    "\u0661\u0662\u0663",  # Arabic-Indic digits ١٢٣
    "\uff11\uff12\uff13",  # full-width digits １２３
    "\u00b2", "-0", "+5", ".5", "5.", "0x10", "", " ", "=1+1", "+SUM(A1)", '"', 'a"b', "'quoted'",
    "line one\nline two", "1\r\n2", "9" * 5000, "x" * 100_000, "\u202e12", "1\u00a0234",
    "0", "-1", "99999", "66.0", "true", "null", "2023-02-30", "2023..2021", "2023-13-01",
    "0000", "99999..100000", "http://exa mple.org", "not an iri", "a b", "iso-45001",
    "gender=female;gender=male", "gender", "=", ";;", "tCO2e\u200b",
)

# replacements for a YAML scalar value
YAML_SCALARS = (
    "[a, b]", "[]", "{a: 1}", "{}", "true", "false", "null", "~", "''",
    "123456789012345678901234567890", "-1", "0", ".nan", ".inf", "1e309", "!!float 1e309",
    "2023-02-30", "2023-13-01", "2023-01-01 25:00:00", "!!binary aGVsbG8=", "!!int abc",
    "!!python/object/apply:os.getcwd []", "!!set {a, b}", "!!omap [a: 1]", "[[a]]", "[{a: 1}]",
    '"\\0"', '"\\x01"', "'\u202e'", '"\\ud800"',
)

# hostile `pages:` values
PAGES = (
    "[true]", "[false]", "[0]", "[99999]", "[-1]", "[1.5]", '["66"]', "[]", "66", "null",
    "[null]", "[.nan]", "[1e3]", "[066]", "[6_6]", "[1:06]", "[0x42]", "[0b1000010]", "[[66]]",
    "[{page: 66}]", "[2023-01-01]", "[123456789012345678901234567890]",
)

# hostile page numbers in sections.yaml
SECTION_PAGES = ("0", "-1", "true", "99999", "1.5", "'2'", "null", "[2]", "066", "6_6", "1:06",
                 "0x10", "123456789012345678901234567890", ".nan", "2023-02-30")

# `urls:` values that are not (valid) IRIs
BAD_URLS = ("[www.calb-tech.com]", '["http://exa mple.org"]', '["javascript:alert(1)"]',
            '["http://"]', '["http://example.org/<x>"]', '["http://example.org/\\u0000"]',
            "[42]", "[[http://a.example]]", '["ftp://example.org"]', '["http://[::1"]')

# a billion-laughs alias bomb: 9 levels of 9 -> 9^9 (387 million) strings if expanded
BOMB = ("[&a [lol, lol, lol, lol, lol, lol, lol, lol, lol], "
        + ", ".join(f"&{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
        + ", *i]")

BYTE_OPS = ("flip", "insert", "delete", "non-utf8", "bom", "nul", "truncate", "lone-cr")
YAML_OPS = ("dup-top", "dup-field", "anchor", "alias", "bomb", "scalar", "key-newline",
            "key-space", "key-tab", "pages", "urls")
SECTIONS_OPS = ("first-page", "last-page", "dup-last-page", "swap-sections", "dup-flow-key")
NON_UTF8 = (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80")


@dataclass(frozen=True)
class Mutation:
    """One change to one file of a project copy (``file`` relative to the project root)."""

    file: str
    op: str
    args: tuple = field(default=())

    @property
    def report(self) -> str | None:
        """The report folder the mutated file is in (None for the vocabularies)."""
        parts = Path(self.file).parts
        return parts[1] if parts[0] == "data" else None

    def __str__(self) -> str:
        return f"{self.op}{list(self.args)!r} on {self.file}"


def apply(root: Path, m: Mutation) -> str:
    """Perform ``m`` on the project copy at ``root``; returns what changed, in words."""
    path = root / m.file
    if m.op in BYTE_OPS:
        return _bytes(path, m.op, *m.args)
    if m.op == "new-file":
        (text,) = m.args
        path.write_text(text, encoding="utf-8")
        return f"new file {m.file}"
    text = path.read_text(encoding="utf-8")
    if m.op == "sub":
        old, new = m.args
        if old not in text:
            raise LookupError(f"{m.file} no longer holds {old!r}: update this example")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return f"{old!r} -> {new!r}"
    if m.op in ("cell", "row-drop", "row-add", "header-swap"):
        out, what = _csv(text, m.op, *m.args)
    elif m.op in YAML_OPS:
        out, what = _yaml(text, m.op, *m.args)
    elif m.op in SECTIONS_OPS:
        out, what = _sections(text, m.op, *m.args)
    else:
        raise ValueError(f"unknown mutation {m.op}")
    path.write_text(out, encoding="utf-8")
    return what


# ----------------------------------------------------------------------------- bytes
def _bytes(path: Path, op: str, pos: int = 0, arg: int = 0) -> str:
    data = bytearray(path.read_bytes())
    i = pos % (len(data) + 1)
    line = data.count(b"\n", 0, i) + 1
    if op == "flip":
        i = min(i, len(data) - 1)
        old = data[i]
        data[i] ^= 1 << (arg % 8)
        what = f"byte {i} (line {line}) 0x{old:02x} -> 0x{data[i]:02x}"
    elif op == "insert":
        data[i:i] = bytes([arg % 256])
        what = f"inserted 0x{arg % 256:02x} at byte {i} (line {line})"
    elif op == "delete":
        i = min(i, len(data) - 1)
        what = f"deleted 0x{data[i]:02x} at byte {i} (line {line})"
        del data[i]
    elif op == "non-utf8":
        seq = NON_UTF8[arg % len(NON_UTF8)]
        data[i:i] = seq
        what = f"inserted non-UTF-8 {seq!r} at byte {i} (line {line})"
    elif op == "nul":
        data[i:i] = b"\0"
        what = f"inserted NUL at byte {i} (line {line})"
    elif op == "lone-cr":
        data[i:i] = b"\r"
        what = f"inserted a lone CR at byte {i} (line {line})"
    elif op == "bom":
        data[0:0] = BOM
        what = "prepended a UTF-8 BOM"
    elif op == "truncate":
        del data[i:]
        what = f"truncated to {i} bytes (line {line})"
    else:
        raise ValueError(op)
    path.write_bytes(bytes(data))
    return what


# ----------------------------------------------------------------------------- CSV
def _csv(text: str, op: str, row: int = 0, col: int = 0, value: str = "",
         col2: int = 0) -> tuple[str, str]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    data_rows = [n for n in range(1, len(rows)) if rows[n]]
    r = data_rows[row % len(data_rows)] if data_rows else 0
    if op == "header-swap":
        i, j = col % len(header), col2 % len(header)
        if i == j:
            j = (i + 1) % len(header)
        header[i], header[j] = header[j], header[i]
        what = f"header columns {header[j]!r} and {header[i]!r} swapped"
    else:
        cells = rows[r]
        c = col % len(cells)
        if op == "cell":
            name = header[c] if c < len(header) else f"#{c}"
            what = f"row {r + 1} column {name!r}: {cells[c]!r} -> {value[:40]!r}"
            cells[c] = value
        elif op == "row-drop":
            what = f"row {r + 1}: field {c} ({cells[c]!r}) dropped"
            del cells[c]
        elif op == "row-add":
            cells.insert(c, value)
            what = f"row {r + 1}: field {value[:40]!r} inserted at {c}"
        else:
            raise ValueError(op)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue(), what


# ----------------------------------------------------------------------------- YAML
_FIELD = re.compile(r"^(?P<indent> *)(?P<dash>- )?(?P<key>[a-z_]+):(?P<sp> +)(?P<value>[^\s#].*)$")
_TOP = re.compile(r"^(?P<key>[a-z_]+):(?P<rest>.*)$")


def _balanced(value: str) -> bool:
    depth = 0
    quote = None
    for ch in value:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth == 0 and quote is None and not value.startswith(("|", ">", "&", "*", "!"))


def single_line_fields(lines: list[str], key: str | None = None) -> list[int]:
    """Indices of ``key: value`` lines whose value is one line (no continuation, no block)."""
    out = []
    for n, line in enumerate(lines):
        m = _FIELD.match(line)
        if not m or (key is not None and m["key"] != key) or not _balanced(m["value"]):
            continue
        column = len(m["indent"]) + len(m["dash"] or "")
        nxt = lines[n + 1] if n + 1 < len(lines) else ""
        if nxt.strip() and not nxt.lstrip().startswith("#") and len(nxt) - len(nxt.lstrip(" ")) > column:
            continue  # a plain scalar continued on the next line
        out.append(n)
    return out


def _set_value(line: str, value: str) -> str:
    m = _FIELD.match(line)
    assert m is not None
    return f"{m['indent']}{m['dash'] or ''}{m['key']}:{m['sp']}{value}"


def _yaml(text: str, op: str, pick: int = 0, arg: int = 0) -> tuple[str, str]:
    lines = text.split("\n")
    if op == "dup-top":
        tops = [n for n, line in enumerate(lines) if _TOP.match(line)]
        n = tops[pick % len(tops)]
        m = _TOP.match(lines[n])
        assert m is not None
        again = lines[n] if m["rest"].strip() else f"{m['key']}: []"
        lines.append(again)
        return ("\n".join(lines) + "\n",
                f"top-level key {m['key']!r} (line {n + 1}) repeated at the end: {again!r}")
    if op == "urls":
        cands = single_line_fields(lines, "urls")
        value = BAD_URLS[arg % len(BAD_URLS)]
    elif op == "pages":
        cands = single_line_fields(lines, "pages")
        value = PAGES[arg % len(PAGES)]
    else:
        cands = single_line_fields(lines)
        value = YAML_SCALARS[arg % len(YAML_SCALARS)]
    if op == "bomb":
        notes = single_line_fields(lines, "note")
        cands = notes or cands
    if not cands:  # nothing of that kind in this file: fall back to any field
        cands = single_line_fields(lines)
    n = cands[pick % len(cands)]
    line = lines[n]
    m = _FIELD.match(line)
    assert m is not None
    where = f"line {n + 1} ({line.strip()[:60]!r})"
    column = " " * (len(m["indent"]) + len(m["dash"] or ""))
    if op == "dup-field":
        lines.insert(n + 1, f"{column}{m['key']}:{m['sp']}{m['value']}")
        what = f"key {m['key']!r} repeated after {where}"
    elif op == "anchor":
        lines[n] = _set_value(line, f"&x {m['value']}")
        what = f"anchor &x on {where}"
    elif op == "alias":
        later = [k for k in single_line_fields(lines) if k > n]
        if not later:
            later = [k for k in single_line_fields(lines) if k != n]
        k = later[arg % len(later)]
        lines[n] = _set_value(line, f"&x {m['value']}")
        old = lines[k]
        lines[k] = _set_value(old, "*x")
        what = f"anchor &x on {where}, alias *x for line {k + 1} ({old.strip()[:60]!r})"
    elif op == "bomb":
        lines[n] = _set_value(line, BOMB)
        what = f"alias bomb (billion laughs) as the value of {where}"
    elif op in ("scalar", "pages", "urls"):
        lines[n] = _set_value(line, value)
        what = f"{where} value -> {value[:60]!r}"
    elif op in ("key-newline", "key-space", "key-tab"):
        suffix = {"key-newline": "\\n", "key-space": " ", "key-tab": "\\t"}[op]
        lines[n] = f"{m['indent']}{m['dash'] or ''}\"{m['key']}{suffix}\":{m['sp']}{m['value']}"
        what = f"key of {where} written as \"{m['key']}{suffix}\""
    else:
        raise ValueError(op)
    return "\n".join(lines), what


# ----------------------------------------------------------------------------- sections.yaml
_SECTION = re.compile(r"^  - \{title: .*, first_page: (\d+)\}$")


def _sections(text: str, op: str, pick: int = 0, arg: int = 0) -> tuple[str, str]:
    lines = text.split("\n")
    items = [n for n, line in enumerate(lines) if _SECTION.match(line)]
    last = [n for n, line in enumerate(lines) if line.startswith("last_page:")]
    value = SECTION_PAGES[arg % len(SECTION_PAGES)]
    if op == "first-page" and items:
        n = items[pick % len(items)]
        old = lines[n]
        lines[n] = re.sub(r"first_page: \d+\}$", f"first_page: {value}}}", old)
        what = f"line {n + 1} first_page -> {value!r}"
    elif op == "last-page" and last:
        lines[last[0]] = f"last_page: {value}"
        what = f"last_page -> {value!r}"
    elif op == "dup-last-page" and last:
        lines.insert(last[0] + 1, "last_page: 200")
        what = "last_page repeated (200)"
    elif op == "swap-sections" and len(items) > 1:
        i = items[pick % len(items)]
        j = items[(pick + 1 + arg) % len(items)]
        if i == j:
            j = items[(items.index(i) + 1) % len(items)]
        lines[i], lines[j] = lines[j], lines[i]
        what = f"section lines {i + 1} and {j + 1} swapped"
    elif op == "dup-flow-key" and items:
        n = items[pick % len(items)]
        lines[n] = lines[n][:-1] + ", first_page: 3}"
        what = f"line {n + 1}: first_page repeated in the flow mapping"
    else:
        raise ValueError(f"{op}: nothing to mutate")
    return "\n".join(lines), what
