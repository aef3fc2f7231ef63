"""esgkg: ESG disclosures as a validated, queryable RDF knowledge graph.

The public Python API::

    import esgkg
    kg = esgkg.open()                           # the built store of the project you stand in
    for row in kg.query("sites-with-standard", standard="iso-45001"):
        print(row["holderName"], row["pages"])
    kg.query("SELECT ...").to_dataframe()       # with pandas installed
"""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"


def open(path: str | Path | None = None):  # noqa: A001 - the API's documented name
    """Open the knowledge graph in the store at ``path`` (default: the current project's)."""
    from .api import open_graph

    return open_graph(path)


__all__ = ["__version__", "open"]
