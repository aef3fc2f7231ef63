"""Linked-data export: RDF formats, CSV + CSVW, JSON-LD, the reconciled view, the Data Cube
integrity constraints, the DCAT/VoID description, versioned releases and their diff.

Stage functions take a store and write to a binary stream or a folder:
``formats.export``, ``csvw.write_csv`` / ``csvw.write_metadata``, ``jsonld.write_jsonld``,
``reconcile.reconciled_graph``, ``release.release``, ``diff.diff``. See README.md here.
"""

from __future__ import annotations

from .diff import diff
from .formats import FORMATS, export
from .release import release

__all__ = ["FORMATS", "diff", "export", "release"]
