"""The catalogue of named queries (``queries/*.rq``) and safe parameter binding.

A query file starts with a header of ``#`` comments::

    # title: Sites holding a standard
    # description: Which sites hold a certificate for a standard (any edition), with pages.
    # param: standard code(standard) = iso-45001 -- the standard's code in the standards vocabulary

Parameter types: ``string``, ``integer``, ``decimal``, ``iri``, ``unit`` (a QUDT unit name such
as TONNE), ``code(<scheme>)`` (a code of one of the vocabularies, bound as the concept's IRI).
A parameter whose default is ``""`` is optional: left out, it stays unbound (``!BOUND(?name)``).
Parameters are checked, turned into RDF terms and bound in a VALUES block that the RDF library
writes, never pasted into the query text as given. A code must be one the store knows (when the
caller gives a way to look codes up): an unknown one is an error that offers the closest codes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from . import ids
from .errors import InputError
from .namespaces import UNIT

_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)\s+"
    r"(?P<type>string|integer|decimal|iri|unit|code\([a-z0-9-]+\))"
    r"(?:\s*=\s*(?P<default>\S+))?(?:\s*--\s*(?P<doc>.*))?$"
)
XSD = "http://www.w3.org/2001/XMLSchema#"
OPTIONAL = '""'  # the default of an optional parameter: `# param: kind code(x) = "" -- ...`

CodeLookup = Callable[[str], Collection[str]]  # a scheme's name -> the codes the store holds for it


def closest(value: str, known: Collection[str], n: int = 5) -> list[str]:
    """Up to ``n`` of ``known`` nearest to ``value``: the close matches, else the least far."""
    return (difflib.get_close_matches(value, known, n=n)
            or difflib.get_close_matches(value, known, n=n, cutoff=0.0))


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None
    doc: str

    def bind(self, raw: object, codes: CodeLookup | None = None) -> ox.NamedNode | ox.Literal:
        """The RDF term for a raw value; a value of the wrong type is an InputError.

        With ``codes``, a ``code(<scheme>)`` value must also be one of ``codes(scheme)``.
        """
        text = str(raw)
        if self.type == "string":
            return ox.Literal(text)
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?\d+", text):
                raise InputError(f"parameter {self.name} must be an integer, not {text!r}")
            return ox.Literal(text, datatype=ox.NamedNode(XSD + "integer"))
        if self.type == "decimal":
            try:
                Decimal(text)
            except InvalidOperation:
                raise InputError(f"parameter {self.name} must be a decimal, not {text!r}") from None
            return ox.Literal(text, datatype=ox.NamedNode(XSD + "decimal"))
        if self.type == "iri":
            if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", text):
                raise InputError(f"parameter {self.name} must be an http(s) IRI, not {text!r}")
            return ox.NamedNode(text)
        if self.type == "unit":
            if not re.fullmatch(r"[A-Za-z0-9_-]+", text):
                raise InputError(f"parameter {self.name} must be a QUDT unit name like TONNE, not {text!r}")
            return ox.NamedNode(str(UNIT[text]))
        scheme = self.type[5:-1]
        try:
            node = ox.NamedNode(str(ids.concept(scheme, text)))
        except InputError:
            raise InputError(f"parameter {self.name} must be a {scheme} code, not {text!r}") from None
        if codes is not None:
            known = codes(scheme)
            if text not in known:
                if not known:
                    raise InputError(f"parameter {self.name}: the store holds no {scheme} codes, so "
                                     f"{text!r} cannot be one")
                raise InputError(f"parameter {self.name}: {text!r} is not a code of the {scheme} "
                                 f"vocabulary in the store; the closest: {', '.join(closest(text, known))}")
        return node


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    title: str
    description: str
    params: list[Param] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def bindings(self, values: dict[str, object],
                 codes: CodeLookup | None = None) -> dict[str, ox.NamedNode | ox.Literal]:
        """The parameters as RDF terms (defaults filled in); ``codes`` checks codes exist."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise InputError(f"query {self.name} has no parameter(s) {', '.join(unknown)} "
                             f"(it takes: {', '.join(known) or 'none'})")
        out = {}
        for p in self.params:
            raw = values.get(p.name, p.default)
            if raw is None:
                raise InputError(f"query {self.name} needs parameter {p.name} ({p.type})")
            if p.default == OPTIONAL and str(raw) in ("", OPTIONAL):
                continue  # an optional parameter left out stays unbound: the query sees !BOUND(?name)
            out[p.name] = p.bind(raw, codes)
        return out


def parse_header(path: Path) -> NamedQuery:
    meta: dict[str, str] = {}
    params: list[Param] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("#"):
            break
        key, _, value = line.lstrip("# ").partition(":")
        value = value.strip()
        if key == "param":
            m = _PARAM.match(value)
            if not m:
                raise InputError(f"{path}:{lineno}: malformed param line {value!r}")
            params.append(Param(m["name"], m["type"], m["default"], (m["doc"] or "").strip()))
        elif key in ("title", "description"):
            meta[key] = value
    if "title" not in meta:
        raise InputError(f"{path}: the header needs a '# title:' line")
    return NamedQuery(path.stem, path, meta["title"], meta.get("description", ""), params)


def catalogue(queries_dir: Path) -> dict[str, NamedQuery]:
    """Every named query in ``queries_dir``, by name (the file name without .rq)."""
    if not queries_dir.is_dir():
        raise InputError(f"queries folder not found: {queries_dir}")
    return {p.stem: parse_header(p) for p in sorted(queries_dir.glob("*.rq"))}
