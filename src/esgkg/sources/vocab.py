"""Compile the reference vocabularies (``ontology/vocab/*.csv``) into SKOS concept schemes.

Each CSV becomes one named graph; concept IRIs are ``vocab/<scheme>/<code>``. The compiled
``Vocabularies`` also answers "is this code known?" for the report loaders, so that a typo in
the data is an error naming the file and line, not a dangling IRI.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from .. import ids
from ..errors import InputError
from ..namespaces import ESGKG, QB, QUANTITYKIND, QUDT, UNIT, bind_prefixes
from ..units import PrintedUnit, UnitTable, load_unit_table
from . import strict
from .files import read_csv


@dataclass
class Vocabularies:
    """The compiled vocabularies: one graph each, and the codes each scheme knows."""

    graphs: dict[URIRef, Graph] = field(default_factory=dict)
    codes: dict[str, set[str]] = field(default_factory=dict)
    units: UnitTable | None = None

    def known(self, scheme: str, code: str) -> bool:
        return code in self.codes.get(scheme, set())

    def require(self, scheme: str, code: str, where: str) -> URIRef:
        """The concept IRI of ``code`` in ``scheme``, or an InputError naming ``where``."""
        if not self.known(scheme, code):
            raise InputError(f"{where}: unknown {scheme} code {code!r}")
        return ids.concept(scheme, code)


def _local_name(name: str, path: Path, line: int) -> str:
    """A QUDT local name (``MassFlowRate``, ``TONNE``): letters, digits, ``_`` and ``-`` only."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name):
        raise InputError(f"{path}:{line}: {name!r} is not a QUDT local name")
    return name


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(";") if p.strip()]


class _SchemeWriter:
    """Adds concepts of one scheme to a graph, remembering their codes."""

    def __init__(self, graph: Graph, vocab: Vocabularies, scheme: str, title: str):
        self.graph, self.vocab, self.scheme = graph, vocab, scheme
        self.iri = ids.scheme(scheme)
        graph.add((self.iri, RDF.type, SKOS.ConceptScheme))
        graph.add((self.iri, SKOS.prefLabel, Literal(title, lang="en")))
        vocab.codes.setdefault(scheme, set())

    def concept(self, code: str, label: str, where: str, definition: str = "",
                broader: str = "", rdf_type: URIRef | None = None) -> URIRef:
        if not code or not label:
            raise InputError(f"{where}: a concept needs a code and a label")
        if code in self.vocab.codes[self.scheme]:
            raise InputError(f"{where}: {self.scheme} code {code!r} is listed twice")
        try:
            iri = ids.concept(self.scheme, ids.check_code(code, f"{self.scheme} code"))
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
        self.vocab.codes[self.scheme].add(code)
        g = self.graph
        g.add((iri, RDF.type, SKOS.Concept))
        if rdf_type is not None:
            g.add((iri, RDF.type, rdf_type))
        g.add((iri, SKOS.inScheme, self.iri))
        g.add((iri, SKOS.notation, Literal(code)))
        g.add((iri, SKOS.prefLabel, Literal(label, lang="en")))
        if definition:
            g.add((iri, SKOS.definition, Literal(definition, lang="en")))
        if broader:
            g.add((iri, SKOS.broader, ids.concept(self.scheme, broader)))
        else:
            g.add((iri, SKOS.topConceptOf, self.iri))
        return iri


def _check_broader(graph: Graph, vocab: Vocabularies, scheme: str, path: Path) -> None:
    if not scheme:
        return
    for child, parent in graph.subject_objects(SKOS.broader):
        code = str(parent).rsplit("/", 1)[-1]
        if str(parent).startswith(str(ids.scheme(scheme))) and not vocab.known(scheme, code):
            raise InputError(f"{path}: {child} has unknown broader code {code!r}")


