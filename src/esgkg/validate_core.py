"""SHACL core constraints compiled to SPARQL and run on Oxigraph: the fast core engine.

Covers what ``shapes/`` uses: node shapes with ``sh:targetClass`` and ``sh:property`` only, and
property shapes with an IRI ``sh:path``, one ``sh:message`` and the components ``sh:minCount``,
``sh:maxCount``, ``sh:class``, ``sh:datatype``, ``sh:pattern`` (without flags) and
``sh:minInclusive``. :func:`compile_core` returns None for any shapes graph using something else,
and validation then falls back to pyshacl. Each constraint is one query that returns only the
failing focus or value nodes; values SPARQL cannot judge exactly as pyshacl does (patterns,
bounds, suspicious lexical forms) are confirmed in Python with pyshacl's own rules, so the
results are pyshacl's (``tests/test_validate.py`` compares both engines result by result).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from .namespaces import SH

_NODE_KEYS = {SH.targetClass, SH.property, SH.severity, SH.message, SH.name, SH.description}
_PROP_KEYS = {SH.path, SH.minCount, SH.maxCount, SH["class"], SH.datatype, SH.pattern, SH.minInclusive,
              SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group}
_NUMERIC = {XSD.decimal, XSD.integer}
_TYPE_PATH = f"<{RDF.type}>/<{RDFS.subClassOf}>*"


@dataclass(frozen=True)
class Result:
    """One validation result, as rdflib terms (what goes into the sh:ValidationReport graph)."""

    focus: URIRef | BNode
    severity: URIRef
    shape: URIRef | BNode
    component: URIRef
    message: str
    path: URIRef | None = None
    value: URIRef | BNode | Literal | None = None


@dataclass(frozen=True)
class _PropertyShape:
    shape: URIRef | BNode
    targets: tuple[URIRef, ...]
    path: URIRef
    severity: URIRef
    message: str
    min_count: int | None
    max_count: int | None
    classes: tuple[URIRef, ...]
    datatypes: tuple[URIRef, ...]
    patterns: tuple[str, ...]
    min_inclusive: tuple[Literal, ...]


@dataclass(frozen=True)
class CorePlan:
    """The compiled core shapes: one entry per (node shape, property shape)."""

    shapes: tuple[_PropertyShape, ...]

    def run(self, store: ox.Store) -> list[Result]:
        """Evaluate every core constraint on ``store`` (its default graph: report + context)."""
        out: list[Result] = []
        for ps in self.shapes:
            out += _evaluate(store, ps)
        return out


def compile_core(core: Graph) -> CorePlan | None:
    """Compile the core shapes graph, or None when it uses anything this engine does not cover."""
    sh_ns = str(SH)
    node_shapes = set(core.subjects(SH.targetClass, None)) | set(core.subjects(SH.property, None))
    node_shapes |= set(core.subjects(RDF.type, SH.NodeShape))
    prop_shapes = set(core.objects(None, SH.property))
    prop_shapes |= set(core.subjects(RDF.type, SH.PropertyShape)) | set(core.subjects(SH.path, None))
    if node_shapes & prop_shapes:
        return None
    for s, p, _o in core:  # every SHACL term must sit on a shape and be one we evaluate
        if not str(p).startswith(sh_ns) or p in (SH.declare, SH.prefix, SH.namespace, SH.prefixes):
            continue
        allowed = _NODE_KEYS if s in node_shapes else _PROP_KEYS if s in prop_shapes else set()
        if p not in allowed:
            return None
    for node in node_shapes:
        if core.value(node, SH.message) is not None:  # a node-level message with no constraint
            return None
    compiled = []
    for prop in prop_shapes:
        parents = list(core.subjects(SH.property, prop))
        if not parents or core.value(prop, SH.targetClass) is not None:
            return None
        path = core.value(prop, SH.path)
        messages = list(core.objects(prop, SH.message))
        if not isinstance(path, URIRef) or len(messages) != 1 or len(list(core.objects(prop, SH.path))) != 1:
            return None
        counts = {}
        for key in (SH.minCount, SH.maxCount):
            values = list(core.objects(prop, key))
            if len(values) > 1 or (values and not isinstance(values[0].toPython(), int)):
                return None
            counts[key] = int(values[0].toPython()) if values else None
        patterns = tuple(str(p) for p in core.objects(prop, SH.pattern))
        bounds = tuple(core.objects(prop, SH.minInclusive))
        if not all(isinstance(b, Literal) for b in bounds):
            return None
        classes = tuple(core.objects(prop, SH["class"]))
        datatypes = tuple(core.objects(prop, SH.datatype))
        if not all(isinstance(c, URIRef) for c in classes + datatypes):
            return None
        severity = core.value(prop, SH.severity) or SH.Violation
        for parent in parents:
            targets = tuple(sorted(core.objects(parent, SH.targetClass)))
            if not all(isinstance(t, URIRef) for t in targets):
                return None
            compiled.append(_PropertyShape(
                prop, targets, path, severity, str(messages[0]), counts[SH.minCount],
                counts[SH.maxCount], classes, datatypes, patterns, bounds))  # type: ignore[arg-type]
    return CorePlan(tuple(compiled))


def _focus(ps: _PropertyShape) -> str:
    classes = " ".join(f"<{t}>" for t in ps.targets)
    return f"{{ SELECT DISTINCT ?this WHERE {{ VALUES ?class {{ {classes} }} ?this {_TYPE_PATH} ?class }} }}"


def _evaluate(store: ox.Store, ps: _PropertyShape) -> list[Result]:
    if not ps.targets:
        return []
    focus, path = _focus(ps), f"<{ps.path}>"
    out = []

    def result(this, component: URIRef, value=None) -> None:
        out.append(Result(_node(this), ps.severity, ps.shape, component, ps.message, ps.path,
                          None if value is None else _value(value)))

    if ps.min_count is not None or ps.max_count is not None:
        low = f"?n < {ps.min_count}" if ps.min_count is not None else "false"
        high = f"?n > {ps.max_count}" if ps.max_count is not None else "false"
        query = (f"SELECT ?this ?n WHERE {{ {{ SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {focus} "
                 f"OPTIONAL {{ ?this {path} ?v }} }} GROUP BY ?this }} FILTER({low} || {high}) }}")
        for row in store.query(query):
            n = int(row["n"].value)
            if ps.min_count is not None and n < ps.min_count:
                result(row["this"], SH.MinCountConstraintComponent)
            if ps.max_count is not None and n > ps.max_count:
                result(row["this"], SH.MaxCountConstraintComponent)
    for cls in ps.classes:
        query = (f"SELECT DISTINCT ?this ?v WHERE {{ {focus} ?this {path} ?v . "
                 f"FILTER NOT EXISTS {{ ?v {_TYPE_PATH} <{cls}> }} }}")
        for row in store.query(query):
            result(row["this"], SH.ClassConstraintComponent, row["v"])
    for dt in ps.datatypes:
        # candidates: not a literal of this datatype, or one whose lexical form may be ill-typed
        doubt = "!isNumeric(?v)" if dt in _NUMERIC else "false" if dt == XSD.string else "true"
        query = (f"SELECT DISTINCT ?this ?v WHERE {{ {focus} ?this {path} ?v . "
                 f"FILTER(!isLiteral(?v) || datatype(?v) != <{dt}> || {doubt}) }}")
        for row in store.query(query):
            if not _datatype_matches(_value(row["v"]), dt):
                result(row["this"], SH.DatatypeConstraintComponent, row["v"])
    if ps.patterns or ps.min_inclusive:
        rows = list(store.query(f"SELECT DISTINCT ?this ?v WHERE {{ {focus} ?this {path} ?v }}"))
        for pattern in ps.patterns:
            matcher = re.compile(pattern)
            for row in rows:
                v = _value(row["v"])
                if isinstance(v, BNode) or not matcher.search(str(v)):
                    result(row["this"], SH.PatternConstraintComponent, row["v"])
        for bound in ps.min_inclusive:
            for row in rows:
                if not _at_least(_value(row["v"]), bound):
                    result(row["this"], SH.MinInclusiveConstraintComponent, row["v"])
    return out


def _datatype_matches(v, dt: URIRef) -> bool:
    """pyshacl's DatatypeConstraintComponent test for one value node."""
    if not isinstance(v, Literal):
        return False
    if v.datatype == dt:
        return getattr(v, "ill_typed", None) is not True and _actual_datatype(v, dt)
    if dt == RDFS.Literal or (dt == RDFS.Datatype and v.datatype):
        return True
    if v.datatype is None and v.language is None and dt == XSD.string:
        return _actual_datatype(v, dt)
    return dt == RDF.langString and bool(v.language) and _actual_datatype(v, dt)


