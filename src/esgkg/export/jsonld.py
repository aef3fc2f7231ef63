"""JSON-LD of the report graphs, with a ``@context`` shipped in the package (``context.jsonld``)
that makes the JSON readable without knowing RDF.

- Short keys: ``indicator``, ``value``, ``unit``, ``period``, ``page``, ``entity``, ``label``,
  breakdowns by name (``gender``, ``ageGroup`` ...), every esgkg property by its local name.
- Typed values by coercion in the context (``value`` is an xsd:decimal, ``restated`` a boolean,
  ``page`` and ``entity`` IRIs relative to ``https://w3id.org/esgkg/id/``), never per value,
  except where a literal does not fit its property's coercion.
- Codes are short: ``"indicator": "ghg-scope1"``, ``"unit": "TONNE"``, ``"gender": "female"``
  (each such property sets its own ``@vocab`` in a property-scoped context).
- Framed: ``@graph`` lists each data set with its observations nested (``observations``, the
  reverse of ``qb:dataSet``), then the companies, the sites, the certifications, then every other
  node, each once and sorted by ``@id``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, BinaryIO

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from ..namespaces import ESGKG, ID, ORG, PREFIXES, QB, SCHEMA, UNIT, VOCAB
from ..store import EmbeddedStore
from .common import load_graph

CONTEXT_FILE = "context.jsonld"
CONTEXT_URL = "https://w3id.org/esgkg/context.jsonld"
BASE = str(ID)
E = str(ESGKG)
# prefixes left out of the context: their names are keys here ("unit", "id") or @base covers them
_SKIP_PREFIXES = {"id", "unit"}
_RENAMED = {  # property IRI -> short key
    str(ESGKG.refEntity): "entity",
    str(ESGKG.refPeriod): "period",
    str(ESGKG.valueQualifier): "qualifier",
    "http://www.w3.org/ns/prov#wasDerivedFrom": "page",
    "http://www.w3.org/2004/02/skos/core#prefLabel": "label",
    "http://www.w3.org/2004/02/skos/core#altLabel": "altLabel",
    "http://www.w3.org/2004/02/skos/core#notation": "notation",
    "http://www.w3.org/2004/02/skos/core#definition": "definition",
    "http://www.w3.org/ns/regorg#legalName": "legalName",
    "http://purl.org/dc/terms/title": "title",
    "http://purl.org/dc/terms/publisher": "publisher",
    "http://xmlns.com/foaf/0.1/page": "homepage",
    str(QB.dataSet): "dataSet",
    str(QB.structure): "structure",
    str(ORG.hasSite): "sites",
    str(ORG.hasUnit): "units",
    str(ORG.classification): "classification",
    str(SCHEMA.hasCertification): "certifications",
}
_CLASSES = {  # class IRI -> short name (esgkg classes are short by @vocab)
    str(QB.Observation): "Observation",
    str(QB.DataSet): "DataSet",
    str(ORG.FormalOrganization): "Organization",
    str(ORG.OrganizationalUnit): "OrganizationalUnit",
    str(ORG.Site): "Site",
    str(ORG.Membership): "Membership",
}
_ENGLISH = {"label", "definition", "altLabel"}


def build_context(ontology: Graph) -> dict[str, Any]:
    """The JSON-LD context, generated from the ontology (its properties and their ranges)."""
    ctx: dict[str, Any] = {"@version": 1.1, "@base": BASE, "@vocab": E}
    for prefix, ns in sorted(PREFIXES.items()):
        if prefix not in _SKIP_PREFIXES:
            ctx[prefix] = str(ns)
    for iri, name in sorted(_CLASSES.items(), key=lambda kv: kv[1]):
        ctx[name] = iri
    terms: dict[str, dict[str, Any]] = {}
    props = set(ontology.subjects(RDF.type, OWL.ObjectProperty)) | set(
        ontology.subjects(RDF.type, OWL.DatatypeProperty))
    for prop in props:
        iri = str(prop)
        if not iri.startswith(E) and iri not in _RENAMED:
            continue
        name = _RENAMED.get(iri, iri[len(E):])
        term: dict[str, Any] = {"@id": iri}
        if (prop, RDF.type, OWL.ObjectProperty) in ontology:
            code_list = ontology.value(prop, QB.codeList)
            if code_list is not None:
                term.update({"@type": "@vocab", "@context": {"@vocab": str(code_list) + "/"}})
            else:
                term["@type"] = "@id"
        else:
            rng = ontology.value(prop, RDFS.range)
            if isinstance(rng, URIRef) and rng != XSD.string and str(rng).startswith(str(XSD)):
                term["@type"] = str(rng)
        terms[name] = term
    for iri, name in _RENAMED.items():
        terms.setdefault(name, {"@id": iri, "@type": "@id"} if name not in _ENGLISH | {
            "notation", "legalName", "title"} else {"@id": iri})
    for name in _ENGLISH:
        terms[name] = {"@id": terms[name]["@id"], "@language": "en"}
    # codes without a qb:codeList in the ontology: the vocabularies give them
    terms["indicator"] = {"@id": str(ESGKG.indicator), "@type": "@vocab",
                          "@context": {"@vocab": str(VOCAB) + "indicator/"}}
    terms["unit"] = {"@id": str(ESGKG.unit), "@type": "@vocab", "@context": {"@vocab": str(UNIT)}}
    terms["qualifier"] = {"@id": str(ESGKG.valueQualifier), "@type": "@vocab",
                          "@context": {"@vocab": str(VOCAB) + "value-qualifier/"}}
    terms["observations"] = {"@reverse": str(QB.dataSet)}
    for name in sorted(terms):
        ctx[name] = terms[name]
    return {"@context": ctx}


def shipped_context() -> dict[str, Any]:
    """The context shipped in the package."""
    return json.loads(resources.files(__package__).joinpath(CONTEXT_FILE).read_text("utf-8"))


def context_with_codelists(store: EmbeddedStore) -> dict[str, Any]:
    """The context built from the store's ontology and code lists (what ``context.jsonld`` holds)."""
    from ..ids import ONTOLOGY_GRAPH

    onto = load_graph(store, str(ONTOLOGY_GRAPH))
    _n, rows = store.select("SELECT ?d ?l WHERE { ?d a qb:DimensionProperty ; qb:codeList ?l }")
    for r in rows:
        onto.add((URIRef(r["d"].value), QB.codeList, URIRef(r["l"].value)))
    return build_context(onto)