def _codelists(path: Path, vocab: Vocabularies, g: Graph) -> None:
    writers: dict[str, _SchemeWriter] = {}
    for line, row in read_csv(path, ["scheme", "code", "label", "definition"]):
        name = ids.check_slug(row["scheme"], f"{path}:{line}: scheme")
        w = writers.get(name) or writers.setdefault(
            name, _SchemeWriter(g, vocab, name, f"{name.replace('-', ' ')} codes"))
        w.concept(row["code"], row["label"], f"{path}:{line}", row["definition"])


def _breakdown_codes(path: Path, vocab: Vocabularies, g: Graph) -> None:
    writers: dict[str, _SchemeWriter] = {}
    for line, row in read_csv(path, ["dimension", "code", "label"]):
        dim = ids.check_slug(row["dimension"], f"{path}:{line}: dimension")
        if dim not in writers:
            writers[dim] = _SchemeWriter(g, vocab, dim, f"{dim.replace('-', ' ')} breakdown codes")
            g.add((dimension_property(dim), QB.codeList, writers[dim].iri))
        writers[dim].concept(row["code"], row["label"], f"{path}:{line}")


def dimension_property(key: str) -> URIRef:
    """The ontology's dimension property for a breakdown key (``age-group`` -> esgkg:ageGroup)."""
    head, *rest = key.split("-")
    return ESGKG[head + "".join(p.capitalize() for p in rest)]


def _hkex(path: Path, vocab: Vocabularies, g: Graph) -> None:
    w = _SchemeWriter(g, vocab, "hkex", "HKEX ESG Reporting Guide")
    for line, row in read_csv(path, ["code", "kind", "parent", "label", "level"]):
        where = f"{path}:{line}"
        iri = w.concept(row["code"], row["label"], where, broader=row["parent"])
        g.add((iri, ESGKG.kind, vocab.require("hkex-kind", row["kind"], where)))
        if row["level"]:
            g.add((iri, ESGKG.disclosureLevel, vocab.require("disclosure-level", row["level"], where)))


def _gri(path: Path, vocab: Vocabularies, g: Graph) -> None:
    """GRI disclosures, each ``dcterms:isPartOf`` the standard (in its edition) it belongs to, with
    its HKEX mappings: ``close_match`` (skos:closeMatch), ``broad_match`` (the HKEX item is broader:
    skos:broadMatch, and skos:narrowMatch back) and ``narrow_match`` (the HKEX item is narrower)."""
    w = _SchemeWriter(g, vocab, "gri", "GRI Standards disclosures")
    rows = list(read_csv(path, ["code", "standard", "label", "close_match"]))
    standards = {r["code"] for _, r in rows if r["code"].startswith("GRI-")}
    editions = _gri_editions(path, rows)
    for line, row in rows:
        code, where = row["code"], f"{path}:{line}"
        parent = f"GRI-{code.split('-')[0]}" if not code.startswith("GRI-") else ""
        iri = w.concept(code, row["label"], where,
                        broader=parent if parent in standards else "")
        if row["standard"]:
            g.add((iri, SKOS.scopeNote, Literal(row["standard"], lang="en")))
            edition = re.search(r"\b((?:19|20)[0-9]{2})$", row["standard"])
            if edition:  # 303-3 of GRI 303: 2018 is not 303-3 of GRI 303: 2016
                g.add((iri, ESGKG.editionYear, Literal(edition.group(1), datatype=XSD.gYear)))
            whole = editions.get(row["standard"])
            if whole is None:
                raise InputError(f"{where}: standard {row['standard']!r} is not the standard of any "
                                 "GRI-<number> row (its edition must be a row of its own)")
            if whole != code:
                g.add((iri, DCTERMS.isPartOf, ids.concept("gri", whole)))
            else:
                g.add((iri, DCTERMS.isPartOf, ids.concept("framework", "gri")))
        _gri_matches(g, vocab, iri, row, where)


