"""(temporary home) Build into a remote store."""

from __future__ import annotations

from collections.abc import Callable

from .project import Project
from .store.remote import RemoteStore

Progress = Callable[[str], None]


def build_remote(project: Project, store: RemoteStore, progress: Progress | None = None):
    """Compile the project and put each named graph into the remote store, replacing it whole;
    esgkg's graphs that the build no longer has (a report removed) are deleted."""
    from .build import BuildResult, compile_dataset

    say = progress or (lambda _msg: None)
    dataset = compile_dataset(project, progress)
    graphs = ((str(iri), graph.serialize(format="nt", encoding="utf-8")) for iri, graph in dataset.items())
    counts = store.replace_graphs(graphs, progress=lambda g, n: say(f"loaded {n:,} triples into <{g}>"))
    return BuildResult(store.location, counts)