def regenerate_context(store: EmbeddedStore) -> None:
    """Rewrite the shipped ``context.jsonld`` from the store's ontology (after an ontology change:
    ``python -c 'import esgkg; from esgkg.export.jsonld import regenerate_context as r;
    r(esgkg.open().store)'``)."""
    path = resources.files(__package__).joinpath(CONTEXT_FILE)
    text = json.dumps(context_with_codelists(store), indent=2, ensure_ascii=False) + "\n"
    with resources.as_file(path) as real:
        real.write_text(text, encoding="utf-8")


class _Compactor:
    """Turns triples into JSON values through the context's term definitions."""

    def __init__(self, context: dict[str, Any]):
        ctx = context["@context"]
        self.prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and not k.startswith("@")
                         and v.endswith(("/", "#"))}
        self.classes = {v: k for k, v in ctx.items() if isinstance(v, str) and not k.startswith("@")
                        and not v.endswith(("/", "#"))}
        self.terms: dict[str, tuple[str, dict]] = {}
        for name, d in ctx.items():
            if isinstance(d, dict) and "@id" in d:
                self.terms[d["@id"]] = (name, d)
        self.names = set(ctx)

    def key(self, pred: URIRef) -> tuple[str, dict | None]:
        iri = str(pred)
        if iri in self.terms:
            return self.terms[iri]
        return self.iri(iri, vocab=True), None

    def iri(self, iri: str, vocab: bool = False) -> str:
        if vocab and iri.startswith(E) and iri[len(E):] not in self.names and ":" not in iri[len(E):]:
            return iri[len(E):]
        if not vocab and iri.startswith(BASE) and ":" not in iri[len(BASE):]:
            return iri[len(BASE):]
        for prefix, ns in sorted(self.prefixes.items(), key=lambda kv: -len(kv[1])):
            if iri.startswith(ns) and iri != ns and not iri[len(ns):].startswith("/"):
                return f"{prefix}:{iri[len(ns):]}"
        return iri

    def type_name(self, iri: str) -> str:
        return self.classes.get(iri) or self.iri(iri, vocab=True)

    def value(self, obj, definition: dict | None) -> Any:
        coercion = (definition or {}).get("@type")
        if isinstance(obj, URIRef):
            iri = str(obj)
            if coercion == "@vocab":
                base = definition["@context"]["@vocab"]
                local = iri[len(base):]
                if iri.startswith(base) and local and ":" not in local and local not in self.names:
                    return local
                return iri
            if coercion == "@id":
                return self.iri(iri)
            return {"@id": self.iri(iri)}
        if isinstance(obj, BNode):
            return {"@id": f"_:{obj}"}
        lit: Literal = obj
        dt = str(lit.datatype) if lit.datatype else None
        if definition is not None and "@language" in definition:
            if lit.language == definition["@language"]:
                return str(lit)
        elif coercion and coercion not in ("@id", "@vocab"):
            if dt == coercion:
                return str(lit)
        elif not lit.language and dt in (None, str(XSD.string)):
            return str(lit)
        if lit.language:
            return {"@value": str(lit), "@language": lit.language}
        if dt and dt != str(XSD.string):
            return {"@value": str(lit), "@type": self.iri(dt)}
        return {"@value": str(lit)}


