"""The store interface: what the build writes into and what queries read from.

One implementation today (``embedded``: Oxigraph on disk); a remote SPARQL 1.1 engine will be
a second one behind the same interface.

Query policy, decided once: a query sees the **union of all named graphs** unless it names
graphs itself (``graphs=[...]``, e.g. one report's graph plus the ontology and vocabularies).
"""

from __future__ import annotations

from .builds import write_dataset
from .embedded import EmbeddedStore, Row

__all__ = ["EmbeddedStore", "Row", "write_dataset"]