def _actual_datatype(v: Literal, dt: URIRef) -> bool:
    """pyshacl's ``_assert_actual_datatype``: rdflib's Python value has the datatype's type."""
    import datetime

    expected = {XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int,
                XSD.float: float, XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: datetime.date,
                XSD.time: datetime.time, XSD.dateTime: datetime.datetime}.get(dt)
    return expected is None or isinstance(v.value, expected)


def _at_least(v, bound: Literal) -> bool:
    """pyshacl's MinInclusiveConstraintComponent test for one value node."""
    if not isinstance(v, Literal):
        return False
    if isinstance(bound.value, str) != isinstance(v.value, str):
        return False
    numbers = (int, Decimal)
    if (isinstance(v.value, numbers) and isinstance(bound.value, numbers)
            and not isinstance(v.value, bool) and not isinstance(bound.value, bool)):
        return v.value >= bound.value  # what pyshacl's compare_literal gives for these
    from pyshacl.rdfutil.compare import compare_literal

    try:
        return compare_literal(v, bound) >= 0
    except (TypeError, NotImplementedError):
        return False


def _node(term) -> URIRef | BNode:
    return BNode(term.value) if isinstance(term, ox.BlankNode) else URIRef(term.value)


def _value(term) -> URIRef | BNode | Literal:
    """An Oxigraph term as rdflib parses it from N-Triples (a plain string has no datatype)."""
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        return Literal(term.value, datatype=None if dt == str(XSD.string) else URIRef(dt))
    return _node(term)
