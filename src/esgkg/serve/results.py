"""Result formats of the endpoint: names, media types, content negotiation and serialisers.

A SELECT or ASK answer is written as SPARQL 1.1 JSON, XML, CSV or TSV results; a CONSTRUCT or
DESCRIBE answer (and the service description) as Turtle, N-Triples, JSON-LD or RDF/XML. The
writers are those of ``esgkg.render`` (the CLI's), over a result held in memory: a response is
capped by the server's row limit, so a timeout or the cap is a clean HTTP error, never a cut
body.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept

from .. import render
from ..namespaces import PREFIXES


@dataclass(frozen=True)
class Format:
    """One result format: its short name (``format=``), media type and other names it answers to."""

    name: str
    media_type: str
    aliases: tuple[str, ...] = ()  # other format= values and media types that mean this format

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8"


# the first of each list is the default (no Accept header, or */*)
RESULT_FORMATS = (
    Format("json", "application/sparql-results+json", ("srj", "application/json")),
    Format("xml", "application/sparql-results+xml", ("srx", "application/xml", "text/xml")),
    Format("csv", "text/csv"),
    Format("tsv", "text/tab-separated-values"),
)
GRAPH_FORMATS = (
    Format("ttl", "text/turtle", ("turtle", "n3", "application/turtle", "application/x-turtle", "text/n3")),
    Format("nt", "application/n-triples", ("ntriples", "n-triples")),
    Format("jsonld", "application/ld+json", ("json-ld", "json", "application/json")),
    Format("rdfxml", "application/rdf+xml", ("rdf", "xml", "rdf+xml", "application/xml")),
)
_RDF = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
        "rdfxml": ox.RdfFormat.RDF_XML}


class NotAcceptable(Exception):
    """No format of the answer's kind is acceptable to the client (HTTP 406)."""


def formats_for(kind: str) -> tuple[Format, ...]:
    """The formats of an answer: ``select`` or ``ask`` (result sets), ``graph`` (RDF)."""
    return GRAPH_FORMATS if kind == "graph" else RESULT_FORMATS


def negotiate(kind: str, accept: MIMEAccept, requested: Sequence[str] = ()) -> Format:
    """The format of an answer of ``kind``: the first ``requested`` (``format=`` values, a short
    name, an alias or a media type, case-insensitive) this kind has, else the client's best by
    ``Accept`` (q-values), else the default. Raises NotAcceptable naming the formats on offer.
    """
    offered = formats_for(kind)
    what = "a CONSTRUCT or DESCRIBE result" if kind == "graph" else f"a{'n' if kind == 'ask' else ''} " \
        f"{kind.upper()} result"
    names = ", ".join(f.name for f in offered)
    if requested:
        for value in requested:
            wanted = value.strip().lower().split(";")[0].strip()
            for f in offered:
                if wanted in (f.name, f.media_type, *f.aliases):
                    return f
        raise NotAcceptable(f"format={', '.join(requested)} is not a format of {what}; "
                            f"use format= one of {names}")
    if not accept:
        return offered[0]
    by_type = {f.media_type: f for f in offered}
    for f in offered:
        for alias in f.aliases:
            if "/" in alias:
                by_type.setdefault(alias, f)
    best = accept.best_match(list(by_type))
    if best is None:
        raise NotAcceptable(f"none of the media types accepted ({accept}) is a format of {what}; "
                            f"this endpoint writes {', '.join(f.media_type for f in offered)} "
                            f"(or format= one of {names})")
    return by_type[best]


def tsv_term(term: object) -> str:
    """A term as SPARQL 1.1 TSV writes it: in SPARQL/N-Triples syntax, '' when unbound."""
    return "" if term is None else str(term)


def select_body(fmt: Format, variables: Sequence[str], rows: Sequence[dict]) -> bytes:
    """The rows of a SELECT in ``fmt``."""
    if fmt.name == "json":
        text = render.render_json(variables, rows)
    elif fmt.name == "xml":
        text = render.render_xml(variables, rows)
    elif fmt.name == "csv":
        text = render.render_delimited(variables, rows, ",", lineterminator="\r\n")
    else:
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines += ["\t".join(tsv_term(row.get(v)) for v in variables) for row in rows]
        text = "\n".join(lines) + "\n"
    return text.encode("utf-8")


def ask_body(fmt: Format, answer: bool) -> bytes:
    """The answer of an ASK in ``fmt`` (CSV and TSV as Jena writes them: one column ``_askResult``)."""
    word = "true" if answer else "false"
    if fmt.name == "json":
        text = render.ask_json(answer) + "\n"
    elif fmt.name == "xml":
        text = render.ask_xml(answer)
    elif fmt.name == "csv":
        text = f"_askResult\r\n{word}\r\n"
    else:
        text = f"?_askResult\n{word}\n"
    return text.encode("utf-8")


def graph_body(fmt: Format, triples: Iterable[ox.Triple], prefixes: dict[str, str] | None = None) -> bytes:
    """Triples in ``fmt`` (Turtle and RDF/XML with the project's prefixes and ``prefixes``)."""
    buf = io.BytesIO()
    if fmt.name in ("ttl", "rdfxml"):
        prefixes = {**{p: str(ns) for p, ns in PREFIXES.items()}, **(prefixes or {})}
    else:
        prefixes = None
    ox.serialize(triples, buf, _RDF[fmt.name], prefixes=prefixes)
    return buf.getvalue()
