"""Rendering query results: a readable table in a terminal, clean CSV/TSV/JSON in a pipe."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

import pyoxigraph as ox

from .namespaces import PREFIXES

FORMATS = ("table", "csv", "tsv", "json")


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


def render_delimited(names: Sequence[str], rows: Sequence[dict], delimiter: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([term_text(row.get(n)) for n in names])
    return buf.getvalue()


def render_json(names: Sequence[str], rows: Sequence[dict]) -> str:
    bindings = [{n: term_json(r.get(n)) for n in names if r.get(n) is not None} for r in rows]
    return json.dumps({"head": {"vars": list(names)}, "results": {"bindings": bindings}},
                      ensure_ascii=False, indent=1)
