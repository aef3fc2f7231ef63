"""``esgkg serve``: a SPARQL 1.1 Protocol endpoint, linked-data pages and a query page.

A thin face over the same stage functions as the CLI: every query goes through
``KnowledgeGraph`` / ``EmbeddedStore.query`` (one query path, with its time limit, row cap,
SERVICE and Update guards). Flask routes, served by waitress (a threaded WSGI server).
"""

from __future__ import annotations

from .app import create_app, serve
from .config import ServerConfig

__all__ = ["ServerConfig", "create_app", "serve"]
