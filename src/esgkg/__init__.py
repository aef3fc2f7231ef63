"""esgkg: ESG disclosures as a validated, queryable RDF knowledge graph.

The public Python API::

    import esgkg
    kg = esgkg.open()                 # the built store of the project you stand in
    names, rows = kg.select("SELECT ...")
"""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"


def open(path: str | Path | None = None):  # noqa: A001 - the API's documented name
    """Open the embedded store at ``path`` (default: the current project's store)."""
    from .project import find_project
    from .store import EmbeddedStore

    return EmbeddedStore(Path(path) if path else find_project().default_store)


__all__ = ["__version__", "open"]