def _simple(scheme: str, title: str) -> Callable[[Path, Vocabularies, Graph], None]:
    def compile_(path: Path, vocab: Vocabularies, g: Graph) -> None:
        w = _SchemeWriter(g, vocab, scheme, title)
        for line, row in read_csv(path, ["code", "label"]):
            iri = w.concept(row["code"], row["label"], f"{path}:{line}")
            if row.get("url"):
                g.add((iri, RDFS.seeAlso, URIRef(strict.iri(row["url"], f"{path}:{line}: url"))))
    return compile_


def _standards(path: Path, vocab: Vocabularies, g: Graph) -> None:
    w = _SchemeWriter(g, vocab, "standard", "Standards and certification schemes")
    for line, row in read_csv(path, ["code", "label", "broader", "issuer", "edition", "kind"]):
        where = f"{path}:{line}"
        iri = w.concept(row["code"], row["label"], where, broader=row["broader"])
        if row["issuer"]:
            g.add((iri, ESGKG.issuerName, Literal(row["issuer"])))
        if row["edition"]:
            if not re.fullmatch(r"(?:19|20)[0-9]{2}", row["edition"]):
                raise InputError(f"{where}: edition {row['edition']!r} is not a year (YYYY)")
            g.add((iri, ESGKG.editionYear, Literal(row["edition"], datatype=XSD.gYear)))
        if row["kind"]:
            g.add((iri, ESGKG.kind, vocab.require("standard-kind", row["kind"], where)))


def _alt_labels(text: str, label: str, where: str) -> list[str]:
    """The ``|``-separated alternative labels of a concept (``skos:altLabel``): none empty, none
    repeated, none the concept's own label (SKOS: preferred and alternative labels are disjoint)."""
    if not text.strip():
        return []
    alts = [a.strip() for a in text.split("|")]
    seen: set[str] = {label.casefold()}
    for alt in alts:
        if not alt:
            raise InputError(f"{where}: alt_labels {text!r} has an empty label (labels are separated by |)")
        if alt.casefold() in seen:
            raise InputError(f"{where}: alternative label {alt!r} is the concept's label or is repeated")
        seen.add(alt.casefold())
    return alts


def _indicators(path: Path, vocab: Vocabularies, g: Graph) -> None:
    w = _SchemeWriter(g, vocab, "indicator", "esgkg indicators")
    cols = ["code", "label", "definition", "quantity_kind", "kind", "hkex", "gri"]
    refs: list[tuple[str, str]] = []  # (where, indicator code) checked once all are read
    for line, row in read_csv(path, cols):
        where = f"{path}:{line}"
        # broader: the indicator's family (skos:broader, checked once all are read); exact_match:
        # another indicator measuring the same thing (skos:exactMatch, as written; the shapes read
        # it both ways)
        broader = _split(row.get("broader", ""))
        iri = w.concept(row["code"], row["label"], where, row["definition"],
                        broader=broader[0] if broader else "", rdf_type=ESGKG.Indicator)
        for column, prop, codes in (("broader", SKOS.broader, broader),
                                    ("exact_match", SKOS.exactMatch, _split(row.get("exact_match", "")))):
            for code in codes:
                if code == row["code"]:
                    raise InputError(f"{where}: {column} names the indicator itself ({code!r})")
                g.add((iri, prop, ids.concept("indicator", code)))
                refs.append((f"{where}: {column}", code))
        if row["quantity_kind"]:
            g.add((iri, QUDT.hasQuantityKind, QUANTITYKIND[_local_name(row["quantity_kind"], path, line)]))
        g.add((iri, ESGKG.indicatorKind, vocab.require("indicator-kind", row["kind"], where)))
        for code in _split(row["hkex"]):
            g.add((iri, ESGKG.hkexKpi, vocab.require("hkex", code, where)))
        for code in _split(row["gri"]):
            g.add((iri, ESGKG.griDisclosure, vocab.require("gri", code, where)))
        for alt in _alt_labels(row.get("alt_labels", ""), row["label"], where):
            g.add((iri, SKOS.altLabel, Literal(alt, lang="en")))
        for code in _split(row.get("sum_of", "")):
            g.add((iri, ESGKG.sumOf, ids.concept("indicator", code)))
        for code in _split(row.get("counts_holders_of", "")):  # a count of the holders of these posts
            g.add((iri, ESGKG.countsHoldersOf, vocab.require("post-role", code, where)))
        for column, prop in (("numerator", ESGKG.ratioNumerator), ("denominator", ESGKG.ratioDenominator)):
            if row.get(column):
                g.add((iri, prop, ids.concept("indicator", row[column])))
                refs.append((where, row[column]))
    for u in vocab.units or []:
        if u.per:
            refs.append((f"{path.parent / 'units.csv'}: unit {u.printed!r} (per)", u.per))
    for where, code in refs:
        if not vocab.known("indicator", code):
            raise InputError(f"{where}: {code!r} is not an indicator code of {path.name}")


