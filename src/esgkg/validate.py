"""Validate: run the SHACL shapes of ``shapes/`` over each report graph, in parallel.

Each report graph is validated on its own, together with the ontology and vocabularies it
refers to (never the whole store, never with OWL-RL closure), so validation time grows linearly
with the number of reports. Results become ``Finding`` rows a person can read: the report, the
shape, the severity, the focus node with its label, the pages it comes from, and the message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS

from .errors import InputError
from .namespaces import ESGKG, SH, bind_prefixes
from .sources.files import read_turtle
from .store import EmbeddedStore

SEVERITIES = ("Violation", "Warning", "Info")


@dataclass(frozen=True)
class Finding:
    """One validation result, with what a reader needs to act on it."""

    report: str
    severity: str
    shape: str
    focus: str
    label: str
    pages: list[int]
    message: str
    path: str = ""
    value: str = ""
    shape_label: str = ""  # what the shape checks, in words ("a total equals the sum of its parts")


@dataclass
class ReportValidation:
    report: str
    conforms: bool
    findings: list[Finding] = field(default_factory=list)
    results_graph: Graph | None = None

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def load_shapes(shapes_dir: Path) -> Graph:
    """All shapes files (``shapes/**/*.ttl``) in one graph; a syntax error names file and line."""
    files = sorted(shapes_dir.rglob("*.ttl")) if shapes_dir.is_dir() else []
    if not files:
        raise InputError(f"no shapes found in {shapes_dir}")
    shapes = Graph()
    for path in files:
        read_turtle(path, shapes)
    _name_property_shapes(shapes)
    return shapes


def validate_graph(report: str, data: Graph, context: Graph, shapes: Graph) -> ReportValidation:
    """Validate one report's graph together with its context (ontology and vocabularies).

    Core constraints run in pyshacl; SHACL-SPARQL constraints run on an in-memory Oxigraph
    store (pyshacl evaluates them with rdflib's SPARQL engine, which is far slower), with the
    same results a SHACL-SPARQL engine gives: ``$this`` is each instance of the shape's target
    class, one result per solution, the message's ``{?var}`` filled from the solution.
    """
    import pyshacl

    full = data + context
    core, sparql = _split_shapes(shapes)
    conforms, results, _ = pyshacl.validate(
        full, shacl_graph=core, inference="none", advanced=True, allow_warnings=True,
    )
    bind_prefixes(results)
    report_node = next(iter(results.subjects(RDF.type, SH.ValidationReport)))
    violations = _run_sparql_constraints(full, sparql, results, report_node)
    if violations:  # as for the core shapes (allow_warnings): only a Violation breaks conformance
        results.set((report_node, SH.conforms, Literal(False)))
    conforms = bool(conforms) and not violations
    return ReportValidation(report, conforms, _findings(report, results, full, shape_labels(shapes)), results)


def shape_labels(shapes: Graph) -> dict[str, str]:
    """Shape IRI -> its rdfs:label; a property shape without one takes its node shape's."""
    labels = {str(s): str(label) for s, label in shapes.subject_objects(RDFS.label)}
    for node_shape, prop_shape in shapes.subject_objects(SH.property):
        if str(prop_shape) not in labels and str(node_shape) in labels:
            labels[str(prop_shape)] = labels[str(node_shape)]
    return labels


def _split_shapes(shapes: Graph) -> tuple[Graph, list[tuple[URIRef, URIRef, URIRef, str, str]]]:
    """Core shapes graph, and (shape, target class, severity, message, SELECT) per SPARQL constraint."""
    core = Graph()
    core += shapes
    constraints = []
    for shape, constraint in list(shapes.subject_objects(SH.sparql)):
        select = str(shapes.value(constraint, SH.select))
        prefixes = "".join(
            f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>\n"
            for decl in shapes.objects(constraint, SH.prefixes)
            for d in shapes.objects(decl, SH.declare)
        )
        severity = shapes.value(shape, SH.severity) or SH.Violation
        for target in shapes.objects(shape, SH.targetClass):
            constraints.append((shape, target, severity, str(shapes.value(constraint, SH.message) or ""),
                                prefixes + select))
        core.remove((shape, SH.sparql, constraint))
        core.remove((constraint, None, None))
    return core, constraints


_VAR = re.compile(r"\{[?$](\w+)\}")


def _run_sparql_constraints(data: Graph, constraints, results: Graph, report_node) -> int:
    """Add a validation result per solution of each constraint; return how many are Violations."""
    store = ox.Store()
    store.load(input=data.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    added = 0
    for shape, target, severity, message, select in constraints:
        # $this ranges over the instances of the target class (and of its subclasses)
        query = select.replace("$this", "?this")
        anchor = f" ?this a/<{RDFS.subClassOf}>* <{target}> ."
        query = re.sub(r"\bWHERE\s*\{", lambda m, a=anchor: m.group(0) + a, query, count=1)
        for solution in store.query(query):
            node = BNode()
            results.add((report_node, SH.result, node))
            results.add((node, RDF.type, SH.ValidationResult))
            focus = solution["this"]
            results.add((node, SH.focusNode, URIRef(focus.value)))
            results.add((node, SH.resultSeverity, severity))
            results.add((node, SH.sourceShape, shape))
            results.add((node, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
            text = _VAR.sub(lambda m, sol=solution: _term_text(sol, m.group(1)), message)
            results.add((node, SH.resultMessage, Literal(text)))
            value = _term(solution, "value")
            if value is not None:
                results.add((node, SH.value, _rdflib_term(value)))
            added += severity == SH.Violation
    return added


def _rdflib_term(term) -> URIRef | Literal:
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype and not term.language else None
        return Literal(term.value, lang=term.language, datatype=URIRef(dt) if dt else None)
    return URIRef(term.value)


def _term(solution, name: str):
    try:
        return solution[name]
    except (KeyError, IndexError, TypeError):
        return None


def _term_text(solution, name: str) -> str:
    term = _term(solution, name)
    if term is None:
        return "?"
    return term.value if isinstance(term, ox.Literal | ox.NamedNode) else str(term)


def _validate_one(report: str, data_nt: bytes, context_nt: bytes, shapes_nt: bytes) -> dict:
    """Worker process: validate one report graph given as N-Triples; returns plain data."""
    graphs = []
    for nt in (data_nt, context_nt, shapes_nt):
        g = Graph()
        g.parse(data=nt, format="nt")
        graphs.append(g)
    result = validate_graph(report, *graphs)
    return {"report": report, "conforms": result.conforms,
            "findings": [asdict(f) for f in result.findings],
            "results": result.results_graph.serialize(format="nt")}


def _findings(report: str, results: Graph, data: Graph, labels: dict[str, str]) -> list[Finding]:
    out = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        severity = str(results.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        source_shape = results.value(result, SH.sourceShape)
        shape = str(source_shape) if isinstance(source_shape, URIRef) else ""
        label = data.value(focus, SKOS.prefLabel) if focus is not None else None
        pages = sorted({int(p) for src in data.objects(focus, PROV.wasDerivedFrom)
                        for p in data.objects(src, ESGKG.pageNumber)})
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        out.append(Finding(
            report=report, severity=severity, shape=shape, focus=str(focus),
            label=str(label) if label is not None else _short(str(focus)), pages=pages,
            message=str(results.value(result, SH.resultMessage) or ""),
            path=_short(str(path)) if path is not None else "",
            value=str(value) if value is not None else "",
            shape_label=labels.get(shape, ""),
        ))
    out.sort(key=lambda f: (SEVERITIES.index(f.severity) if f.severity in SEVERITIES else 9,
                            f.shape, f.label, f.focus))
    return out


def _short(iri: str) -> str:
    for marker in ("/id/", "#"):
        if marker in iri:
            return iri.split(marker, 1)[1]
    return iri


def validate(store: EmbeddedStore, shapes_dir: Path, reports: Sequence[str] | None = None,
             workers: int | None = None) -> list[ReportValidation]:
    """Validate each report graph (all, or ``reports``) in parallel processes."""
    shapes = load_shapes(shapes_dir)
    available = {g.rsplit("/", 1)[-1]: g for g in store.graphs() if "/graph/report/" in g}
    chosen = list(reports) if reports else sorted(available)
    for r in chosen:
        if r not in available:
            raise InputError(f"no report {r!r} in the store (reports: {', '.join(sorted(available))})")
    context_nt = b"".join(store.dump_graph(g) for g in store.graphs() if "/graph/report/" not in g)
    shapes_nt = shapes.serialize(format="nt", encoding="utf-8")
    jobs = [(r, store.dump_graph(available[r]), context_nt, shapes_nt) for r in chosen]
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    if workers <= 1 or len(jobs) <= 1:
        raw = [_validate_one(*job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            raw = list(pool.map(_validate_one, *zip(*jobs, strict=True)))
    out = []
    for item in raw:
        g = Graph()
        bind_prefixes(g)
        g.parse(data=item["results"], format="nt")
        out.append(ReportValidation(item["report"], item["conforms"],
                                    [Finding(**f) for f in item["findings"]], g))
    return out


def _name_property_shapes(shapes: Graph) -> None:
    """Give each blank-node property shape an IRI under its node shape, so results name it."""
    for node_shape, prop_shape in list(shapes.subject_objects(SH.property)):
        if isinstance(prop_shape, URIRef) or not isinstance(node_shape, URIRef):
            continue
        path = shapes.value(prop_shape, SH.path)
        name = URIRef(f"{node_shape}-{_short(str(path)).replace(':', '-')}")
        for p, o in list(shapes.predicate_objects(prop_shape)):
            shapes.add((name, p, o))
        shapes.remove((prop_shape, None, None))
        shapes.remove((node_shape, SH.property, prop_shape))
        shapes.add((node_shape, SH.property, name))
