"""Validate: run the SHACL shapes of ``shapes/`` over each report graph, in parallel.

Each report graph is validated on its own, together with the ontology and vocabularies it
refers to (never the whole store, never with OWL-RL closure), so validation time grows linearly
with the number of reports. Results become ``Finding`` rows a person can read: the report, the
shape, the severity, the focus node with its label, the pages it comes from, and the message.

Two engines give the same results: ``fast`` (the default where the shapes allow it: core
constraints compiled to SPARQL, ``validate_core``, and SHACL-SPARQL constraints, both on an
in-memory Oxigraph store holding the report and its context) and ``pyshacl`` (core constraints in
pyshacl on rdflib graphs; the reference). The shared context and the shapes are read once per
run; a report's findings are cached, keyed by a hash of its graph, the context, the shapes and
this code, in the folder the store offers (beside its builds), so a report is validated again
only when something it depends on changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS

from .errors import InputError
from .namespaces import ESGKG, SH, bind_prefixes
from .sources.files import read_turtle
from .validate_core import CorePlan, Result, compile_core

SEVERITIES = ("Violation", "Warning", "Info")
ENGINES = ("fast", "pyshacl")
ENGINE_ENV = "ESGKG_SHACL_ENGINE"  # force an engine (fast or pyshacl); default: fast where it applies


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


def validate_graph(report: str, data: Graph, context: Graph, shapes: Graph,
                   engine: str | None = None) -> ReportValidation:
    """Validate one report's graph together with its context (ontology and vocabularies).

    SHACL-SPARQL constraints run on an in-memory Oxigraph store (pyshacl evaluates them with
    rdflib's SPARQL engine, which is far slower), with the same results a SHACL-SPARQL engine
    gives: ``$this`` is each instance of the shape's target class, one result per solution, the
    message's ``{?var}`` filled from the solution. Core constraints run in the ``engine`` given
    (``fast`` or ``pyshacl``; default: ``fast`` where the shapes allow it).
    """
    job = _Job.make(shapes, context.serialize(format="nt", encoding="utf-8"), engine)
    return _from_payload(job.run(report, data.serialize(format="nt", encoding="utf-8")))


def engine_for(shapes: Graph, engine: str | None = None) -> str:
    """The core engine that will run: ``engine`` (or ``$ESGKG_SHACL_ENGINE``), else ``fast`` if
    the shapes compile to it, else ``pyshacl``."""
    wanted = engine or os.environ.get(ENGINE_ENV) or None
    if wanted is not None and wanted not in ENGINES:
        raise InputError(f"unknown SHACL engine {wanted!r} ({', '.join(ENGINES)})")
    if wanted == "pyshacl":
        return wanted
    compiles = compile_core(_split_shapes(shapes)[0]) is not None
    if wanted == "fast" and not compiles:
        raise InputError("the shapes use SHACL features the fast engine does not cover; use pyshacl")
    return "fast" if compiles else "pyshacl"


def shape_labels(shapes: Graph) -> dict[str, str]:
    """Shape IRI -> its rdfs:label; a property shape without one takes its node shape's."""
    labels = {str(s): str(label) for s, label in shapes.subject_objects(RDFS.label)}
    for node_shape, prop_shape in shapes.subject_objects(SH.property):
        if str(prop_shape) not in labels and str(node_shape) in labels:
            labels[str(prop_shape)] = labels[str(node_shape)]
    return labels


Constraint = tuple[URIRef, URIRef, URIRef, str, str]  # shape, target class, severity, message, query


def _split_shapes(shapes: Graph) -> tuple[Graph, list[Constraint]]:
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
            # $this ranges over the instances of the target class (and of its subclasses)
            query = (prefixes + select).replace("$this", "?this")
            anchor = f" ?this a/<{RDFS.subClassOf}>* <{target}> ."
            query = re.sub(r"\bWHERE\s*\{", lambda m, a=anchor: m.group(0) + a, query, count=1)
            constraints.append((shape, target, severity, str(shapes.value(constraint, SH.message) or ""),
                                query))
        core.remove((shape, SH.sparql, constraint))
        core.remove((constraint, None, None))
    constraints.sort(key=lambda c: (str(c[0]), str(c[1])))
    return core, constraints


_VAR = re.compile(r"\{[?$](\w+)\}")


def _sparql_results(store: ox.Store, constraints: Sequence[Constraint]) -> list[Result]:
    """A validation result per solution of each SHACL-SPARQL constraint."""
    out = []
    for shape, _target, severity, message, query in constraints:
        for solution in store.query(query):
            value = _term(solution, "value")
            out.append(Result(
                focus=URIRef(solution["this"].value), severity=severity, shape=shape,
                component=SH.SPARQLConstraintComponent,
                message=_VAR.sub(lambda m, sol=solution: _term_text(sol, m.group(1)), message),
                value=None if value is None else _rdflib_term(value)))
    return out


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


def _add_result(graph: Graph, report_node: BNode, r: Result) -> None:
    node = BNode()
    graph.add((report_node, SH.result, node))
    graph.add((node, RDF.type, SH.ValidationResult))
    graph.add((node, SH.focusNode, r.focus))
    graph.add((node, SH.resultSeverity, r.severity))
    graph.add((node, SH.sourceShape, r.shape))
    graph.add((node, SH.sourceConstraintComponent, r.component))
    graph.add((node, SH.resultMessage, Literal(r.message)))
    if r.path is not None:
        graph.add((node, SH.resultPath, r.path))
    if r.value is not None:
        graph.add((node, SH.value, r.value))


def _results_graph(results: Sequence[Result], conforms: bool) -> Graph:
    """The sh:ValidationReport of ``results``, as pyshacl writes one."""
    graph = Graph()
    bind_prefixes(graph)
    report_node = BNode()
    graph.add((report_node, RDF.type, SH.ValidationReport))
    graph.add((report_node, SH.conforms, Literal(conforms)))
    for r in results:
        _add_result(graph, report_node, r)
    return graph


def _from_graph(results: Graph) -> list[Result]:
    """The results of a pyshacl sh:ValidationReport graph."""
    out = []
    for node in results.subjects(RDF.type, SH.ValidationResult):
        out.append(Result(
            focus=results.value(node, SH.focusNode), severity=results.value(node, SH.resultSeverity),
            shape=results.value(node, SH.sourceShape),
            component=results.value(node, SH.sourceConstraintComponent),
            message=str(results.value(node, SH.resultMessage) or ""),
            path=results.value(node, SH.resultPath), value=results.value(node, SH.value)))
    return out


def _pick_label(labels: list[tuple[str | None, str]]) -> str | None:
    """One skos:prefLabel of several: untagged or English first, then by language and text."""
    if not labels:
        return None
    return min(labels, key=lambda lv: (lv[0] not in (None, "", "en"), lv[0] or "", lv[1]))[1]


_PREF_LABEL = ox.NamedNode(str(SKOS.prefLabel))
_DERIVED = ox.NamedNode(str(PROV.wasDerivedFrom))
_PAGE = ox.NamedNode(str(ESGKG.pageNumber))


def _label_and_pages(store: ox.Store, focus) -> tuple[str | None, list[int]]:
    if not isinstance(focus, URIRef):
        return None, []
    node = ox.NamedNode(str(focus))
    labels = [(getattr(q.object, "language", None), q.object.value)
              for q in store.quads_for_pattern(node, _PREF_LABEL, None)]
    pages = {int(p.object.value) for src in store.quads_for_pattern(node, _DERIVED, None)
             if not isinstance(src.object, ox.Literal)
             for p in store.quads_for_pattern(src.object, _PAGE, None)}
    return _pick_label(labels), sorted(pages)


def _findings(report: str, results: Sequence[Result], store: ox.Store,
              labels: dict[str, str]) -> list[Finding]:
    out = []
    for r in results:
        label, pages = _label_and_pages(store, r.focus)
        shape = str(r.shape) if isinstance(r.shape, URIRef) else ""
        out.append(Finding(
            report=report, severity=str(r.severity).rsplit("#", 1)[-1], shape=shape, focus=str(r.focus),
            label=label if label is not None else _short(str(r.focus)), pages=pages, message=r.message,
            path=_short(str(r.path)) if r.path is not None else "",
            value=str(r.value) if r.value is not None else "",
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


@dataclass
class _Job:
    """What every report's validation shares: the context, the compiled shapes, the engine."""

    engine: str
    context_nt: bytes
    core_nt: bytes
    constraints: list[Constraint]
    labels: dict[str, str]
    plan: CorePlan | None
    _context: Graph | None = None
    _core: Graph | None = None

    @classmethod
    def make(cls, shapes: Graph, context_nt: bytes, engine: str | None = None) -> _Job:
        engine = engine_for(shapes, engine)
        core, constraints = _split_shapes(shapes)
        plan = compile_core(core) if engine == "fast" else None
        return cls(engine, context_nt, core.serialize(format="nt", encoding="utf-8"), constraints,
                   shape_labels(shapes), plan)

    def run(self, report: str, data_nt: bytes) -> dict[str, Any]:
        """Validate one report graph given as N-Triples; returns plain data (see _from_payload)."""
        store = ox.Store()
        store.bulk_load(input=self.context_nt, format=ox.RdfFormat.N_TRIPLES)
        store.bulk_load(input=data_nt, format=ox.RdfFormat.N_TRIPLES)
        sparql = _sparql_results(store, self.constraints)
        if self.plan is not None:
            results = self.plan.run(store) + sparql
            conforms = not any(r.severity == SH.Violation for r in results)
            graph = _results_graph(results, conforms)
        else:
            graph, results, conforms = self._pyshacl(data_nt, sparql)
        return {"report": report, "conforms": conforms,
                "findings": [asdict(f) for f in _findings(report, results, store, self.labels)],
                "results": graph.serialize(format="nt")}

    def _pyshacl(self, data_nt: bytes, sparql: list[Result]) -> tuple[Graph, list[Result], bool]:
        import pyshacl

        if self._context is None:
            self._context = Graph().parse(data=self.context_nt, format="nt")
            self._core = Graph().parse(data=self.core_nt, format="nt")
        full = Graph().parse(data=data_nt, format="nt")
        full += self._context
        conforms, graph, _ = pyshacl.validate(
            full, shacl_graph=self._core, inference="none", advanced=True, allow_warnings=True,
        )
        bind_prefixes(graph)
        report_node = next(iter(graph.subjects(RDF.type, SH.ValidationReport)))
        results = _from_graph(graph)
        for r in sparql:
            _add_result(graph, report_node, r)
        if any(r.severity == SH.Violation for r in sparql):  # as for the core shapes (allow_warnings)
            graph.set((report_node, SH.conforms, Literal(False)))
            conforms = False
        return graph, results + sparql, bool(conforms)


def _from_payload(item: dict[str, Any]) -> ReportValidation:
    g = Graph()
    bind_prefixes(g)
    g.parse(data=item["results"], format="nt")
    return ReportValidation(item["report"], item["conforms"], [Finding(**f) for f in item["findings"]], g)


_WORKER: _Job | None = None


def _init_worker(job: _Job) -> None:
    global _WORKER
    _WORKER = job


def _run_in_worker(report: str, data_nt: bytes) -> dict[str, Any]:
    assert _WORKER is not None
    return _WORKER.run(report, data_nt)


def _code_digest() -> bytes:
    """What the cache key holds of esgkg itself: its version and this code."""
    from . import __version__, validate_core

    h = hashlib.sha256(__version__.encode())
    for module in (__file__, validate_core.__file__):
        h.update(Path(module).read_bytes())
    return h.digest()


def _cache_dir(store: Any) -> Path | None:
    """Where findings are cached: the store's ``cache_dir`` if it offers one, else a folder beside
    an embedded store's builds (``<root>/validation-cache``, shared by its builds, so a rebuild
    revalidates only the reports it changed); None (no cache) for a store offering neither."""
    offered = getattr(store, "cache_dir", None)
    if offered is not None:
        return Path(offered)
    root = getattr(store, "root", None)
    return root / "validation-cache" if isinstance(root, Path) and root.is_dir() else None


_BNODE_LABEL = re.compile(rb"_:[A-Za-z0-9_.\-]+")


def stable_digest(ntriples: bytes) -> bytes:
    """A digest of N-Triples that depends neither on the order of the lines nor on blank node
    labels, which the store picks anew at each load (the ontology's OWL restrictions), so that
    a rebuild of unchanged sources keeps the cache valid. Each blank node label is replaced by a
    digest of the triples it is the subject of (their blank nodes erased): one round of
    refinement, enough to tell apart the restrictions of one ontology."""
    lines = ntriples.splitlines()
    if b"_:" not in ntriples:  # no blank node (a report graph): the same digest, without the regex
        return hashlib.sha256(b"\n".join(sorted(lines))).digest()
    owned: dict[bytes, list[bytes]] = {}
    for line in lines:
        if line.startswith(b"_:"):
            label, _, rest = line.partition(b" ")
            owned.setdefault(label, []).append(_BNODE_LABEL.sub(b"_:", rest))
    names = {label: b"_:" + hashlib.sha256(b"\n".join(sorted(rest))).hexdigest()[:20].encode()
             for label, rest in owned.items()}
    canonical = sorted(_BNODE_LABEL.sub(lambda m: names.get(m.group(), b"_:"), line) for line in lines)
    return hashlib.sha256(b"\n".join(canonical)).digest()


class _Cache:
    """Findings per report, one JSON file per key, written atomically; silent when not writable."""

    def __init__(self, folder: Path | None, shared: bytes):
        self.folder, self.shared = folder, shared

    def key(self, report: str, data_nt: bytes) -> str:
        return hashlib.sha256(self.shared + report.encode() + b"\0" + stable_digest(data_nt)).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        if self.folder is None:
            return None
        try:
            return json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def prune(self, keep: set[str]) -> None:
        """Remove the entries not in ``keep`` (after validating every report)."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.glob("*.json"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)

    def put(self, key: str, item: dict[str, Any]) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f"{key}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(item), encoding="utf-8")
            tmp.replace(self.folder / f"{key}.json")
        except OSError:
            pass


def validate(store: Any, shapes_dir: Path, reports: Sequence[str] | None = None,
             workers: int | None = None, engine: str | None = None,
             cache: bool = True) -> list[ReportValidation]:
    """Validate each report graph (all, or ``reports``) in parallel processes.

    Uses only the store's ``graphs()`` and ``dump_graph()`` (any backend). Findings come from the
    cache (see ``_cache_dir``) for a report whose graph, context, shapes and esgkg are unchanged.
    """
    shapes = load_shapes(shapes_dir)
    available = {g.rsplit("/", 1)[-1]: g for g in store.graphs() if "/graph/report/" in g}
    chosen = list(reports) if reports else sorted(available)
    for r in chosen:
        if r not in available:
            raise InputError(f"no report {r!r} in the store (reports: {', '.join(sorted(available))})")
    context_nt = b"".join(store.dump_graph(g) for g in store.graphs() if "/graph/report/" not in g)
    job = _Job.make(shapes, context_nt, engine)
    shared = hashlib.sha256(_code_digest() + job.engine.encode())
    for path in sorted(shapes_dir.rglob("*.ttl")):
        shared.update(str(path.relative_to(shapes_dir)).encode() + b"\0" + path.read_bytes())
    shared.update(stable_digest(context_nt))
    memo = _Cache(_cache_dir(store) if cache else None, shared.digest())
    raw: dict[str, dict[str, Any]] = {}
    keys: set[str] = set()

    def misses() -> Iterator[tuple[str, str, bytes]]:
        """(report, cache key, graph) of each report not in the cache, dumped when needed."""
        for r in chosen:
            data_nt = store.dump_graph(available[r])
            key = memo.key(r, data_nt)
            keys.add(key)
            hit = memo.get(key)
            if hit is not None and hit.get("report") == r:
                raw[r] = hit
            else:
                yield r, key, data_nt

    workers = workers or min(len(chosen), os.cpu_count() or 1)
    for r, key, item in _run_all(job, misses(), workers):
        memo.put(key, item)
        raw[r] = item
    if not reports:
        memo.prune(keys)
    return [_from_payload(raw[r]) for r in chosen]


def _run_all(job: _Job, todo: Iterator[tuple[str, str, bytes]],
             workers: int) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(report, key, payload) for each of ``todo``; at most ``2 * workers`` graphs in flight, so
    they are not all held in memory at once."""
    if workers <= 1:
        for r, key, data_nt in todo:
            yield r, key, job.run(r, data_nt)
        return
    pending: deque[tuple[str, str, Future]] = deque()
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(job,)) as pool:
        for r, key, data_nt in todo:
            if len(pending) >= 2 * workers:
                done_r, done_key, future = pending.popleft()
                yield done_r, done_key, future.result()
            pending.append((r, key, pool.submit(_run_in_worker, r, data_nt)))
        while pending:
            done_r, done_key, future = pending.popleft()
            yield done_r, done_key, future.result()


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
