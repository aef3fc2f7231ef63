"""Rendering query results: a readable table in a terminal, clean CSV/TSV/JSON in a pipe.

CSV, TSV and JSON are written row by row as the rows arrive (``write_*``), flushed at least every
``FLUSH_SECONDS``, so a long result starts to show at once and is never held whole in memory.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterable, Sequence
from typing import IO
from xml.sax.saxutils import escape as xml_escape

import pyoxigraph as ox

from .namespaces import PREFIXES

FORMATS = ("table", "csv", "tsv", "json")  # of a SELECT
GRAPH_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}
FLUSH_SECONDS = 0.2


def term_text(term: object, compact: bool = False) -> str:
    """A term's plain text: an IRI (prefixed when ``compact``), a literal's value, '' if unbound."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        iri = term.value
        if compact:
            best = max(((p, str(ns)) for p, ns in PREFIXES.items() if iri.startswith(str(ns))),
                       key=lambda x: len(x[1]), default=None)
            if best and iri[len(best[1]):] and "/" not in iri[len(best[1]):]:
                return f"{best[0]}:{iri[len(best[1]):]}"
        return iri
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


def term_json(term: object) -> dict | None:
    """A term in the SPARQL 1.1 JSON results shape."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


class _Flusher:
    """Flush ``out`` when FLUSH_SECONDS have passed since it was last flushed."""

    def __init__(self, out: IO[str]):
        self.out, self.at = out, time.monotonic()

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self.at >= FLUSH_SECONDS:
            self.out.flush()
            self.at = now


def write_delimited(names: Sequence[str], rows: Iterable[dict], out: IO[str], delimiter: str, *,
                    lineterminator: str = "\n") -> int:
    """Write a header and ``rows`` as CSV (or TSV) to ``out`` as they come; return the row count.

    ``lineterminator``: ``"\r\n"`` for SPARQL 1.1 CSV results (RFC 4180), ``"\n"`` in a terminal.
    """
    writer = csv.writer(out, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerow(names)
    out.flush()
    flush, n = _Flusher(out), 0
    for row in rows:
        writer.writerow([term_text(row.get(name)) for name in names])
        n += 1
        flush()
    out.flush()
    return n


def write_json(names: Sequence[str], rows: Iterable[dict], out: IO[str]) -> int:
    """Write ``rows`` in the SPARQL 1.1 JSON results shape, one binding a line, as they come."""
    out.write(json.dumps({"head": {"vars": list(names)}})[:-1] + ', "results": {"bindings": [')
    flush, n = _Flusher(out), 0
    for row in rows:
        binding = {name: term_json(row.get(name)) for name in names if row.get(name) is not None}
        out.write((",\n" if n else "\n") + json.dumps(binding, ensure_ascii=False))
        n += 1
        flush()
    out.write("\n]}}\n")
    out.flush()
    return n


SPARQL_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """``text`` escaped for XML 1.0 character data or an attribute; a character XML 1.0 cannot
    hold at all (a control character) is written as U+FFFD."""
    return xml_escape(_NOT_XML.sub("\ufffd", text), {'"': "&quot;"})


def term_xml(term: object) -> str:
    """A term as the SPARQL 1.1 XML results write it (``<uri>``, ``<literal ...>``, ``<bnode>``)."""
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_text(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_text(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            attrs = f' xml:lang="{_xml_text(term.language)}"'
        elif term.datatype and term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            attrs = f' datatype="{_xml_text(term.datatype.value)}"'
        else:
            attrs = ""
        return f"<literal{attrs}>{_xml_text(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (f"<triple><subject>{term_xml(term.subject)}</subject><predicate>{term_xml(term.predicate)}"
                f"</predicate><object>{term_xml(term.object)}</object></triple>")
    return f"<literal>{_xml_text(str(term))}</literal>"


def write_xml(names: Sequence[str], rows: Iterable[dict], out: IO[str]) -> int:
    """Write ``rows`` in the SPARQL Query Results XML Format, one result a line, as they come."""
    out.write(f'<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="{SPARQL_RESULTS_NS}">\n<head>')
    out.write("".join(f'<variable name="{_xml_text(n)}"/>' for n in names))
    out.write("</head>\n<results>\n")
    flush, n = _Flusher(out), 0
    for row in rows:
        cells = "".join(f'<binding name="{_xml_text(name)}">{term_xml(row[name])}</binding>'
                        for name in names if row.get(name) is not None)
        out.write(f"<result>{cells}</result>\n")
        n += 1
        flush()
    out.write("</results>\n</sparql>\n")
    out.flush()
    return n


def ask_xml(answer: bool) -> str:
    """An ASK answer in the SPARQL Query Results XML Format."""
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="{SPARQL_RESULTS_NS}">\n<head/>\n'
            f"<boolean>{'true' if answer else 'false'}</boolean>\n</sparql>\n")


def ask_json(answer: bool) -> str:
    """An ASK answer in the SPARQL 1.1 JSON results shape."""
    return json.dumps({"head": {}, "boolean": bool(answer)})


def write_graph(triples: Iterable[ox.Triple], out: IO[bytes], fmt: str) -> None:
    """Write triples as Turtle (with the project's prefixes), N-Triples or JSON-LD."""
    ox.serialize(triples, out, GRAPH_FORMATS[fmt], prefixes={p: str(ns) for p, ns in PREFIXES.items()})
    out.flush()


def render_delimited(names: Sequence[str], rows: Sequence[dict], delimiter: str, *,
                     lineterminator: str = "\n") -> str:
    buf = io.StringIO()
    write_delimited(names, rows, buf, delimiter, lineterminator=lineterminator)
    return buf.getvalue()


def render_xml(names: Sequence[str], rows: Sequence[dict]) -> str:
    buf = io.StringIO()
    write_xml(names, rows, buf)
    return buf.getvalue()


def render_json(names: Sequence[str], rows: Sequence[dict]) -> str:
    buf = io.StringIO()
    write_json(names, rows, buf)
    return buf.getvalue()
