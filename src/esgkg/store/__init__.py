"""The store interface: what the build writes into and what queries read from.

Two implementations: ``embedded`` (Oxigraph on disk, the default) and ``remote`` (any SPARQL 1.1
store over HTTP: queries by the Protocol, loading by the Graph Store Protocol). Both offer
``graphs()``, ``query()``, ``select()``, ``count_per_graph()``, ``dump_graph()``,
``search_index()`` (None for a remote store) and ``close()``; ``open_store`` picks one from a
location (a folder or an http(s) URL).

Query policy, decided once: a query sees the **union of all named graphs** unless it names
graphs itself (``graphs=[...]``, e.g. one report's graph plus the ontology and vocabularies).
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from .builds import write_dataset
from .embedded import EmbeddedStore, Row
from .remote import RemoteStore, is_remote

Store = EmbeddedStore | RemoteStore

__all__ = ["EmbeddedStore", "RemoteStore", "Row", "Store", "is_remote", "open_store", "write_dataset"]


def open_store(location: str | PathLike, project_root: Path | None = None) -> Store:
    """The store at ``location``: a remote one for an http(s) URL (its endpoints completed from
    ``<project_root>/.esgkg/store.toml``), else the embedded store in that folder."""
    if is_remote(str(location)):
        return RemoteStore.open(str(location), project_root)
    return EmbeddedStore(Path(location))
