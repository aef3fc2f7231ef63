"""Builds of the embedded store on disk: each build a new Oxigraph database, swapped in atomically.

Layout of a store folder::

    <store>/builds/<build-id>/   one complete Oxigraph database per build
    <store>/current              symlink to the build that queries read

A build writes a new database beside the old one and only then swaps the ``current`` link
(``os.replace`` of a symlink is atomic), so a failed build leaves the previous store untouched
and readers never see a half-written graph.
"""

from __future__ import annotations

import gc
import os
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

Progress = Callable[[str, int], None]

CURRENT = "current"
BUILDS = "builds"
KEEP_BUILDS = 2  # the current build and the one before it


def _build_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"


def write_dataset(root: Path, dataset: Mapping[URIRef, Graph],
                  progress: Progress | None = None) -> Path:
    """Write ``dataset`` (graph IRI -> graph) as a new build and make it current, atomically.

    Returns the new build's folder. On any error the new build is removed and ``current`` still
    points at the previous build.
    """
    root.mkdir(parents=True, exist_ok=True)
    builds = root / BUILDS
    builds.mkdir(exist_ok=True)
    target = builds / _build_id()
    try:
        store = ox.Store(str(target))
        for graph_iri, graph in dataset.items():
            data = graph.serialize(format="nt", encoding="utf-8")
            store.load(input=data, format=ox.RdfFormat.N_TRIPLES,
                       to_graph=ox.NamedNode(str(graph_iri)))
            if progress:
                progress(str(graph_iri), len(graph))
        store.flush()
        del store
        gc.collect()  # release the database lock before the folder is published
        link_tmp = root / f"{CURRENT}.tmp-{os.getpid()}"
        if link_tmp.is_symlink() or link_tmp.exists():
            link_tmp.unlink()
        link_tmp.symlink_to(Path(BUILDS) / target.name)
        os.replace(link_tmp, root / CURRENT)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    _prune(builds, keep={target.name})
    return target


def _prune(builds: Path, keep: set[str]) -> None:
    olds = sorted((p for p in builds.iterdir() if p.name not in keep), key=lambda p: p.name)
    for old in olds[: max(0, len(olds) - (KEEP_BUILDS - 1))]:
        shutil.rmtree(old, ignore_errors=True)