def _sort_key(v: Any) -> str:
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


def document(graph: Graph, context: dict[str, Any] | None = None, context_ref: Any = None) -> dict[str, Any]:
    """The framed JSON-LD document of ``graph`` (a union of report graphs)."""
    context = context or shipped_context()
    c = _Compactor(context)
    nodes: dict[str, dict[str, Any]] = {}
    nested: dict[str, str] = {}  # observation -> its data set, when it has exactly one
    for s in set(graph.subjects(RDF.type, QB.Observation)):
        sets = list(graph.objects(s, QB.dataSet))
        if len(sets) == 1:
            nested[str(s)] = str(sets[0])
    for s in sorted(set(graph.subjects()), key=str):
        node: dict[str, Any] = {"@id": c.iri(str(s)) if isinstance(s, URIRef) else f"_:{s}"}
        props: dict[str, list] = {}
        for p, o in graph.predicate_objects(s):
            if p == RDF.type:
                props.setdefault("@type", []).append(c.type_name(str(o)))
                continue
            if p == QB.dataSet and str(s) in nested:
                continue
            name, definition = c.key(p)
            props.setdefault(name, []).append(c.value(o, definition))
        for k in sorted(props, key=lambda k: ("" if k == "@type" else k)):
            vals = sorted(props[k], key=_sort_key)
            node[k] = vals[0] if len(vals) == 1 else vals
        nodes[str(s)] = node
    for obs, ds in sorted(nested.items()):
        parent = nodes.setdefault(ds, {"@id": c.iri(ds)})
        parent.setdefault("observations", []).append(nodes.pop(obs))

    def kind(iri: str) -> int:
        types = set(graph.objects(URIRef(iri), RDF.type))
        for rank, cls in enumerate((QB.DataSet, ORG.FormalOrganization, ORG.Site, ESGKG.Certification)):
            if cls in types:
                return rank
        return 9

    ordered = sorted(nodes.items(), key=lambda kv: (kind(kv[0]), kv[1]["@id"]))
    return {"@context": context_ref if context_ref is not None else context["@context"],
            "@graph": [n for _, n in ordered]}


def report_union(graphs: dict[str, Graph]) -> Graph:
    """The union of the report graphs and the periods graph among ``graphs`` (what JSON-LD holds)."""
    union = Graph()
    for iri, g in graphs.items():
        if "/graph/report/" in iri or iri.endswith("/graph/periods"):
            union += g
    return union


def jsonld_bytes(graph: Graph, context_ref: Any = None) -> bytes:
    """The framed JSON-LD document of ``graph`` as UTF-8 bytes (deterministic)."""
    doc = document(graph, shipped_context(), context_ref)
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def write_jsonld(store: EmbeddedStore, out: BinaryIO, report: str | None = None,
                 context_ref: Any = None) -> None:
    """Write the report graphs (all, or ``report``'s), plus the periods they refer to, as
    framed JSON-LD. ``context_ref`` (e.g. the context's URL) replaces the inline context."""
    from .formats import select_graphs

    out.write(jsonld_bytes(report_union(select_graphs(store, report)), context_ref))