def _units(path: Path, vocab: Vocabularies, g: Graph) -> None:
    table = load_unit_table(path)
    for u in table:
        for name in (u.qudt_unit, u.quantity_kind):
            if name:
                _local_name(name, path, u.line)
    vocab.units = table
    w = _SchemeWriter(g, vocab, "unit", "Units as printed in reports")
    codes: dict[str, PrintedUnit] = {}
    for u in table:
        # The code depends on the row alone (never on the order of the rows): its own `code`,
        # else the slug of the printed string; two rows that would share one are an error.
        where = f"{path}:{u.line}: unit {u.printed!r}"
        code = u.code or ids.slugify(u.printed)
        if not u.code and not any(ch.isascii() and ch.isalnum() for ch in u.printed):
            raise InputError(f"{where} has no letter or digit to name it by: give it a code")
        if code in codes:
            raise InputError(f"{where} would be named {code!r} like {codes[code].printed!r} "
                             f"(line {codes[code].line}): give one of them a code")
        codes[code] = u
        iri = w.concept(code, u.printed, where, rdf_type=ESGKG.PrintedUnit)
        g.add((iri, ESGKG.printedScale, Literal(u.scale, datatype=XSD.decimal)))
        if u.ucum:
            g.add((iri, ESGKG.ucumCode, Literal(u.ucum)))
        if u.note:
            g.add((iri, SKOS.note, Literal(u.note, lang="en")))
        # issue 15: whether the printed string can be read as a unit (ok, misprint, unreadable)
        g.add((iri, ESGKG.unitStatus, vocab.require("unit-status", u.status, where)))
        if u.qudt_unit:
            qudt_unit = UNIT[u.qudt_unit]
            g.add((iri, ESGKG.qudtUnit, qudt_unit))
            g.add((qudt_unit, RDF.type, QUDT.Unit))
            if u.multiplier is not None:
                g.add((qudt_unit, QUDT.conversionMultiplier, Literal(u.multiplier, datatype=XSD.decimal)))
            if u.quantity_kind:
                g.add((qudt_unit, QUDT.hasQuantityKind, QUANTITYKIND[u.quantity_kind]))
        if u.quantity_kind:
            g.add((iri, QUDT.hasQuantityKind, QUANTITYKIND[u.quantity_kind]))
        if not u.qudt_unit and u.multiplier is not None:  # a ratio unit such as t per RMB10,000
            g.add((iri, ESGKG.ratioMultiplier, Literal(u.multiplier, datatype=XSD.decimal)))
        if u.per:
            g.add((iri, ESGKG.ratioDenominator, ids.concept("indicator", u.per)))


