"""Reading source files strictly, with errors that name the file, the line and the problem.

Every reader of outside input goes through here: the bytes must be UTF-8 without a byte-order
mark; YAML may not repeat a key or use anchors and aliases (an alias bomb cannot expand);
a CSV row must have exactly the header's fields; Turtle is checked by Oxigraph's strict parser
(bad IRIs and literals included) before rdflib reads it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import yaml
from rdflib import Graph
from rdflib.plugins.parsers.notation3 import BadSyntax
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from ..errors import InputError

BOM = b"\xef\xbb\xbf"
MAX_FILE_BYTES = 256 * 1024 * 1024  # a source file larger than this is refused, not read


def read_text(path: Path) -> str:
    """The file's text, strictly UTF-8; a BOM, an undecodable byte or a NUL names line and column."""
    if not path.is_file():
        raise InputError(f"file not found: {path}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path}: {size:,} bytes is larger than the {MAX_FILE_BYTES:,} a source file may be")
    data = path.read_bytes()
    if data.startswith(BOM):
        raise InputError(f"{path}:1:1: the file starts with a UTF-8 byte-order mark (BOM); "
                         "save it as UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position(data, exc.start)
        raise InputError(f"{path}:{line}:{col}: byte 0x{data[exc.start]:02x} is not UTF-8 "
                         f"({exc.reason}); save the file as UTF-8") from None
    nul = text.find("\0")
    if nul >= 0:
        line, col = _position(text, nul)
        raise InputError(f"{path}:{line}:{col}: a NUL character (\\0) is not allowed in a text file")
    return text


def _position(data: bytes | str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in ``data``."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    line = data.count(newline, 0, offset) + 1  # type: ignore[arg-type]
    return line, offset - (data.rfind(newline, 0, offset) + 1) + 1  # type: ignore[arg-type]


def read_csv(path: Path, required: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) of a CSV file with a header; values are stripped strings.

    The header must hold every ``required`` column once; a row has the header's fields, or
    fewer when only trailing optional (not ``required``) columns are left out.
    """
    reader = csv.reader(io.StringIO(read_text(path), newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise InputError(f"{path}:1: malformed CSV header: {exc}") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"{path}:1: missing column(s) {', '.join(missing)} in the header "
                         f"(it has: {', '.join(header) or 'nothing'})")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise InputError(f"{path}:1: column(s) {', '.join(repeated)} appear twice in the header")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{path}:{reader.line_num}: malformed CSV: {exc}") from None
        if not row:
            continue  # a blank line
        if len(row) > len(header) or any(c in required for c in header[len(row):]):
            missing = header[len(row):]
            raise InputError(
                f"{path}:{reader.line_num}: {len(row)} field(s), but the header has {len(header)}"
                + (f" (missing: {', '.join(missing)})" if missing else ""))
        values = {k: v.strip() for k, v in zip(header, row, strict=False)}
        yield reader.line_num, {k: values.get(k, "") for k in header}


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses repeated keys, anchors and aliases, and odd keys."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ComposerError(None, None, "anchors and aliases (&name, *name) are not accepted "
                                "in esgkg data: write the value out", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key_node, _value in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    raise ConstructorError(None, None, "a key must be a plain word", key_node.start_mark)
                key = key_node.value
                if not key or any(ch.isspace() or not ch.isprintable() for ch in key):
                    raise ConstructorError(None, None, f"key {key!r} has spaces or control characters",
                                           key_node.start_mark)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise ConstructorError(None, None, f"key {key!r} is repeated (first on line "
                                           f"{seen[key]}, again on line {line}): a second value "
                                           "would silently replace the first", key_node.start_mark)
                seen[key] = line
        return super().construct_mapping(node, deep)


_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")


def _strict_int(loader: _StrictLoader, node: yaml.ScalarNode) -> int:
    """YAML 1.1 reads ``066`` as octal 54, ``6_6`` as 66 and ``1:06`` as 66: only plain decimals."""
    text = loader.construct_scalar(node)
    if not _DECIMAL_INT.fullmatch(text):
        raise ConstructorError(None, None, f"{text!r} is not a plain whole number (no leading zero, "
                               "underscore or colon): quote it if it is text", node.start_mark)
    if len(text.lstrip("+-")) > 18:
        raise ConstructorError(None, None, f"the number {text} is too long", node.start_mark)
    return int(text)


def _strict_bool(loader: _StrictLoader, node: yaml.ScalarNode) -> bool:
    """Only ``true`` / ``false`` are booleans (YAML 1.1 also takes yes, no, on, off: ``NO`` is Norway)."""
    text = loader.construct_scalar(node)
    if text not in ("true", "false"):
        raise ConstructorError(None, None, f"{text!r} reads as a YAML boolean: write true or false, "
                               "or quote it if it is text", node.start_mark)
    return text == "true"


def _strict_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> object:
    """A date that is not a calendar date (``2023-02-30``) is an error with its line, not a crash."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:
        raise ConstructorError(None, None, f"{node.value!r} is not a valid date or time ({exc})",
                               node.start_mark) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _strict_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:bool", _strict_bool)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _strict_timestamp)


if getattr(yaml, "__with_libyaml__", False):
    class _FastStrictLoader(yaml.cyaml.CParser, _StrictLoader):  # type: ignore[misc]
        """libyaml's parser with the strict constructors: the same data, about 5 times faster.

        libyaml does the composing, so it cannot refuse anchors itself: a text that may hold one,
        or any text it fails on, is read again by ``_StrictLoader`` (its errors, its messages).
        """

        def __init__(self, stream: str):
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
else:  # pragma: no cover - PyYAML built without libyaml
    _FastStrictLoader = None  # type: ignore[assignment,misc]

# what could be an anchor (&a) or an alias (*a): at a line's start or after a space or , [ {
_MAYBE_ANCHOR = re.compile(r"(?:^|[\s,\[{])[&*][^\s,\[\]{}]", re.MULTILINE)


def _load_yaml(text: str) -> object:
    """``yaml.load`` with ``_StrictLoader``, through libyaml where that gives the same result."""
    if (_FastStrictLoader is not None and not _MAYBE_ANCHOR.search(text)
            and not yaml.reader.Reader.NON_PRINTABLE.search(text)):
        try:
            return yaml.load(text, Loader=_FastStrictLoader)
        except (yaml.YAMLError, RecursionError):
            pass  # read again below, for the message
    return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass


def read_yaml(path: Path) -> dict:
    """Parse a YAML mapping strictly; an error names the file, line and column."""
    text = read_text(path)
    try:
        data = _load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is None and isinstance(exc, yaml.reader.ReaderError):
            line, col = _position(text, exc.position)
            raise InputError(f"{path}:{line}:{col}: YAML: character {exc.character!r} is not "
                             "allowed") from None
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        kind = "YAML syntax error" if isinstance(exc, yaml.MarkedYAMLError) and not isinstance(
            exc, ComposerError | ConstructorError) else "YAML error"
        raise InputError(f"{where}: {kind}: {problem}") from None
    except RecursionError:
        raise InputError(f"{path}: YAML nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level")
    return data


def read_turtle(path: Path, graph: Graph | None = None) -> Graph:
    """Parse a Turtle file into ``graph``; a syntax error names the file, line and problem.

    Oxigraph's parser checks the file first (it refuses bad IRIs and ill-formed literals that
    rdflib would accept and the store would later choke on), then rdflib reads it.
    """
    text = read_text(path)
    try:
        for quad in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE):  # no base: no relative IRIs
            _check_literal(path, quad.object)
    except SyntaxError as exc:
        raise InputError(f"{path}:{_syntax_where(exc)} Turtle syntax error: {_syntax_msg(exc)}") from None
    graph = graph if graph is not None else Graph()
    try:
        graph.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
    except BadSyntax as exc:
        # BadSyntax.args = (uri, lines-before, text, index, why)
        _, lines, _, _, why = exc.args
        raise InputError(f"{path}:{lines + 1}: Turtle syntax error: {why}") from None
    except Exception as exc:  # rdflib raises assorted errors for bad IRIs, literals ...
        raise InputError(f"{path}: cannot parse Turtle: {exc}") from None
    return graph


_LEXICAL = {"http://www.w3.org/2001/XMLSchema#integer": re.compile(r"[-+]?[0-9]+"),
            "http://www.w3.org/2001/XMLSchema#decimal": re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"),
            "http://www.w3.org/2001/XMLSchema#boolean": re.compile(r"true|false|1|0"),
            "http://www.w3.org/2001/XMLSchema#gYear": re.compile(r"-?[0-9]{4,}(?:Z|[+-][0-9]{2}:[0-9]{2})?"),
            "http://www.w3.org/2001/XMLSchema#date":
                re.compile(r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})?")}


def _check_literal(path: Path, term: object) -> None:
    """An ill-typed literal of a common datatype (``"abc"^^xsd:integer``) is refused."""
    if isinstance(term, ox.Literal):
        pattern = _LEXICAL.get(term.datatype.value)
        if pattern is not None and not pattern.fullmatch(term.value):
            raise InputError(f"{path}: Turtle: {term.value!r} is not a valid <{term.datatype.value}>")


def _syntax_where(exc: SyntaxError) -> str:
    """``line:column:`` of a pyoxigraph SyntaxError (its lineno/offset are 1-based)."""
    if exc.lineno:
        return f"{exc.lineno}:{exc.offset or 1}:"
    return ""


def _syntax_msg(exc: SyntaxError) -> str:
    return (exc.msg or str(exc)).split("\n")[0]
