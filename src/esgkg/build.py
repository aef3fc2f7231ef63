"""Build: compile ontology + vocabularies + report data into one dataset and load it.

The dataset has a named graph for the ontology, one per vocabulary and one per report. The
load is atomic (see ``store.embedded``): a failed build leaves the previous store answering.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from . import ids
from .errors import InputError
from .namespaces import ORG
from .project import Project
from .sources.external import EXTERNAL_GRAPH, IDENTIFIERS_FILE, compile_identifiers
from .sources.files import read_turtle
from .sources.report import NQuadsSink, breakdown_dimensions, compile_report
from .sources.vocab import Vocabularies, load_vocabularies
from .store import write_dataset

Progress = Callable[[str], None]


@dataclass
class BuildResult:
    """What a build wrote: triples per named graph, and where."""

    path: Path
    triples: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.triples.values())


def compile_context(
    project: Project, progress: Progress | None = None
) -> tuple[dict[URIRef, Graph], Vocabularies]:
    """The ontology and vocabulary graphs (what every report graph refers to)."""
    say = progress or (lambda _msg: None)
    say(f"ontology {project.ontology.relative_to(project.root)}")
    dataset: dict[URIRef, Graph] = {ids.ONTOLOGY_GRAPH: read_turtle(project.ontology)}
    say("vocabularies ontology/vocab/*.csv")
    vocab = load_vocabularies(project.vocab_dir)
    dataset.update(vocab.graphs)
    return dataset, vocab


def report_folders(project: Project) -> list[Path]:
    """The report folders of ``data/``; none is an error (a build would hold no report)."""
    folders = project.report_dirs()
    if not folders:
        raise InputError(f"{project.data_dir}: no report folders (data/<report>/entities.yaml): "
                         "nothing to build, and the store is left as it is")
    return folders


def compile_dataset(project: Project, progress: Progress | None = None) -> dict[URIRef, Graph]:
    """All named graphs of the project, compiled in memory; raises InputError on bad input."""
    say = progress or (lambda _msg: None)
    dataset, vocab = compile_context(project, progress)
    dimensions = breakdown_dimensions(dataset[ids.ONTOLOGY_GRAPH])
    periods = Graph()
    for folder in report_folders(project):
        say(f"report data/{folder.name}")
        dataset[ids.report_graph(folder.name)], used = compile_report(folder, vocab, dimensions)
        periods += used
    dataset[ids.PERIODS_GRAPH] = periods
    add_external(project, dataset, progress)
    return dataset


def add_external(project: Project, dataset: dict[URIRef, Graph], progress: Progress | None = None) -> None:
    """The identifiers read from outside the reports (``data/_external/identifiers.csv``, where
    present) into their own graph, ``graph/external``: never into a report's graph. Their
    organisations must be organisations of the reports, so that they join."""
    path = project.data_dir / IDENTIFIERS_FILE
    if not path.is_file():
        return
    (progress or (lambda _msg: None))(f"external identifiers data/{IDENTIFIERS_FILE}")
    prefix = str(ids.organization("x"))[:-1]
    known = {str(s)[len(prefix):] for iri, g in dataset.items() if "/graph/report/" in str(iri)
             for s in g.subjects(RDF.type, ORG.FormalOrganization) if str(s).startswith(prefix)}
    dataset[EXTERNAL_GRAPH] = compile_identifiers(path, known)


def build(project: Project, store_path: Path | None = None,
          progress: Progress | None = None, **store_options: Any) -> BuildResult:
    """Compile the project and swap the result into the store at ``store_path``.

    A report's observations (its bulk) are streamed from the CSV rows to an N-Quads file and
    bulk-loaded, never held in an rdflib graph, so memory grows with the named things of a
    report, not with its figures. ``store_options`` go to ``write_dataset`` (e.g. ``wait``).
    """
    say = progress or (lambda _msg: None)
    store_path = store_path or project.default_store
    dataset, vocab = compile_context(project, progress)
    dimensions = breakdown_dimensions(dataset[ids.ONTOLOGY_GRAPH])
    periods = Graph()
    streamed: list[tuple[Path, int]] = []
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="esgkg-build-") as tmp:
        for folder in report_folders(project):
            say(f"report data/{folder.name}")
            graph = ids.report_graph(folder.name)
            path = Path(tmp) / f"{folder.name}.nq"
            with path.open("w", encoding="utf-8") as out:
                sink = NQuadsSink(out, graph)
                dataset[graph], used = compile_report(folder, vocab, dimensions, sink)
            streamed.append((path, sink.count))
            counts[str(graph)] = sink.count
            periods += used
        dataset[ids.PERIODS_GRAPH] = periods
        add_external(project, dataset, progress)
        path = write_dataset(store_path, dataset,
                             lambda g, n: say(f"loaded {n:,} triples into <{g}>"),
                             nquads=streamed, on_index=say, **store_options)
    return BuildResult(path, {str(k): len(v) + counts.get(str(k), 0) for k, v in dataset.items()})