def _add_broader_transitive(graph: Graph, path: Path) -> None:
    """State each concept's ancestors with ``skos:broaderTransitive`` (SKOS: the transitive
    super-property of ``skos:broader``), so that "this concept or a narrower one" is one triple
    pattern: engines differ on ``skos:broader*`` paths (Virtuoso 7 needs one end unbound).
    A cycle of ``skos:broader`` is an InputError naming a concept on it."""
    parents: dict[URIRef, list[URIRef]] = {}
    for child, parent in graph.subject_objects(SKOS.broader):
        parents.setdefault(child, []).append(parent)  # type: ignore[arg-type]
    for concept in list(parents):
        seen: set[URIRef] = set()
        todo = list(parents[concept])
        while todo:
            ancestor = todo.pop()
            if ancestor == concept:
                raise InputError(f"{path}: {concept} is broader than itself (a cycle of broader codes)")
            if ancestor not in seen:
                seen.add(ancestor)
                todo.extend(parents.get(ancestor, ()))
        for ancestor in seen:
            graph.add((concept, SKOS.broaderTransitive, ancestor))


# (graph name, file, compiler) in dependency order: code lists first, indicators last.
VOCABULARIES: list[tuple[str, str, Callable[[Path, Vocabularies, Graph], None]]] = [
    ("codelists", "codelists.csv", _codelists),
    ("codes", "codes.csv", _breakdown_codes),
    ("frameworks", "frameworks.csv", _simple("framework", "Reporting frameworks")),
    ("topics", "topics.csv", _simple("topic", "esgkg topics")),
    ("sdg", "sdg.csv", _simple("sdg", "UN Sustainable Development Goals")),
    ("hkex", "hkex.csv", _hkex),
    ("gri", "gri.csv", _gri),
    ("standards", "standards.csv", _standards),
    ("units", "units.csv", _units),
    ("indicators", "indicators.csv", _indicators),
]


def load_vocabularies(vocab_dir: Path) -> Vocabularies:
    """Compile every vocabulary CSV; a missing file or a bad row is an InputError naming it."""
    vocab = Vocabularies()
    for name, filename, compile_ in VOCABULARIES:
        g = Graph()
        bind_prefixes(g)
        path = vocab_dir / filename
        compile_(path, vocab, g)
        _check_broader(g, vocab, _scheme_of(g), path)
        _add_broader_transitive(g, path)
        vocab.graphs[ids.vocab_graph(name)] = g
    return vocab


def _scheme_of(g: Graph) -> str:
    schemes = [str(s).rsplit("/", 1)[-1] for s in g.subjects(RDF.type, SKOS.ConceptScheme)]
    return schemes[0] if len(schemes) == 1 else ""


def _gri_editions(path: Path, rows: list[tuple[int, dict[str, str]]]) -> dict[str, str]:
    """The code of the GRI-<number> row of each standard-in-its-edition (``standard`` column)."""
    editions: dict[str, str] = {}
    for line, row in rows:
        if row["code"].startswith("GRI-"):
            if row["standard"] in editions:
                raise InputError(f"{path}:{line}: standard {row['standard']!r} has two rows "
                                 f"({editions[row['standard']]} and {row['code']})")
            editions[row["standard"]] = row["code"]
    return editions


_GRI_MATCH_COLUMNS = (("close_match", SKOS.closeMatch, None),
                      ("broad_match", SKOS.broadMatch, SKOS.narrowMatch),
                      ("narrow_match", SKOS.narrowMatch, SKOS.broadMatch))


def _gri_matches(g: Graph, vocab: Vocabularies, iri: URIRef, row: dict[str, str], where: str) -> None:
    """A GRI disclosure's mappings to HKEX items; an HKEX item in two columns of one row is refused
    (a pair is close, or one is broader: not both)."""
    seen: dict[str, str] = {}
    for column, prop, inverse in _GRI_MATCH_COLUMNS:
        for code in _split(row.get(column, "")):
            if code in seen:
                raise InputError(f"{where}: HKEX {code} is in both {seen[code]} and {column}")
            seen[code] = column
            hkex = vocab.require("hkex", code, where)
            g.add((iri, prop, hkex))
            if inverse is not None:
                g.add((hkex, inverse, iri))
