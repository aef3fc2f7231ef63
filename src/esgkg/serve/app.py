"""The Flask application: the store it serves, its blueprints, and the waitress server."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask
from flask_cors import CORS

from ..api import KnowledgeGraph
from ..project import Project
from ..store import is_remote, open_store
from .config import ServerConfig


class GraphHolder:
    """The KnowledgeGraph of the store's current build, reopened when a new build is swapped in.

    A server outlives builds: ``esgkg build`` (or an operator's update) swaps ``current`` to a
    new build; the next request sees it. Queries already running finish on the build they began.
    """

    def __init__(self, config: ServerConfig):
        self.config = config
        self.project = Project(config.project_root) if config.project_root else None
        self._lock = threading.Lock()
        self._kg: KnowledgeGraph | None = None
        self._path: Path | None = None
        self.generation = 0  # bumps at each reopen (pages may cache per generation)
        self._built: str | None = None  # a remote store's last build id

    def get(self) -> KnowledgeGraph:
        if is_remote(self.config.store):  # the engine serves its latest data itself: opened once,
            with self._lock:              # a new generation at each build esgkg records there
                if self._kg is None:
                    self._kg = KnowledgeGraph(open_store(self.config.store, self.config.project_root),
                                              self.project)
                built = self._kg.store.build_id()
                if self.generation == 0 or built != self._built:
                    self._built = built
                    self.generation += 1
                return self._kg
        current = (Path(self.config.store) / "current").resolve()
        with self._lock:
            if self._kg is None or current != self._path:
                old = self._kg
                self._kg = KnowledgeGraph(open_store(self.config.store), self.project)
                self._path = self._kg.store.path
                self.generation += 1
                if old is not None:
                    old.close()
            return self._kg

    def close(self) -> None:
        with self._lock:
            if self._kg is not None:
                self._kg.close()
                self._kg = None


def create_app(config: ServerConfig) -> Flask:
    """The WSGI application serving ``config.store``; opens the store at once (fails early)."""
    from . import pages, protocol

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    holder = GraphHolder(config)
    holder.get()
    app.extensions["esgkg"] = holder
    app.register_blueprint(protocol.blueprint)
    # any origin may query (no cookies are used); an update still needs its bearer token
    CORS(app, resources={r"/sparql": {}, r"/api/*": {}},
         allow_headers=["Accept", "Authorization", "Content-Type"], send_wildcard=True, max_age=600)
    app.register_blueprint(pages.blueprint)
    return app


def serve(config: ServerConfig, host: str = "127.0.0.1", port: int = 8000, app: Flask | None = None) -> None:
    """Serve until interrupted (waitress, ``config.threads`` threads)."""
    import waitress

    app = app or create_app(config)
    waitress.serve(app, host=host, port=port, threads=config.threads, ident="esgkg",
                   max_request_body_size=config.max_request_bytes, clear_untrusted_proxy_headers=True)
